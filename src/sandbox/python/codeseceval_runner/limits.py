"""Whole-sample limits: reading what the sample's cgroups counted.

The engine makes one cgroup per worker (memory and pids; v1 or v2) and binds it into the
sandbox; the child joins it before any candidate code runs (`join`). The kernel counts each
time a limit was hit, so the parent reads the counters before and after a sample (`hits`).
"""

import os

# (file, counter, limit): the same counters under cgroup v1 and v2.
_COUNTERS = (
    ("memory.oom_control", "oom_kill", "memory"),  # v1
    ("memory.events", "oom_kill", "memory"),  # v2
    ("pids.events", "max", "pids"),  # v1 and v2
)


def join(dirs):
    """Move the calling process into each cgroup; its children follow it."""
    me = str(os.getpid())
    for d in dirs:
        with open(os.path.join(d, "cgroup.procs"), "w", encoding="ascii") as f:
            f.write(me)


def counters(dirs):
    """{limit: times hit} summed over the cgroups."""
    out = {"memory": 0, "pids": 0}
    for d in dirs:
        for name, key, limit in _COUNTERS:
            try:
                with open(os.path.join(d, name), encoding="ascii") as f:
                    text = f.read()
            except OSError:
                continue
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
                    out[limit] += int(parts[1])
    return out


def hits(before, after):
    """The limits hit between two readings."""
    return {limit for limit in after if after[limit] > before.get(limit, 0)}
