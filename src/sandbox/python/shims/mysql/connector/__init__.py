"""codeseceval shim for `mysql.connector` (no MySQL client or server exists in the sandbox).

It exists so that code importing it loads and tests can patch `mysql.connector.connect`.
An unpatched `connect()` fails the way a client with no reachable server does.
"""
from . import errors
from .errors import (  # noqa: F401
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

__version__ = "0.0.0-codeseceval-shim"


def connect(*args, **kwargs):
    raise errors.InterfaceError("2003: Can't connect to MySQL server (codeseceval sandbox: no MySQL server)")


Connect = connect
