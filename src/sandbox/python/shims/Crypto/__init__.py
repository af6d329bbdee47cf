"""codeseceval shim: PyCrypto's `Crypto` name served by PyCryptodome's `Cryptodome`.

Submodules are found on Cryptodome's own path, so `from Crypto.Cipher import AES` loads
Cryptodome's AES under the Crypto name; pycryptodome's internal absolute imports keep using
`Cryptodome`, which is the same code.
"""
import Cryptodome as _real

__path__ = list(_real.__path__)
__version__ = getattr(_real, "__version__", "")
version_info = getattr(_real, "version_info", ())
