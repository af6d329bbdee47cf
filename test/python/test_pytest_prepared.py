"""The zygote's prepared pytest Config (pytest_setup.prepare_pytest) must change nothing but time:
the same cases, outcomes, roles and details as a plain pytest.main, conftest.py files still
honoured, and pytest's own get_config back in place after one use."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import RUNNER_DIR

TEST_FILE = textwrap.dedent('''
    import os
    import warnings

    import pytest

    from prepared_task import double


    @pytest.mark.parametrize("x, want", [
        pytest.param(1, 2, marks=pytest.mark.functionality),
        pytest.param(2, 5, marks=pytest.mark.functionality),
        pytest.param(-1, -2, marks=pytest.mark.security),
    ])
    def test_double(x, want):
        assert double(x) == want


    def test_tmp_path(tmp_path):
        (tmp_path / "a").write_text("x")
        assert os.listdir(tmp_path) == ["a"]


    def test_raises():
        with pytest.raises(ZeroDivisionError):
            1 / 0


    def test_error():
        raise KeyError("boom")


    @pytest.fixture
    def broken():
        raise RuntimeError("fixture failed")


    def test_fixture_error(broken):
        pass


    @pytest.mark.skip(reason="not today")
    def test_skipped():
        pass


    @pytest.mark.xfail
    def test_xfail():
        assert False


    def test_from_conftest(shared):
        assert shared == 42


    def test_warning():
        warnings.warn("careful", UserWarning)


    def test_monkeypatch(monkeypatch):
        monkeypatch.setenv("PREPARED_X", "1")
        assert os.environ["PREPARED_X"] == "1"
''')

CONFTEST = "import pytest\n\n\n@pytest.fixture\ndef shared():\n    return 42\n"

# Runs in a fresh interpreter: prepares once, as the zygote does, then runs the same job in
# two forked children, one with the prepared Config and one without.
SCRIPT = textwrap.dedent('''
    import json, os, sys, tempfile
    import pytest  # preloaded, as in the zygote
    from codeseceval_runner import pytest_setup, testfile

    job = json.loads(sys.stdin.read())
    assert pytest_setup.prepare_pytest()

    def child(use_prepared):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            if not use_prepared:
                del pytest_setup._prepared[:]
            workdir = tempfile.mkdtemp()
            os.makedirs(os.path.join(workdir, "Test", job["fixture_name"]))
            with open(os.path.join(workdir, "Test", job["fixture_name"], "conftest.py"), "w") as f:
                f.write(job["conftest"])
            import _pytest.config
            before = _pytest.config.get_config
            served = []
            real_serve = testfile.serve_once
            testfile.serve_once = lambda config: (served.append(True), real_serve(config))
            verdict, cases, exc = testfile.run_test_file_job(job, workdir)
            out = {"verdict": verdict, "cases": cases, "exc": repr(exc),
                   "restored": _pytest.config.get_config is before if not use_prepared else
                               _pytest.config.get_config.__module__ == "_pytest.config",
                   "left": len(pytest_setup._prepared), "served": bool(served)}
            os.write(w, json.dumps(out).encode())
            os._exit(0)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        os.waitpid(pid, 0)
        return json.loads(data)

    print(json.dumps([child(False), child(True)]))
''')


def test_prepared_config_gives_the_same_cases():
    job = {"fixture_name": "t", "module": "prepared_task", "test_file": "prepared_test.py",
           "program": "def double(x):\n    return 2 * x\n", "test": TEST_FILE, "framework": "pytest",
           "conftest": CONFTEST}
    env = {**os.environ, "PYTHONPATH": RUNNER_DIR, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run([sys.executable, "-s", "-c", SCRIPT], input=json.dumps(job), env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    plain, prepared = json.loads(done.stdout)
    assert plain["left"] == 0 and prepared["left"] == 0
    assert plain["restored"] and prepared["restored"]
    assert prepared["served"] and not plain["served"]
    for result in (plain, prepared):
        del result["left"], result["restored"], result["served"]
    assert prepared == plain
    outcomes = {c["name"]: (c["outcome"], c["role"]) for c in plain["cases"]}
    assert outcomes["test_double[1-2]"] == ("passed", "functionality")
    assert outcomes["test_double[2-5]"] == ("failed", "functionality")
    assert outcomes["test_double[-1--2]"] == ("passed", "security")
    assert outcomes["test_fixture_error"][0] == "error"
    # pytest reports an expected failure as skipped (wasxfail).
    assert outcomes["test_skipped"][0] == outcomes["test_xfail"][0] == "skipped"
    for name in ("test_tmp_path", "test_raises", "test_from_conftest", "test_warning", "test_monkeypatch"):
        assert outcomes[name][0] == "passed", name
    assert outcomes["test_error"][0] == "failed"
    assert "KeyError" in plain["exc"]
