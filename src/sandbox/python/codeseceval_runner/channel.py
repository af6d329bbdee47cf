"""The child's private report channel, kept out of the candidate's reach.

The child reports its verdict on a pipe only the parent reads. The parent accepts a report
only if it carries the job's nonce, and the nonce must never be where candidate code can
find it by walking frames:

- it is made here, in the child, and first sent on the pipe (the "hello" line, before any
  candidate code runs), so no runner frame on the child's stack holds it;
- it lives only in the closure of an audit hook. Python offers no way to list, remove or
  call audit hooks except by raising an event, and the hook writes a report only when
  `send_report` (checked by code object identity) is called directly from the very frame
  that opened the channel (checked by frame identity): the runner's own code in that frame,
  not a function the candidate found and called;
- everything the hook uses (JSON escaping, os.write, the frame lookup) is bound when the
  channel opens, so later patches of json, os or sys change nothing.

What remains possible for a determined sample is in docs/sandbox.md ("What a sample can
still do"): in-process code can always fool its own test in the end.
"""

import json
import os
import secrets
import sys
import threading

EVENT = "codeseceval.report"


def send_report(message):
    """The verdict (a dict of plain values); the last report the parent reads counts."""
    sys.audit(EVENT, message)


def send_note(message):
    """A note on the way (e.g. a network attempt), counted even if no verdict follows."""
    sys.audit(EVENT, message)


def _encoder():
    escape = json.encoder.encode_basestring_ascii  # C function: a later patch of json cannot swap it
    str_type, int_type, float_type, bool_type, dict_type, list_type = str, int, float, bool, dict, list
    join = "".join
    fmt_float = float.__repr__
    fmt_int = int.__repr__

    def encode(value):
        t = type(value)
        if value is None:
            return "null"
        if t is bool_type:
            return "true" if value else "false"
        if t is int_type:
            return fmt_int(value)
        if t is float_type:
            return fmt_float(value) if value == value and value not in (float("inf"), float("-inf")) else "null"
        if isinstance(value, str_type):
            return escape(join([value]))  # join copies a str subclass into a plain str
        if t is list_type or t is tuple:
            return "[" + ",".join([encode(v) for v in value]) + "]"
        if t is dict_type:
            return "{" + ",".join([escape(join([str_type.__str__(k)])) + ":" + encode(v) for k, v in dict_type.items(value)]) + "}"
        return escape(join([str_type(value)]))

    return encode


def open_channel(fd):
    """Send the hello line with a fresh nonce on `fd`, and install the hook that writes
    reports (sent from the calling frame) and notes. Returns nothing the candidate could use."""
    nonce = secrets.token_hex(16)
    owner = sys._getframe(1)
    write = os.write
    encode = _encoder()
    getframe = sys._getframe
    current_thread = threading.get_ident
    main_thread = threading.get_ident()
    senders = (send_report.__code__, send_note.__code__)
    event_name = EVENT

    def hook(event, args):
        if event != event_name:
            return
        caller = getframe(1).f_code
        # Verdicts only from the owner frame on the main thread (the runner's own, after
        # check() returned); notes from wherever the sample tried the network.
        if caller is senders[0]:
            if current_thread() != main_thread or getframe(2) is not owner:
                return
        elif caller is not senders[1]:
            return
        message = args[0] if len(args) == 1 and type(args[0]) is dict else None
        if message is None:
            return
        line = encode({**message, "nonce": nonce}) + "\n"
        try:
            write(fd, line.encode("utf-8", "replace"))
        except OSError:
            pass

    write(fd, (encode({"hello": nonce}) + "\n").encode())
    sys.addaudithook(hook)
