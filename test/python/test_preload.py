"""What the zygote imports before forking: its default list, or the engine's ($CODESECEVAL_PRELOAD)."""

import json
import os
import subprocess
import sys

from codeseceval_runner.zygote import DEFAULT_PRELOAD, PRELOAD_ENV, STDLIB_PRELOAD, preload_list

from conftest import RUNNER_DIR


def test_default_list_without_the_variable():
    assert preload_list({}) == STDLIB_PRELOAD + DEFAULT_PRELOAD
    assert "flask" in preload_list({}) and "pytest" in preload_list({})


def test_named_modules_replace_both_lists():
    assert preload_list({PRELOAD_ENV: "pytest, Crypto.Cipher.AES,json"}) == ["pytest", "Crypto.Cipher.AES", "json"]
    assert preload_list({PRELOAD_ENV: ""}) == []


def test_names_that_are_not_module_names_are_ignored():
    got = preload_list({PRELOAD_ENV: "yaml,os; print(1),../x,a..b,.rel,x-y,ok_1.sub"})
    assert got == ["yaml", "ok_1.sub"]


def test_warm_up_touches_only_what_was_preloaded():
    # A fresh interpreter, started as the zygote starts, with a short list (a stdlib module
    # outside the runner's own list, so the test does not depend on what is installed).
    script = (
        "import json, os, sys\n"
        "from codeseceval_runner import zygote, testfile, pytest_setup\n"
        "zygote.preload(zygote.preload_list({'CODESECEVAL_PRELOAD': 'fractions'}))\n"
        "zygote.warm_up()\n"
        "testfile.warm_up_frameworks()\n"
        "prepared = pytest_setup.prepare_pytest()\n"
        "print(json.dumps({m: m in sys.modules for m in ('fractions', 'yaml', 'flask', 'pytest', 'lxml.etree', 'jwt', 'asyncio')} | {'prepared': prepared}))\n"
    )
    env = {**os.environ, "PYTHONPATH": RUNNER_DIR, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-s", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got == {"fractions": True, "yaml": False, "flask": False, "pytest": False, "lxml.etree": False, "jwt": False,
                   "asyncio": False, "prepared": False}
