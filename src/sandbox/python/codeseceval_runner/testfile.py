"""Test-file jobs: an upstream unittest or pytest file run against the candidate as a module.

SALLM and CWEval ship test files that `import` the code under test by module name. The
candidate is written as `<module>.py` beside the task's fixtures, the test file beside it,
and the framework runs in this (forked, confined) process: the zygote has already imported
unittest and pytest, so no interpreter starts per sample.

Both the candidate module and the test module are imported here first, so an import-time
failure (a syntax error, a missing module, a network call at import) raises in our code and
gets the same verdict and environment-failure naming as a `check()` job.
"""

import importlib
import os
import sys
import traceback

from .pytest_setup import pytest_args, serve_once, take_prepared_config, unchanged

DETAIL_CHARS = 300


def role_of(name, markers=()):
    """functionality / security / None, from pytest markers or the test's name (SALLM's
    test_correctness* / test_vulnerability* convention)."""
    marks = set(markers)
    if "security" in marks:
        return "security"
    if "functionality" in marks:
        return "functionality"
    low = name.lower()
    leaf = low.rsplit(".", 1)[-1].split("[", 1)[0]
    if "vulnerab" in leaf or "secur" in leaf:
        return "security"
    if "correct" in leaf or "function" in leaf:
        return "functionality"
    return None


def _short(exc):
    """One line naming an exception: `AssertionError: 1 != 2`."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    line = text[-1] if text else type(exc).__name__
    return line[:DETAIL_CHARS]


def _case(name, role, outcome, detail=None):
    case = {"name": name, "role": role, "outcome": outcome}
    if detail:
        case["detail"] = detail[:DETAIL_CHARS]
    return case


def stage(job, workdir):
    """Write the module and the test file into the task's folder and make it the cwd."""
    here = os.path.join(workdir, "Test", job["fixture_name"])
    os.makedirs(here, exist_ok=True)
    os.chdir(here)
    module_file = os.path.join(here, job["module"] + ".py")
    test_file = os.path.join(here, job["test_file"])
    with open(module_file, "w", encoding="utf-8") as f:
        f.write(job["program"])
    with open(test_file, "w", encoding="utf-8") as f:
        f.write(job["test"])
    sys.path.insert(0, here)
    sys.argv = [test_file]
    return here, module_file, test_file


def import_both(job, module_file, test_file):
    """Import the candidate, then the test module; raises what either raises."""
    # Compiled first so a syntax error names the program, as for check() jobs.
    with open(module_file, encoding="utf-8") as f:
        compile(f.read(), module_file, "exec")
    importlib.invalidate_caches()
    importlib.import_module(job["module"])
    return importlib.import_module(os.path.splitext(os.path.basename(test_file))[0])


def run_unittest(test_module):
    """Every test method of the module, with its outcome; the first exception a case raised."""
    import unittest

    cases = []
    first_error = []

    class Collect(unittest.TestResult):
        def addSuccess(self, test):
            cases.append(_case(test.id(), role_of(test.id()), "passed"))

        def _bad(self, test, err, outcome):
            exc = err[1]
            if not first_error and not isinstance(exc, AssertionError):
                first_error.append(exc)
            cases.append(_case(test.id(), role_of(test.id()), outcome, _short(exc)))

        def addFailure(self, test, err):
            self._bad(test, err, "failed")

        def addError(self, test, err):
            self._bad(test, err, "error")

        def addSkip(self, test, reason):
            cases.append(_case(test.id(), role_of(test.id()), "skipped", str(reason)))

        def addExpectedFailure(self, test, err):
            cases.append(_case(test.id(), role_of(test.id()), "passed"))

        def addUnexpectedSuccess(self, test):
            cases.append(_case(test.id(), role_of(test.id()), "failed", "unexpected success"))

    suite = unittest.TestLoader().loadTestsFromModule(test_module)
    suite.run(Collect())
    return cases, (first_error[0] if first_error else None)


NOT_RUN = "never ran: the test session stopped before it"


