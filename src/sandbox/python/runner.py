"""codeseceval execution runner (a "zygote").

Started once per worker, inside the sandbox. It imports the heavy modules the dataset uses,
then reads one JSON job per line on stdin and, for each, forks a child that runs the
candidate program and the task's test in a fresh workspace. Forking from a parent that has
already paid for `import flask` is what makes the engine fast; every child starts from the
same pristine parent, so nothing one sample does leaks into the next.

A sample passes only when its child reports, over a private pipe and with the job's nonce,
that `check(candidate)` returned. Exiting early (with any status), os._exit(0), dying by a
signal or writing junk to file descriptors all lack that report and never read as a pass.

Protocol (stdout, one JSON object per line): {"ready": true, ...} once, then one result per
job: {"id", "status", "detail", "duration_ms", "stdout_tail", "stderr_tail", "soft"?}.
"""

import ast
import builtins
import importlib
import json
import os
import resource
import secrets
import select
import shutil
import signal
import sys
import time
import traceback
import types

PROTOCOL_OUT = sys.stdout
TAIL_CHARS = 2000
OUTPUT_LIMIT = 16 * 1024 * 1024
SOFT_RECORD = "__codeseceval_soft_record__"
SOFT_HIT = "__codeseceval_soft_hit__"

# Heavy third-party and stdlib modules the dataset imports; whichever exist are preloaded.
PRELOAD = [
    "flask", "werkzeug", "jinja2", "yaml", "lxml.etree", "bleach", "jwt", "sqlite3",
    "PIL.Image", "defusedxml.ElementTree", "cryptography.fernet", "requests", "psutil",
    "Cryptodome.Cipher.AES", "xml.etree.ElementTree", "xml.sax", "unittest.mock",
    "subprocess", "tempfile", "pickle", "hashlib", "hmac", "secrets", "json", "re",
    "html", "urllib.request", "shutil", "logging", "io", "ctypes", "tarfile", "zipfile",
]


def preload():
    loaded = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:
            pass
    return loaded


def warm_up():
    """Exercise the libraries' common paths once, so their lazy imports and caches are
    filled in the parent and not paid again by every forked sample."""
    try:
        import flask

        app = flask.Flask("codeseceval_warmup")
        app.secret_key = "warm-up"

        @app.route("/w", methods=["GET", "POST"])
        def _w():
            flask.session["k"] = flask.request.args.get("q", "")
            if flask.request.method == "POST":
                return flask.jsonify(flask.request.form.to_dict())
            return flask.make_response(flask.render_template_string("<p>{{ q }}</p>", q=flask.escape("<x>") if hasattr(flask, "escape") else "x"))

        with app.test_client() as client:
            client.get("/w?q=1")
            client.post("/w", data={"a": "b"})
            client.get("/missing")
        with app.test_request_context("/w?q=2"):
            flask.redirect("/w")
    except Exception:
        pass
    for warm in (
        lambda: __import__("yaml").safe_load("a: [1, 2]"),
        lambda: __import__("lxml.etree").etree.fromstring(b"<a><b/></a>"),
        lambda: __import__("jwt").decode(__import__("jwt").encode({"a": 1}, "k", algorithm="HS256"), "k", algorithms=["HS256"]),
        lambda: __import__("sqlite3").connect(":memory:").execute("select 1").fetchall(),
        lambda: __import__("bleach").clean("<script>x</script>"),
        lambda: __import__("defusedxml.ElementTree").ElementTree.fromstring("<a/>"),
    ):
        try:
            warm()
        except Exception:
            pass


def send(obj):
    PROTOCOL_OUT.write(json.dumps(obj) + "\n")
    PROTOCOL_OUT.flush()


