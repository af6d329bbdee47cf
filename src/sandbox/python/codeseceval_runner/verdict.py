"""Verdicts as pure functions: what the child saw, and how the job ended, into a result.

Two halves. In the child, `exception_verdict` turns the exception that ended a run into a
status and detail, and `missing_module` / `network_failure_text` name environment failures.
In the parent, `child_messages` reads the child's private pipe and `decide` combines its
report with the exit status and the limits that fired. Nothing here touches processes or
files, so all of it is unit-tested (test/python).
"""

import json
import os
import re
import signal
import traceback

from .protocol import OUTPUT_LIMIT, tail
from .soft import describe

DETAIL_CHARS = 500
# A report's detail as passed on (soft-assert summaries are longer than one exception's).
REPORT_DETAIL_CHARS = 2000
SETUP_FAILED = "child setup failed"
# The child's own exit status when it could not even start the candidate (limits, uid).
SETUP_FAILED_STATUS = 70

_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_NO_MODULE = re.compile(r"No module named '([^']+)'")
# Resolver and routing failures as C libraries word them (psycopg2, libcurl, ...), for
# clients that open sockets below Python's audit hooks.
_NETWORK_TEXTS = (
    "Temporary failure in name resolution",
    "Name or service not known",
    "No address associated with hostname",
    "Network is unreachable",
    "could not translate host name",
)


class Verdict(Exception):
    """Raised inside the child when the runner itself decides (syntax error, no check())."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def test_line(tb, filename):
    """The innermost line of the traceback that lies in the Test."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def exception_verdict(exc, test_file):
    """Status and detail for the exception that ended a child's run before check returned."""
    if isinstance(exc, Verdict):
        # The runner raises Verdicts for errors only. Whatever a sample raises, however it
        # dresses it up as one, it never reads as a pass.
        return {"status": "error", "detail": str(exc.detail)[:DETAIL_CHARS]}
    if isinstance(exc, AssertionError):
        line = test_line(exc.__traceback__, test_file)
        where = f" at test line {line}" if line else ""
        msg = f": {exc}" if str(exc) else ""
        return {"status": "failed", "detail": f"AssertionError{where}{msg}"[:DETAIL_CHARS]}
    if isinstance(exc, MemoryError):
        return {"status": "memory", "detail": "MemoryError: memory limit reached"}
    if isinstance(exc, SystemExit):
        return {"status": "error", "detail": f"SystemExit({exc.code!r}) before check() returned"}
    return {"status": "error", "detail": describe(exc)[:DETAIL_CHARS]}


def wants_traceback(exc):
    """Unexpected exceptions get their traceback on the sample's stderr, as a script's would."""
    return not isinstance(exc, (Verdict, AssertionError, MemoryError, SystemExit, RecursionError))


def _chain(exc, limit=10):
    seen = set()
    while exc is not None and id(exc) not in seen and len(seen) < limit:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ if exc.__cause__ is not None else exc.__context__


def missing_module(exc):
    """The module whose absence ended the run, or None.

    It is the first module the import system could not find: the top-level name when the
    whole package is absent (`scipy`), a dotted name when the package exists but not that
    part of it (`google.cloud`). Causes and contexts count too, since answers often turn
    the ImportError into their own exit (`except ImportError: sys.exit("install numpy")`).
    """
    for e in _chain(exc):
        if not isinstance(e, ImportError):
            continue
        name = e.name if isinstance(e, ModuleNotFoundError) else None
        if not name:
            found = _NO_MODULE.search(str(e))
            name = found.group(1) if found else None
        if name and _MODULE_NAME.match(name):
            return name
    return None


def network_failure_text(exc):
    """True when the exception (or its cause) reads as a failed name lookup or route."""
    for e in _chain(exc):
        text = str(e)
        if any(marker in text for marker in _NETWORK_TEXTS):
            return True
    return False


def hello_nonce(line):
    """The nonce from the child's first line on its private pipe ({"hello": nonce}), or None."""
    try:
        msg = json.loads(line.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    nonce = msg.get("hello") if isinstance(msg, dict) else None
    return nonce if isinstance(nonce, str) and len(nonce) >= 16 else None


def child_messages(data, nonce):
    """The child's report (its last verdict line carrying the nonce) and its notes.

    Lines without the nonce are ignored: anything the candidate writes to stray file
    descriptors, or a forged verdict, must never count."""
    report, notes = None, set()
    if nonce is None:
        return report, notes
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if not isinstance(msg, dict) or msg.get("nonce") != nonce:
            continue
        if "status" in msg:
            report = msg
        elif isinstance(msg.get("note"), str):
            notes.add(msg["note"])
    return report, notes


def _signal_name(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def _limit_detail(hit, limits):
    if "memory" in hit:
        mb = limits.get("memory_mb")
        return (f"memory limit of the whole sample reached ({mb:g} MiB for all its processes and the files "
                "it wrote): the kernel killed a process")
    return f"process limit of the whole sample reached ({limits.get('max_procs')} processes and threads at once)"


def decide(job_id, timeout, duration_ms, stdout, stderr, report, notes, wait_status,
           timed_out=False, output_exceeded=False, limits_hit=frozenset(), limits=None):
    """The result line for one job.

    `report` is the child's verdict message (or None), `notes` what it noted on the way,
    `wait_status` the raw status from waitpid, `timed_out`/`output_exceeded` the limits the
    parent enforced, `limits_hit` the whole-sample limits (cgroup) the kernel reports hit. A
    pass needs the child's report *and* a clean exit: a sample that reported and then died
    does not pass. A sample that did not pass and hit a whole-sample limit ends as
    `resource`: the limit, not its code, is the likelier cause of what followed.
    """
    result = {"id": job_id, "duration_ms": duration_ms, "stdout_tail": tail(stdout), "stderr_tail": tail(stderr)}
    accepted = False
    if timed_out:
        result.update(status="timeout", detail=f"no verdict within {timeout} s")
    elif output_exceeded:
        result.update(status="killed", detail=f"output limit exceeded ({OUTPUT_LIMIT // (1024 * 1024)} MiB)")
    elif report is not None and os.WIFEXITED(wait_status) and os.WEXITSTATUS(wait_status) == 0:
        accepted = True
        detail = report["detail"] if isinstance(report.get("detail"), str) else ""
        result.update(status=report["status"], detail=detail[:REPORT_DETAIL_CHARS])
        if "soft" in report:
            result["soft"] = report["soft"]
        if isinstance(report.get("cases"), list):
            result["cases"] = report["cases"]
    elif os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig == signal.SIGXFSZ:
            result.update(status="killed", detail="file size limit exceeded (SIGXFSZ)")
        else:
            result.update(status="killed", detail=f"killed by {_signal_name(sig)} before check() returned")
    else:
        code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
        if code == SETUP_FAILED_STATUS and SETUP_FAILED.encode() in stderr:
            result.update(status="sandbox-error", detail=tail(stderr).strip()[-300:])
        else:
            result.update(status="error", detail=f"exited with status {code} before check() returned")

    if result["status"] == "passed":
        return result
    if limits_hit:
        result.update(status="resource", detail=_limit_detail(limits_hit, limits or {}))
        return result
    network = "network" in notes or (accepted and report.get("network") is True)
    if network:
        result["network"] = True
        result["detail"] = f"tried to reach the network: {result['detail']}"
    missing = report.get("missing_module") if accepted else None
    if isinstance(missing, str) and _MODULE_NAME.match(missing):
        result["missing_module"] = missing
        result["detail"] = f"missing module {missing}: {result['detail']}"
    return result
