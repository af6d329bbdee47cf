"""The fork server: pay for imports once, then fork one child per job.

Forking from a parent that has already imported (and exercised) Flask and friends is what
makes the engine fast; every child starts from the same pristine parent, so nothing one
sample does leaks into the next.
"""

import gc
import importlib
import os
import re
import signal
import sys
import traceback

from .protocol import BadJob, encode, error_line, parse_job, ready_line
from .supervise import kill_all_others, on_terminate, run_job, set_dumpable, set_subreaper
from .pytest_setup import prepare_pytest
from .testfile import warm_up_frameworks

# Standard-library modules the built-in benchmarks' code uses.
STDLIB_PRELOAD = [
    "sqlite3", "xml.etree.ElementTree", "xml.sax", "unittest.mock", "subprocess", "tempfile",
    "pickle", "hashlib", "hmac", "secrets", "json", "re", "html", "urllib.request", "shutil",
    "logging", "io", "ctypes", "tarfile", "zipfile", "unittest", "typing", "datetime", "urllib.parse",
]
# Third-party modules (and test frameworks) the built-in benchmarks import. Both lists are
# preloaded unless the engine names the modules its samples need in $CODESECEVAL_PRELOAD (its
# benchmarks' own lists, standard library included). Importing a module costs the runner its
# start-up time once, and saves it in every sample that imports it; a module not preloaded
# is imported by the sample itself, as usual.
DEFAULT_PRELOAD = [
    "flask", "werkzeug", "jinja2", "yaml", "lxml.etree", "bleach", "jwt",
    "PIL.Image", "defusedxml.ElementTree", "cryptography.fernet", "requests", "psutil",
    "Cryptodome.Cipher.AES",
    # Test-file jobs (SALLM, CWEval) run their frameworks in the forked child.
    "pytest", "_pytest.python", "_pytest.runner", "_pytest.fixtures", "_pytest.tmpdir",
    "_pytest.assertion.rewrite", "_pytest.config", "flask_sqlalchemy", "argon2",
    "Crypto.Cipher.AES", "Crypto.Cipher.DES", "Crypto.PublicKey.RSA", "Crypto.PublicKey.DSA",
    "Crypto.Util.Padding", "Crypto.Random", "Cryptodome.PublicKey.RSA", "Cryptodome.PublicKey.DSA",
    "Cryptodome.Util.Padding",
]
PRELOAD_ENV = "CODESECEVAL_PRELOAD"
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def preload_list(environ):
    """What to import before forking: $CODESECEVAL_PRELOAD's comma-separated module names (a
    name that is not a dotted identifier is ignored) or, when it is not set, both lists."""
    named = environ.get(PRELOAD_ENV)
    if named is None:
        return STDLIB_PRELOAD + DEFAULT_PRELOAD
    return [n for n in (part.strip() for part in named.split(",")) if _MODULE_NAME.fullmatch(n)]


def preload(names):
    loaded = []
    for name in names:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:
            pass
    return loaded


def warm_up():
    """Exercise the libraries' common paths once, so their lazy imports and caches are
    filled in the parent and not paid again by every forked sample. Only modules already
    preloaded are exercised: the others are the samples' own to import."""
    if "flask" in sys.modules:
        _warm_flask()
    for name, warm in (
        ("yaml", lambda m: m.safe_load("a: [1, 2]")),
        ("lxml.etree", lambda m: m.fromstring(b"<a><b/></a>")),
        ("jwt", lambda m: m.decode(m.encode({"a": 1}, "k", algorithm="HS256"), "k", algorithms=["HS256"])),
        ("sqlite3", lambda m: m.connect(":memory:").execute("select 1").fetchall()),
        ("bleach", lambda m: m.clean("<script>x</script>")),
        ("defusedxml.ElementTree", lambda m: m.fromstring("<a/>")),
    ):
        if name in sys.modules:
            try:
                warm(sys.modules[name])
            except Exception:
                pass


def _warm_flask():
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
    loaded = preload(preload_list(os.environ))
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
