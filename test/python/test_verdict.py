import json
import signal

import pytest

from codeseceval_runner.verdict import (
    Verdict,
    child_messages,
    decide,
    exception_verdict,
    missing_module,
    network_failure_text,
    wants_traceback,
)

TEST_FILE = "/ws/s1/<test>"
NONCE = "n0nce"


def exited(code):
    """A raw waitpid status for a normal exit."""
    return code << 8


def killed(sig):
    return int(sig)


def raised(src, filename=TEST_FILE):
    """The exception `src` raises when run as if it were the Test (real traceback)."""
    try:
        exec(compile(src, filename, "exec"), {})
    except BaseException as e:  # noqa: B036 - SystemExit is one of the cases
        return e
    raise AssertionError("did not raise")


# ------------------------------------------------------------------ exception_verdict


def test_assertion_names_the_innermost_test_line_and_message():
    e = raised("def check():\n    x = 1\n    assert x == 2, 'wanted two'\ncheck()\n")
    assert exception_verdict(e, TEST_FILE) == {"status": "failed", "detail": "AssertionError at test line 3: wanted two"}


def test_assertion_outside_the_test_has_no_line():
    e = raised("assert False\n", "/ws/s1/main.py")
    assert exception_verdict(e, TEST_FILE) == {"status": "failed", "detail": "AssertionError"}


def test_assertion_detail_is_cut_at_500():
    e = raised("assert False, 'x' * 900\n")
    assert len(exception_verdict(e, TEST_FILE)["detail"]) == 500


@pytest.mark.parametrize(
    "exc, expected",
    [
        (MemoryError(), {"status": "memory", "detail": "MemoryError: memory limit reached"}),
        (SystemExit(0), {"status": "error", "detail": "SystemExit(0) before check() returned"}),
        (SystemExit(), {"status": "error", "detail": "SystemExit(None) before check() returned"}),
        (SystemExit("bye"), {"status": "error", "detail": "SystemExit('bye') before check() returned"}),
        (KeyError("k"), {"status": "error", "detail": "KeyError: 'k'"}),
        (KeyboardInterrupt(), {"status": "error", "detail": "KeyboardInterrupt"}),
        (RecursionError("maximum recursion depth exceeded"), {"status": "error", "detail": "RecursionError: maximum recursion depth exceeded"}),
        (Verdict("error", "the test defines no check()"), {"status": "error", "detail": "the test defines no check()"}),
    ],
)
def test_exception_verdicts(exc, expected):
    assert exception_verdict(exc, TEST_FILE) == expected


def test_tracebacks_only_for_unexpected_exceptions():
    assert wants_traceback(KeyError("k"))
    assert wants_traceback(ModuleNotFoundError("No module named 'x'", name="x"))
    for exc in (AssertionError(), MemoryError(), SystemExit(1), RecursionError(), Verdict("error", "x")):
        assert not wants_traceback(exc)


# ------------------------------------------------------------------ environment failures


def test_missing_module_is_the_first_module_not_found():
    assert missing_module(raised("import scipy_not_here_xyz\n")) == "scipy_not_here_xyz"
    # the package exists, one of its submodules does not
    assert missing_module(raised("import json.no_such_part\n")) == "json.no_such_part"
    assert missing_module(raised("import no_pkg_xyz.sub.mod\n")) == "no_pkg_xyz"


def test_missing_module_seen_behind_the_answers_own_exit():
    src = "try:\n    import numpy_absent_xyz\nexcept ImportError:\n    raise SystemExit('please pip install numpy')\n"
    e = raised(src)
    assert isinstance(e, SystemExit)
    assert missing_module(e) == "numpy_absent_xyz"
    e = raised("try:\n    import nope_xyz\nexcept ImportError as e:\n    raise RuntimeError('needs it') from e\n")
    assert missing_module(e) == "nope_xyz"


def test_missing_module_from_a_plain_import_error_message():
    assert missing_module(ImportError("No module named 'yaml'")) == "yaml"


def test_not_missing_modules():
    assert missing_module(raised("from json import no_such_name\n")) is None
    assert missing_module(KeyError("No module named 'x'")) is None
    assert missing_module(ImportError("No module named 'bad name; rm -rf'")) is None
    assert missing_module(ModuleNotFoundError("weird", name="")) is None


def test_missing_module_survives_a_cycle_in_the_chain():
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    assert missing_module(a) is None


def test_network_failure_text():
    assert network_failure_text(OSError(101, "Network is unreachable"))
    assert network_failure_text(RuntimeError('could not translate host name "db" to address: Temporary failure in name resolution'))
    outer = ValueError("request failed")
    outer.__cause__ = OSError(-2, "Name or service not known")
    assert network_failure_text(outer)
    assert not network_failure_text(ConnectionRefusedError(111, "Connection refused"))
    assert not network_failure_text(KeyError("host"))


# ------------------------------------------------------------------ the child's pipe


