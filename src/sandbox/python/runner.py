"""Entry point of codeseceval's execution runner: `python -s runner.py`, inside the sandbox.

The runner itself is the `codeseceval_runner` package beside this file (the folder is
mounted read-only at /runner in the sandbox); see its __init__ for the layout. Started as a
script, this folder is sys.path[0], which is how the package is found without installing
anything.
"""

import sys

# The runner's folder is read-only in the sandbox and part of the source tree elsewhere:
# never leave bytecode caches in it, whatever the environment says.
sys.dont_write_bytecode = True

from codeseceval_runner.zygote import main  # noqa: E402

if __name__ == "__main__":
    main()