def tail(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text[-TAIL_CHARS:]


# ---------------------------------------------------------------------------- soft mode


class _SoftTransformer(ast.NodeTransformer):
    """Rewrites every assert in `check` to record instead of raise, so one failing assert
    does not hide the verdicts of the ones after it. Nested functions keep their asserts."""

    def __init__(self):
        self.assert_lines = []
        # assert line -> line of the top-level statement of check that contains it
        self.statement_of = {}
        self.current_statement = None

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Assert(self, node):
        self.assert_lines.append(node.lineno)
        self.statement_of[node.lineno] = self.current_statement or node.lineno
        hit = ast.Expr(ast.Call(ast.Name(SOFT_HIT, ast.Load()), [ast.Constant(node.lineno)], []))
        msg = node.msg if node.msg is not None else ast.Constant(None)
        fail = ast.Expr(
            ast.Call(
                ast.Name(SOFT_RECORD, ast.Load()),
                [ast.Constant(node.lineno), ast.Constant("assert"), msg],
                [],
            )
        )
        check = ast.If(ast.UnaryOp(ast.Not(), node.test), [fail], [])
        return [ast.copy_location(hit, node), ast.copy_location(check, node)]


def soft_test_code(test_src, filename):
    """Compile the Test with `check` rewritten for soft-assert mode. Each top-level statement
    of check's body runs inside its own try block; asserts anywhere in it only record."""
    tree = ast.parse(test_src, filename)
    transformer = _SoftTransformer()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            new_body = []
            for stmt in node.body:
                transformer.current_statement = stmt.lineno
                rewritten = transformer.visit(stmt)
                if not isinstance(rewritten, list):
                    rewritten = [rewritten]
                handler = ast.ExceptHandler(
                    ast.Name("BaseException", ast.Load()),
                    "__codeseceval_exc__",
                    [
                        ast.Expr(
                            ast.Call(
                                ast.Name(SOFT_RECORD, ast.Load()),
                                [
                                    ast.Constant(stmt.lineno),
                                    ast.Constant("exception"),
                                    ast.Name("__codeseceval_exc__", ast.Load()),
                                ],
                                [],
                            )
                        )
                    ],
                )
                wrapped = ast.Try(rewritten, [handler], [], [])
                new_body.append(ast.copy_location(wrapped, stmt))
            node.body = new_body
    ast.fix_missing_locations(tree)
    lines = sorted(set(transformer.assert_lines))
    return compile(tree, filename, "exec"), lines, {line: transformer.statement_of[line] for line in lines}


# ---------------------------------------------------------------------------- the child


def _describe(exc):
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def _test_line(tb, filename):
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def child_main(job, workdir, result_fd, nonce):
    """Runs in the forked child, already confined. Never returns."""
    verdict = {"status": "error", "detail": "runner error"}
    soft = None
    program_file = os.path.join(workdir, "main.py")
    test_file = os.path.join(workdir, "<test>")
    try:
        module = types.ModuleType("__main__")
        module.__file__ = program_file
        module.__builtins__ = builtins
        sys.modules["__main__"] = module
        sys.argv = [program_file]
        sys.path[0] = workdir
        g = module.__dict__
        import random

        random.seed()
        try:
            program_code = compile(job["program"], program_file, "exec")
            if job.get("soft"):
                test_code, assert_lines, statement_of = soft_test_code(job["test"], test_file)
            else:
                test_code, assert_lines, statement_of = compile(job["test"], test_file, "exec"), [], {}
        except SyntaxError as e:
            where = "test" if e.filename == test_file else "program"
            raise _Verdict("error", f"SyntaxError in {where} at line {e.lineno}: {e.msg}")

        failures, hits = [], set()
        if job.get("soft"):
            def record(line, kind, message):
                if isinstance(message, BaseException):
                    kind = "assert" if isinstance(message, AssertionError) else kind
                    message = _describe(message)
                failures.append({"line": line, "kind": kind, "message": "" if message is None else str(message)[:500]})

            g[SOFT_RECORD] = record
            g[SOFT_HIT] = hits.add

        exec(program_code, g)
        exec(test_code, g)
        if "check" not in g:
            raise _Verdict("error", "the test defines no check()")
        if job["entry_point"] not in g:
            raise _Verdict("error", f"NameError: entry point '{job['entry_point']}' is not defined")
        g["check"](g[job["entry_point"]])
        if job.get("soft"):
            soft = {
                "assertLines": assert_lines,
                "assertStatements": [statement_of[line] for line in assert_lines],
                "executedAsserts": sorted(hits),
                "failures": failures,
            }
            if any(f["kind"] == "exception" for f in failures):
                first = next(f for f in failures if f["kind"] == "exception")
                verdict = {"status": "error", "detail": f"{first['message']} (test line {first['line']})"}
            elif failures:
                verdict = {"status": "failed", "detail": f"{len(failures)} assert(s) failed, first at test line {failures[0]['line']}"}
            else:
                verdict = {"status": "passed", "detail": ""}
        else:
            verdict = {"status": "passed", "detail": ""}
    except _Verdict as v:
        verdict = {"status": v.status, "detail": v.detail}
    except AssertionError as e:
        line = _test_line(e.__traceback__, test_file)
        where = f" at test line {line}" if line else ""
        msg = f": {e}" if str(e) else ""
        verdict = {"status": "failed", "detail": f"AssertionError{where}{msg}"[:500]}
    except MemoryError:
        verdict = {"status": "memory", "detail": "MemoryError: memory limit reached"}
    except SystemExit as e:
        verdict = {"status": "error", "detail": f"SystemExit({e.code!r}) before check() returned"}
    except RecursionError as e:
        verdict = {"status": "error", "detail": _describe(e)[:500]}
    except BaseException as e:  # the candidate may raise anything, KeyboardInterrupt included
        try:
            traceback.print_exc()
        except BaseException:
            pass
        verdict = {"status": "error", "detail": _describe(e)[:500]}
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    message = {"nonce": nonce, **verdict}
    if soft is not None:
        message["soft"] = soft
    try:
        os.write(result_fd, (json.dumps(message) + "\n").encode())
    except BaseException:
        pass
    os._exit(0)


class _Verdict(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def confine(job, workdir):
    """Limits and identity for the child, applied before any candidate code runs."""
    os.setsid()
    os.chdir(workdir)
    mem = int(job["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fsize = int(job["file_size_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = int(job["max_procs"])
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    uid = job.get("uid")
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    for name in [k for k in os.environ if k.startswith("CODESECEVAL_")]:
        del os.environ[name]
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = "/tmp"


# ---------------------------------------------------------------------------- the parent


IN_PID_NAMESPACE = os.environ.get("CODESECEVAL_PIDNS") == "1"


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


def set_subreaper():
    """Orphans of a sample are reparented to us, so we can reap them."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


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
    with open(os.path.join(workdir, "main.py"), "w", encoding="utf-8") as f:
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


def run_job(job):
    started = time.monotonic()
    workdir = prepare_workspace(job)
    nonce = secrets.token_hex(16)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
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
            confine(job, workdir)
            child_main(job, workdir, keep, nonce)
        except BaseException as e:
            try:
                os.write(2, f"codeseceval runner: child setup failed: {e!r}\n".encode())
            finally:
                os._exit(70)
    os.close(out_w)
    os.close(err_w)
    os.close(res_w)

    buffers = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    total_output = 0
    deadline = started + float(job["timeout"])
    open_fds = [out_r, err_r, res_r]
    status = None
    timed_out = False
    output_exceeded = False
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    exited = False
    wait_status = None

    def drain(fds, wait):
        nonlocal total_output
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
            buf = buffers[fd]
            buf += chunk
            if fd != res_r:
                total_output += len(chunk)
                if len(buf) > 4 * TAIL_CHARS:
                    del buf[: len(buf) - 4 * TAIL_CHARS]
            elif len(buf) > 65536:
                del buf[:-65536]

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
    shutil.rmtree(workdir, ignore_errors=True)

    report = None
    for line in bytes(buffers[res_r]).decode("utf-8", "replace").splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("nonce") == nonce:
            report = msg
    result = {
        "id": job["id"],
        "duration_ms": duration_ms,
        "stdout_tail": tail(bytes(buffers[out_r])),
        "stderr_tail": tail(bytes(buffers[err_r])),
    }
    if timed_out:
        result.update(status="timeout", detail=f"no verdict within {job['timeout']} s")
    elif output_exceeded:
        result.update(status="killed", detail=f"output limit exceeded ({OUTPUT_LIMIT // (1024 * 1024)} MiB)")
    elif report is not None and os.WIFEXITED(wait_status) and os.WEXITSTATUS(wait_status) == 0:
        result.update(status=report["status"], detail=report["detail"])
        if "soft" in report:
            result["soft"] = report["soft"]
    elif os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXFSZ:
            result.update(status="killed", detail="file size limit exceeded (SIGXFSZ)")
        else:
            result.update(status="killed", detail=f"killed by {name} before check() returned")
    else:
        code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
        if code == 70 and b"child setup failed" in bytes(buffers[err_r]):
            result.update(status="sandbox-error", detail=tail(bytes(buffers[err_r])).strip()[-300:])
        else:
            result.update(status="error", detail=f"exited with status {code} before check() returned")
    return result


def main():
    set_subreaper()
    shims = os.environ.get("CODESECEVAL_SHIMS")
    if shims:
        # After the real site-packages, so a real module always wins over its shim.
        sys.path.append(shims)
    loaded = preload()
    warm_up()
    # Move everything imported so far out of the collector's reach: otherwise the first
    # collection in each child walks (and so copies, page by page) the parent's whole heap.
    import gc

    gc.collect()
    gc.freeze()
    send({"ready": True, "preloaded": loaded, "python": sys.version.split()[0], "pid": os.getpid()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            job = json.loads(line)
        except ValueError as e:
            send({"id": None, "status": "sandbox-error", "detail": f"bad job: {e}"})
            continue
        try:
            send(run_job(job))
        except Exception as e:
            kill_all_others()
            send({"id": job.get("id"), "status": "sandbox-error", "detail": f"runner: {e!r}", "duration_ms": 0,
                  "stdout_tail": "", "stderr_tail": traceback.format_exc()[-TAIL_CHARS:]})


if __name__ == "__main__":
    main()
