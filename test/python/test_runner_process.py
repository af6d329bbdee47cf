"""The real runner process, unsandboxed (the vitest suites cover it under bubblewrap)."""

import json
import os
import subprocess
import sys

import pytest

RUNNER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src", "sandbox", "python"))
CHECK_ONE = "def check(candidate):\n    assert candidate() == 1\n"


def job(job_id, program, workspace, test=CHECK_ONE, **extra):
    return {
        "id": job_id, "program": program, "test": test, "entry_point": "solve", "fixtures": None,
        "fixture_name": "T_1", "timeout": 20, "memory_mb": 1024, "file_size_mb": 64, "max_procs": 64,
        "uid": None, "workspace_root": str(workspace), "soft": False, **extra,
    }


def run_runner(jobs):
    """Feed every job at once (so the runner's stdin buffer holds the later ones while the
    first runs) and return the result lines, in order, after the ready line."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "CODESECEVAL_SHIMS": os.path.join(RUNNER_DIR, "shims")}
    text = "".join(json.dumps(j) + "\n" for j in jobs)
    done = subprocess.run([sys.executable, "-s", os.path.join(RUNNER_DIR, "runner.py")], input=text, env=env,
                          capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["ready"] is True
    return lines[1:]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ws")
    jobs = [
        # 0: a main guard stays shut; the candidate is the module `candidate`
        job(0, "import sys\nNAME = __name__\nMAIN_IS_ME = sys.modules['__main__'].__dict__ is globals()\n"
               "def solve():\n    return 1\nif __name__ == '__main__':\n    while True:\n        pass\n", ws,
            test="def check(candidate):\n    assert NAME == 'candidate', NAME\n    assert MAIN_IS_ME\n    assert candidate() == 1\n"),
        # 1: input() at import time meets end of file at once, not the next job line
        job(1, "answer = input('name? ')\ndef solve():\n    return 1\n", ws),
        # 2: a module nobody ships
        job(2, "import scipy_not_here_xyz\ndef solve():\n    return 1\n", ws),
        # 3: classes of the candidate pickle, and check sees the candidate's globals
        job(3, "import pickle\nclass P:\n    pass\nCOPY = pickle.loads(pickle.dumps(P()))\ndef solve():\n    return 1\n", ws,
            test="def check(candidate):\n    assert isinstance(COPY, P)\n    assert candidate() == 1\n"),
        # 4: soft mode, with a missing module inside check
        job(4, "def solve():\n    return 1\n", ws, soft=True,
            test="def check(candidate):\n    assert candidate() == 2\n    import nope_xyz\n    assert candidate() == 1\n"),
        # 5: a bad line between good ones costs only itself
        {"id": 5},
        job(6, "def solve():\n    return 1\n", ws),
    ]
    return run_runner(jobs), ws


def test_main_guard_stays_shut_and_the_module_is_candidate(results):
    lines, _ = results
    assert lines[0]["id"] == 0
    assert (lines[0]["status"], lines[0]["detail"]) == ("passed", "")


def test_input_gets_end_of_file(results):
    r = results[0][1]
    assert (r["status"], r["detail"]) == ("error", "EOFError: EOF when reading a line")
    assert r["stdout_tail"] == "name? "


def test_missing_module(results):
    r = results[0][2]
    assert r["status"] == "error"
    assert r["missing_module"] == "scipy_not_here_xyz"
    assert r["detail"] == "missing module scipy_not_here_xyz: ModuleNotFoundError: No module named 'scipy_not_here_xyz'"
    assert "network" not in r


def test_pickle_and_shared_globals(results):
    r = results[0][3]
    assert (r["status"], r["detail"]) == ("passed", "")


def test_soft_outcome(results):
    r = results[0][4]
    assert r["status"] == "error"
    assert r["missing_module"] == "nope_xyz"
    assert r["detail"] == "missing module nope_xyz: ModuleNotFoundError: No module named 'nope_xyz' (test line 3)"
    assert r["soft"] == {
        "assertLines": [2, 4], "assertStatements": [2, 4], "executedAsserts": [2, 4],
        "failures": [
            {"line": 2, "kind": "assert", "message": ""},
            {"line": 3, "kind": "exception", "message": "ModuleNotFoundError: No module named 'nope_xyz'"},
        ],
    }


def test_a_bad_job_line_then_the_next_job_runs(results):
    lines, ws = results
    assert lines[5] == {"id": 5, "status": "sandbox-error", "detail": "bad job: field 'program' is missing",
                        "duration_ms": 0, "stdout_tail": "", "stderr_tail": ""}
    assert (lines[6]["id"], lines[6]["status"]) == (6, "passed")
    assert len(lines) == 7
    assert os.listdir(ws) == []  # every workspace removed


def test_no_bytecode_in_the_runner_folder(results):
    for root, dirs, _ in os.walk(RUNNER_DIR):
        assert "__pycache__" not in dirs, root
