"""One job from the parent's side: workspace, fork, capture, deadline, cleanup.

The child's stdin is /dev/null (a module-level input() raises EOFError at once instead of
waiting for the timeout), its stdout and stderr are pipes the parent keeps the tails of,
and its verdict comes back on a third, private pipe, tagged with a nonce the child makes and
announces on that pipe's first line (see channel.py).
"""

import os
import select
import shutil
import signal
import sys
import time

from .child import PROGRAM_FILE, child_main, confine
from .protocol import OUTPUT_LIMIT, TAIL_CHARS
from .limits import counters, hits
from .scratch import reset as reset_scratch
from .verdict import SETUP_FAILED, SETUP_FAILED_STATUS, child_messages, decide, hello_nonce

IN_PID_NAMESPACE = os.environ.get("CODESECEVAL_PIDNS") == "1"
# The child's verdict is one short line; more than this is junk and only its end is kept.
REPORT_KEEP = 65536
# The child's first line on that pipe, {"hello": nonce}: short.
HELLO_MAX = 256


def _leftovers(me):
    """Processes the last sample left behind. In the worker's own PID namespace that is
    every process but bwrap's init (pid 1) and this runner. Without a namespace
    (--sandbox none) it is only what was reparented to us as subreaper, or still in a
    sample's process group."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid in (1, me):
            continue
        if IN_PID_NAMESPACE:
            found.append(pid)
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) == me:
                found.append(pid)
        except (OSError, IndexError, ValueError):
            pass
    return found


def kill_all_others():
    """Kill what the last sample left running, repeatedly, until none is left (a fork
    bomb refills the table while it is being emptied)."""
    me = os.getpid()
    for _ in range(200):
        victims = _leftovers(me)
        if not victims:
            return True
        for pid in victims:
            try:
                if not IN_PID_NAMESPACE:
                    os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        # reap our own zombies; orphans are reaped by pid 1 or by us as subreaper
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        time.sleep(0.002)
    return False


# The sample in flight (its pid leads its own process group), for on_terminate.
_running = None


def on_terminate(signum, _frame):
    """Our own shutdown (the engine's abort or close): the sample in flight and whatever it
    started go with us. Without a PID namespace (--sandbox none) nothing else would stop
    them: the sample is in a session of its own, out of reach of a kill of the runner."""
    if _running is not None:
        try:
            os.killpg(_running, signal.SIGKILL)
        except OSError:
            pass
    kill_all_others()
    os._exit(128 + signum)


PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option, value):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value})")


def set_subreaper():
    """Orphans of a sample are reparented to us, so we can reap them."""
    try:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    except Exception:
        pass


def set_dumpable(on):
    """A process that is not dumpable cannot be ptraced, nor its memory, descriptors
    (pidfd_getfd, /proc/<pid>/fd) or environment read, by a process of the same uid without
    CAP_SYS_PTRACE. The runner makes itself so: without root, samples run under its uid."""
    _prctl(PR_SET_DUMPABLE, 1 if on else 0)


def prepare_workspace(job):
    workdir = os.path.join(job["workspace_root"], f"s{job['id']}")
    if os.path.exists(workdir):
        shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    test_dir = os.path.join(workdir, "Test", job["fixture_name"])
    src = job.get("fixtures")
    if src and os.path.isdir(src):
        shutil.copytree(src, test_dir, symlinks=False)
    else:
        os.makedirs(test_dir)
    with open(os.path.join(workdir, PROGRAM_FILE), "w", encoding="utf-8") as f:
        f.write(job["program"])
    # The copy belongs to the sample and is writable, like a fresh checkout: upstream
    # fixtures may be read-only where they are stored, and tests delete and rewrite them.
    uid = job.get("uid")
    drop = uid is not None and os.geteuid() == 0
    for root, dirs, files in os.walk(workdir):
        os.chmod(root, 0o755)
        if drop:
            os.lchown(root, uid, uid)
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            mode = os.stat(path).st_mode
            os.chmod(path, 0o755 if mode & 0o111 else 0o644)
            if drop:
                os.lchown(path, uid, uid)
    return workdir


def _start_child(job, workdir, out_r, out_w, err_r, err_w, res_r, res_w):
    """In the forked child: wire the descriptors, confine, run. Never returns."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.close(out_r)
        os.close(err_r)
        os.close(res_r)
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        keep = res_w
        os.closerange(3, keep)
        os.closerange(keep + 1, 65536)
        # sys.stdin is the zygote's job stream and may hold buffered job lines: the sample
        # gets a fresh reader on /dev/null instead.
        sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="replace", closefd=False)
        confine(job, workdir)
        child_main(job, workdir, keep)
    except BaseException as e:
        try:
            os.write(2, f"codeseceval runner: {SETUP_FAILED}: {e!r}\n".encode())
        finally:
            os._exit(SETUP_FAILED_STATUS)