def test_child_messages_keep_only_lines_with_the_nonce():
    data = "\n".join([
        json.dumps({"nonce": "forged", "status": "passed", "detail": ""}),
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"nonce": NONCE, "note": "network"}),
        json.dumps({"nonce": NONCE, "status": "failed", "detail": "first"}),
        json.dumps({"nonce": NONCE, "status": "error", "detail": "last"}),
        json.dumps({"nonce": "forged", "status": "passed", "detail": ""}),
    ]).encode() + b"\n\xff\xfe torn"
    report, notes = child_messages(data, NONCE)
    assert report == {"nonce": NONCE, "status": "error", "detail": "last"}
    assert notes == {"network"}


def test_child_messages_without_a_verdict():
    assert child_messages(b"", NONCE) == (None, set())
    assert child_messages(json.dumps({"nonce": NONCE, "note": "network"}).encode(), NONCE) == (None, {"network"})


# ------------------------------------------------------------------ decide


def result(report=None, notes=(), wait_status=exited(0), stdout=b"", stderr=b"", **kw):
    return decide(7, 5, 42, stdout, stderr, report, set(notes), wait_status, **kw)


def report(status="passed", detail="", **extra):
    return {"nonce": NONCE, "status": status, "detail": detail, **extra}


def test_a_pass_needs_the_report_and_a_clean_exit():
    r = result(report(), stdout=b"out", stderr=b"err")
    assert r == {"id": 7, "duration_ms": 42, "stdout_tail": "out", "stderr_tail": "err", "status": "passed", "detail": ""}
    assert result(report(), wait_status=exited(3))["status"] == "error"
    assert result(report(), wait_status=exited(3))["detail"] == "exited with status 3 before check() returned"
    assert result(report(), wait_status=killed(signal.SIGKILL))["status"] == "killed"


def test_no_report():
    assert result(None, wait_status=exited(0)) == {
        "id": 7, "duration_ms": 42, "stdout_tail": "", "stderr_tail": "",
        "status": "error", "detail": "exited with status 0 before check() returned",
    }
    r = result(None, wait_status=killed(signal.SIGSEGV))
    assert (r["status"], r["detail"]) == ("killed", "killed by SIGSEGV before check() returned")
    r = result(None, wait_status=killed(signal.SIGXFSZ))
    assert (r["status"], r["detail"]) == ("killed", "file size limit exceeded (SIGXFSZ)")


def test_a_child_that_could_not_start_is_a_sandbox_error():
    err = b"codeseceval runner: child setup failed: PermissionError(1, 'Operation not permitted')\n"
    r = result(None, wait_status=exited(70), stderr=err)
    assert r["status"] == "sandbox-error"
    assert r["detail"] == err.decode().strip()
    # the same status without the runner's own words is the sample's exit
    assert result(None, wait_status=exited(70), stderr=b"sys.exit(70)")["status"] == "error"


def test_limits_come_before_any_report():
    r = result(report(), timed_out=True, wait_status=killed(signal.SIGKILL))
    assert (r["status"], r["detail"]) == ("timeout", "no verdict within 5 s")
    r = result(report(), output_exceeded=True, wait_status=killed(signal.SIGKILL))
    assert (r["status"], r["detail"]) == ("killed", "output limit exceeded (16 MiB)")


def test_tails_keep_the_last_2000_characters():
    r = result(report(), stdout=b"a" * 3000 + b"b" * 2000, stderr="é".encode() * 10 + b"\xff")
    assert r["stdout_tail"] == "b" * 2000
    assert r["stderr_tail"] == "é" * 10 + "\ufffd"


def test_soft_outcome_passes_through():
    soft = {"assertLines": [2], "assertStatements": [2], "executedAsserts": [2], "failures": []}
    assert result(report(soft=soft))["soft"] == soft


def test_missing_module_is_named_in_field_and_detail():
    r = result(report("error", "ModuleNotFoundError: No module named 'scipy'", missing_module="scipy"))
    assert r["status"] == "error"
    assert r["missing_module"] == "scipy"
    assert r["detail"] == "missing module scipy: ModuleNotFoundError: No module named 'scipy'"


def test_missing_module_only_from_an_accepted_report_and_a_sane_name():
    r = result(report("error", "x", missing_module="scipy"), wait_status=exited(1))
    assert "missing_module" not in r
    r = result(report("error", "x", missing_module="a b"))
    assert "missing_module" not in r and r["detail"] == "x"
    r = result(report("error", "x", missing_module=["scipy"]))
    assert "missing_module" not in r


def test_network_from_a_note_even_when_the_child_never_reported():
    r = result(None, notes={"network"}, timed_out=True, wait_status=killed(signal.SIGKILL))
    assert r["status"] == "timeout"
    assert r["network"] is True
    assert r["detail"] == "tried to reach the network: no verdict within 5 s"


def test_network_from_the_report():
    r = result(report("error", "URLError: <urlopen error [Errno -3] Temporary failure in name resolution>", network=True))
    assert r["network"] is True and r["detail"].startswith("tried to reach the network: URLError")
    assert "network" not in result(report("error", "x", network="yes"))


def test_a_pass_is_never_marked():
    r = result(report(network=True, missing_module="scipy"), notes={"network"})
    assert r["status"] == "passed" and r["detail"] == ""
    assert "network" not in r and "missing_module" not in r


def test_both_marks():
    r = result(report("error", "E", network=True, missing_module="psycopg2"))
    assert r["detail"] == "missing module psycopg2: tried to reach the network: E"