def run_pytest(test_file, prepared=None):
    """Every collected pytest case, with its markers' role; the first non-assertion exception.

    `prepared`: (Config, its fingerprint) from take_prepared_config, taken before the
    candidate ran; used only when the candidate left it as it was."""
    import pytest

    cases = {}
    order = []
    first_error = []
    collect_errors = []
    # A case counts once it has an outcome of its own: a call report, or a setup that failed
    # or skipped. One collected but never run (pytest.exit(), a deselection, a session cut
    # short) is an error, never a pass.
    finished = set()

    class Collect:
        def pytest_itemcollected(self, item):
            marks = [m.name for m in item.iter_markers()]
            order.append(item.nodeid)
            cases[item.nodeid] = _case(item.nodeid.split("::", 1)[-1], role_of(item.nodeid, marks), "passed")

        def pytest_collectreport(self, report):
            if report.failed:
                collect_errors.append(str(report.longrepr).strip().splitlines()[-1:] or ["collection failed"])

        def pytest_exception_interact(self, node, call, report):
            exc = call.excinfo.value if call.excinfo else None
            if exc is not None and not first_error and not isinstance(exc, AssertionError):
                first_error.append(exc)

        def pytest_runtest_logreport(self, report):
            case = cases.get(report.nodeid)
            if case is None or case["outcome"] != "passed":
                return
            if report.when == "call" or not report.passed:
                finished.add(report.nodeid)
            if report.skipped:
                case["outcome"] = "skipped"
            elif report.failed:
                case["outcome"] = "failed" if report.when == "call" else "error"
                text = str(report.longrepr).strip().splitlines()
                case["detail"] = (text[-1] if text else "failed")[:DETAIL_CHARS]

    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # Options and plugins come from the runner alone: the sandbox's environment is built from
    # scratch, so these could only have been set by the candidate.
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        os.environ.pop(name, None)
    args = pytest_args(test_file)
    if prepared is not None and unchanged(prepared):
        serve_once(prepared[0])
    pytest.main(args, plugins=[Collect()])
    if collect_errors:
        raise RuntimeError(f"pytest could not collect the test file: {collect_errors[0][0]}"[:DETAIL_CHARS])
    for nodeid in order:
        if nodeid not in finished and cases[nodeid]["outcome"] == "passed":
            cases[nodeid].update(outcome="error", detail=NOT_RUN)
    return [cases[n] for n in order], (first_error[0] if first_error else None)


def summarise(cases):
    """The job's verdict from its cases: passed only when every case that ran passed."""
    if not cases:
        return {"status": "error", "detail": "the test file has no test case"}
    bad = [c for c in cases if c["outcome"] in ("failed", "error")]
    ran = [c for c in cases if c["outcome"] != "skipped"]
    if not bad:
        if not ran:
            return {"status": "error", "detail": f"all {len(cases)} test cases were skipped"}
        return {"status": "passed", "detail": ""}
    status = "error" if any(c["outcome"] == "error" for c in bad) else "failed"
    first = bad[0]
    return {"status": status, "detail": f"{len(bad)} of {len(cases)} test cases failed; {first['name']}: {first.get('detail', first['outcome'])}"[:DETAIL_CHARS * 2]}


def run_test_file_job(job, workdir):
    """-> (verdict, cases, exception that decided it or None). Import-time failures raise."""
    prepared = take_prepared_config() if job["framework"] == "pytest" else None
    _here, module_file, test_file = stage(job, workdir)
    test_module = import_both(job, module_file, test_file)
    if job["framework"] == "pytest":
        cases, exc = run_pytest(test_file, prepared)
    else:
        cases, exc = run_unittest(test_module)
    return summarise(cases), cases, exc


_WARM_UNITTEST = '''import unittest


class TestWarm(unittest.TestCase):
    def test_correctness(self):
        self.assertEqual(1, 1)
'''

_WARM_PYTEST = '''import pytest


@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.functionality), pytest.param(2, marks=pytest.mark.security)])
def test_warm(x):
    assert x > 0
'''


def warm_up_frameworks():
    """Run unittest, and pytest when it was preloaded, once in the zygote, output discarded:
    pytest imports most of its plugins (and pdb, argparse, ...) only on its first run, which
    every forked sample would otherwise pay again. Stdout is the protocol channel, so fds 1
    and 2 point elsewhere meanwhile. Nothing is left behind but imported modules."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="codeseceval-warm-")
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    path_before = list(sys.path)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(null, 1)
        os.dup2(null, 2)
        for name, source in (("codeseceval_warm_unittest", _WARM_UNITTEST), ("codeseceval_warm_pytest", _WARM_PYTEST)):
            with open(os.path.join(folder, name + ".py"), "w", encoding="utf-8") as f:
                f.write(source)
        sys.path.insert(0, folder)
        run_unittest(importlib.import_module("codeseceval_warm_unittest"))
        if "pytest" in sys.modules:
            saved_env = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
            run_pytest(os.path.join(folder, "codeseceval_warm_pytest.py"))
            if saved_env is None:
                os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    except Exception:
        pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [null]:
            os.close(fd)
        sys.path[:] = path_before
        for name in ("codeseceval_warm_unittest", "codeseceval_warm_pytest"):
            sys.modules.pop(name, None)
        shutil.rmtree(folder, ignore_errors=True)
