import os
import subprocess
import sys

import pytest

from codeseceval_runner.netwatch import is_remote_event, is_remote_host

RUNNER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src", "sandbox", "python"))


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "app.localhost", "127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1",
     "0.0.0.0", "::", "", None, b"localhost", "ip6-localhost", "myhost"],
)
def test_this_machine_is_not_remote(host):
    assert not is_remote_host(host, own_names=frozenset({"myhost"}))


@pytest.mark.parametrize(
    "host", ["example.invalid", "api.openai.com", "10.0.0.1", "192.168.1.5", "8.8.8.8", "2001:db8::1", "fe80::1%eth0",
             b"example.invalid", "::ffff:10.0.0.1"],
)
def test_other_machines_are_remote(host):
    assert is_remote_host(host)


@pytest.mark.parametrize(
    "event, args, remote",
    [
        ("socket.getaddrinfo", ("example.invalid", 80, 0, 1, 6), True),
        ("socket.getaddrinfo", ("localhost", 80, 0, 1, 6), False),
        ("socket.getaddrinfo", (None, 80, 0, 1, 6), False),
        ("socket.connect", (object(), ("10.1.2.3", 5432)), True),
        ("socket.connect", (object(), ("127.0.0.1", 5432)), False),
        ("socket.connect", (object(), ("::1", 80, 0, 0)), False),
        ("socket.connect", (object(), "/run/postgresql/.s.PGSQL.5432"), False),
        ("socket.sendto", (object(), ("192.0.2.1", 53)), True),
        ("socket.sendmsg", (object(), None), False),
        ("socket.gethostbyname", ("db.internal",), True),
        ("socket.getnameinfo", (("192.0.2.1", 80), 0), True),
        ("open", ("example.invalid", "r", 0), False),
        ("socket.connect", (), False),
    ],
)
def test_audit_events(event, args, remote):
    assert is_remote_event(event, args) is remote


def run_python(code):
    """Audit hooks cannot be removed: each hook test gets an interpreter of its own."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=RUNNER_DIR)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


HOOK = """
import sys
from codeseceval_runner.netwatch import install
calls = []
tried = install(lambda: calls.append(1))
"""


def test_the_hook_fires_once_at_the_first_remote_attempt():
    # sys.audit raises the events a lookup would, without sending anything anywhere
    out = run_python(HOOK + """
sys.audit("socket.getaddrinfo", "localhost", 80, 0, 0, 0)
sys.audit("socket.connect", None, ("127.0.0.1", 80))
print(tried(), len(calls))
sys.audit("socket.getaddrinfo", "example.invalid", 80, 0, 0, 0)
sys.audit("socket.connect", None, ("192.0.2.1", 80))
print(tried(), len(calls))
""")
    assert out == ["False", "0", "True", "1"]


def test_a_failing_callback_never_breaks_the_audited_operation():
    out = run_python("""
import sys
from codeseceval_runner.netwatch import install
def boom():
    raise RuntimeError("no")
tried = install(boom)
sys.audit("socket.getaddrinfo", "example.invalid", 80, 0, 0, 0)
print(tried())
""")
    assert out == ["True"]
