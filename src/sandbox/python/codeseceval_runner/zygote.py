"""The fork server: pay for imports once, then fork one child per job.

Forking from a parent that has already imported (and exercised) Flask and friends is what
makes the engine fast; every child starts from the same pristine parent, so nothing one
sample does leaks into the next.
"""

import gc
import importlib
import os
import signal
import sys
import traceback

from .protocol import BadJob, encode, error_line, parse_job, ready_line
from .supervise import kill_all_others, on_terminate, run_job, set_dumpable, set_subreaper
from .testfile import prepare_pytest, warm_up_frameworks

# Heavy third-party and stdlib modules the dataset imports; whichever exist are preloaded.
PRELOAD = [
    "flask", "werkzeug", "jinja2", "yaml", "lxml.etree", "bleach", "jwt", "sqlite3",
    "PIL.Image", "defusedxml.ElementTree", "cryptography.fernet", "requests", "psutil",
    "Cryptodome.Cipher.AES", "xml.etree.ElementTree", "xml.sax", "unittest.mock",
    "subprocess", "tempfile", "pickle", "hashlib", "hmac", "secrets", "json", "re",
    "html", "urllib.request", "shutil", "logging", "io", "ctypes", "tarfile", "zipfile",
    # Test-file jobs (SALLM, CWEval) run their frameworks in the forked child.
    "unittest", "pytest", "_pytest.python", "_pytest.runner", "_pytest.fixtures", "_pytest.tmpdir",
    "_pytest.assertion.rewrite", "_pytest.config", "flask_sqlalchemy", "argon2",
    "Crypto.Cipher.AES", "Crypto.Cipher.DES", "Crypto.PublicKey.RSA", "Crypto.PublicKey.DSA",
    "Crypto.Util.Padding", "Crypto.Random", "Cryptodome.PublicKey.RSA", "Cryptodome.PublicKey.DSA",
    "Cryptodome.Util.Padding", "typing", "datetime", "urllib.parse",
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
            escaped = flask.escape("<x>") if hasattr(flask, "escape") else "x"
            return flask.make_response(flask.render_template_string("<p>{{ q }}</p>", q=escaped))

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


def serve(lines, out):
    """The job loop: one result line on `out` for every job line read from `lines`."""

    def send(obj):
        out.write(encode(obj))
        out.flush()

    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            job = parse_job(line)
        except BadJob as e:
            send(error_line(e.job_id, e.detail))
            continue
        try:
            result = run_job(job)
        except Exception as e:
            kill_all_others()
            result = error_line(job["id"], f"runner: {e!r}", traceback.format_exc())
            result["retire"] = True
        send(result)
        if result.get("retire"):
            return


def main():
    protocol_out = sys.stdout
    signal.signal(signal.SIGTERM, on_terminate)
    set_subreaper()
    # Before anything else: no sample may ever attach to the runner or take its descriptors.
    set_dumpable(False)
    shims = os.environ.get("CODESECEVAL_SHIMS")
    if shims:
        # After the real site-packages, so a real module always wins over its shim.
        sys.path.append(shims)
    loaded = preload()
    warm_up()
    warm_up_frameworks()
    prepare_pytest()
    # Move everything imported so far out of the collector's reach: otherwise the first
    # collection in each child walks (and so copies, page by page) the parent's whole heap.
    gc.collect()
    gc.freeze()
    protocol_out.write(encode(ready_line(loaded, sys.version.split()[0], os.getpid())))
    protocol_out.flush()
    serve(sys.stdin, protocol_out)