def run_job(job):
    """Run one parsed job to its result line."""
    started = time.monotonic()
    workdir = prepare_workspace(job)
    cgroups = job.get("cgroups", [])
    limits_before = counters(cgroups)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    global _running
    pid = os.fork()
    if pid == 0:
        _start_child(job, workdir, out_r, out_w, err_r, err_w, res_r, res_w)
    _running = pid
    os.close(out_w)
    os.close(err_w)
    os.close(res_w)

    buffers = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    # Kept apart from the rest of the pipe, so a sample that floods the pipe cannot push it out.
    hello = bytearray()
    hello_done = False
    total_output = 0
    deadline = started + float(job["timeout"])
    open_fds = [out_r, err_r, res_r]
    timed_out = False
    output_exceeded = False
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    exited = False
    wait_status = None

    def drain(fds, wait):
        nonlocal total_output, hello_done
        ready, _, _ = select.select(fds + ([pidfd] if pidfd is not None and not exited else []), [], [], wait)
        for fd in ready:
            if fd == pidfd:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                open_fds.remove(fd)
                continue
            if fd == res_r and not hello_done:
                hello.extend(chunk)
                end = hello.find(b"\n")
                if end == -1 and len(hello) <= HELLO_MAX:
                    continue
                hello_done = True
                chunk = bytes(hello[end + 1:]) if end != -1 else b""
                del hello[end if end != -1 else 0:]
            buf = buffers[fd]
            buf += chunk
            if fd != res_r:
                total_output += len(chunk)
                if len(buf) > 4 * TAIL_CHARS:
                    del buf[: len(buf) - 4 * TAIL_CHARS]
            elif len(buf) > REPORT_KEEP:
                del buf[:-REPORT_KEEP]

    while not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        drain(list(open_fds), min(remaining, 0.5 if pidfd is not None else 0.02))
        if total_output > OUTPUT_LIMIT:
            output_exceeded = True
            break
        got, st = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            exited = True
            wait_status = st

    # The sample's own process group goes first, whether or not its leader has exited.
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not exited:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _, wait_status = os.waitpid(pid, 0)
    _running = None
    duration_ms = int((time.monotonic() - started) * 1000)
    # Leftover processes (background children, fork bombs) die before the next sample.
    kill_all_others()
    while open_fds:
        before = len(open_fds)
        drain(list(open_fds), 0.05)
        if len(open_fds) == before:
            break
    for fd in (out_r, err_r, res_r):
        try:
            os.close(fd)
        except OSError:
            pass
    if pidfd is not None:
        os.close(pidfd)
    clean = reset_scratch(job["workspace_root"], job.get("uid"))

    report, notes = child_messages(bytes(buffers[res_r]), hello_nonce(bytes(hello)) if hello_done else None)
    result = decide(
        job["id"], job["timeout"], duration_ms, bytes(buffers[out_r]), bytes(buffers[err_r]),
        report, notes, wait_status, timed_out=timed_out, output_exceeded=output_exceeded,
        limits_hit=hits(limits_before, counters(cgroups)) if cgroups else set(),
        limits={"memory_mb": job["memory_mb"], "max_procs": job["max_procs"]},
    )
    if not clean:
        # What the sample left could not be removed: this sandbox must not run another.
        result["retire"] = True
    return result
