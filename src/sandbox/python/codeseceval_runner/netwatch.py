"""Notices when a sample tries to reach a host other than its own machine.

The sandbox has no network, so such a sample fails for want of one, not (only) for its own
faults; the result says so. An audit hook sees every lookup and connect made through
Python's socket module, whatever library wraps it, without parsing error messages.
Loopback stays unmarked: a sample may start and call a server of its own.
"""

import ipaddress
import socket
import sys

# event -> index of the host, or of the (host, port, ...) address, in the event's arguments
_EVENTS = {
    "socket.getaddrinfo": 0,
    "socket.gethostbyname": 0,
    "socket.gethostbyname_ex": 0,
    "socket.gethostbyaddr": 0,
    "socket.getnameinfo": 0,
    "socket.connect": 1,
    "socket.sendto": 1,
    "socket.sendmsg": 1,
}
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_remote_host(host, own_names=()):
    """True when `host` (a name or an address literal) is not this machine."""
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().rstrip(".").lower()
    if name == "" or name in _LOCAL_NAMES or name.endswith(".localhost") or name in own_names:
        return False
    try:
        addr = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return True  # a host name: looking it up is already reaching out
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        addr = mapped
    return not (addr.is_loopback or addr.is_unspecified)


def is_remote_event(event, args, own_names=()):
    """True when an audit event is a lookup of, or a connection to, another machine."""
    index = _EVENTS.get(event)
    if index is None or len(args) <= index:
        return False
    target = args[index]
    if isinstance(target, tuple):  # (host, port[, flowinfo, scope_id]); AF_UNIX paths are str
        target = target[0] if target else None
    elif index == 1:
        return False  # a Unix socket path, or sendmsg without an address
    return is_remote_host(target, own_names)


def install(on_attempt):
    """Call `on_attempt()` once, at the first remote attempt. Audit hooks cannot be removed,
    so this runs only in a forked child, never in the zygote."""
    try:
        own = {socket.gethostname().lower()}
    except OSError:
        own = set()
    own = frozenset(own)
    fired = []

    def hook(event, args):
        # Called inside whatever operation is audited: it must never raise.
        if fired or event not in _EVENTS:
            return
        try:
            if is_remote_event(event, args, own):
                fired.append(True)
                on_attempt()
        except Exception:
            pass

    sys.addaudithook(hook)
    return lambda: bool(fired)
