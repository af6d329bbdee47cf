"""pytest setup for the runner package: import it from the source tree, as the sandbox does."""

import os
import sys

RUNNER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src", "sandbox", "python"))
sys.path.insert(0, RUNNER_DIR)
# The runner folder ships read-only in the sandbox and is source here: no caches in it.
sys.dont_write_bytecode = True
