"""Between samples: nothing one sample leaves behind may be seen by the next.

Inside the sandbox every place a sample can write (its workspace root, /tmp, /dev/shm) is a
tmpfs of this worker's own, and its System V IPC objects live in the worker's own IPC
namespace. After each sample the runner empties all of them. Emptying is cheaper than a new
sandbox; when it fails (a tree too deep to walk, a file that will not go) the runner retires
and the engine starts a fresh sandbox, so a failure costs time, never isolation.
"""

import ctypes
import os
import stat

# Folders the runner empties after every sample besides the workspace root: set only by the
# sandbox, whose /tmp and /dev/shm are the worker's own (never the host's).
SCRATCH = [p for p in os.environ.get("CODESECEVAL_SCRATCH", "").split(":") if p]

_IPC_RMID = 0
_IPC_TABLES = (("shm", "shmctl"), ("msg", "msgctl"), ("sem", "semctl"))


def empty_dir(root):
    """Remove everything inside `root` (not `root` itself), iteratively: a sample may nest
    folders far deeper than Python's recursion limit, and may take its own rights away."""
    try:
        entries = os.listdir(root)
    except FileNotFoundError:
        return
    stack = [(os.path.join(root, name), False) for name in entries]
    while stack:
        path, emptied = stack.pop()
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(path)
            continue
        if emptied:
            os.rmdir(path)
            continue
        if stat.S_IMODE(st.st_mode) & 0o700 != 0o700:
            os.chmod(path, 0o700)
        stack.append((path, True))
        stack.extend((os.path.join(path, name), False) for name in os.listdir(path))


def _ipc_ids(table):
    try:
        with open(f"/proc/sysvipc/{table}", encoding="ascii") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return []
    return [int(row.split()[1]) for row in rows if len(row.split()) > 1]


def remove_ipc_objects(uid=None):
    """Remove every System V shared-memory segment, message queue and semaphore set of this
    IPC namespace. Only an object's owner (or CAP_SYS_ADMIN, which the runner does not keep)
    may remove it, so a runner that drops samples to `uid` does it from a child with that uid."""
    if not any(_ipc_ids(table) for table, _ in _IPC_TABLES):
        return True
    if uid is None or os.geteuid() != 0:
        return _remove_ipc_here()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os._exit(0 if _remove_ipc_here() else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _remove_ipc_here():
    libc = ctypes.CDLL(None, use_errno=True)
    for table, call in _IPC_TABLES:
        ctl = getattr(libc, call)
        for ident in _ipc_ids(table):
            if call == "semctl":
                ctl(ident, 0, _IPC_RMID, None)
            else:
                ctl(ident, _IPC_RMID, None)
    return not any(_ipc_ids(table) for table, _ in _IPC_TABLES)


def reset(workspace_root, uid=None):
    """Empty the workspace root and, inside the sandbox, /tmp, /dev/shm and the IPC objects.
    False when something could not be removed: the caller must not run another sample here."""
    try:
        empty_dir(workspace_root)
        if SCRATCH:
            for folder in SCRATCH:
                empty_dir(folder)
            return remove_ipc_objects(uid)
        return True
    except (OSError, RecursionError, ValueError):
        return False
