"""pytest's arguments, and its Config prepared once in the zygote for every sample.

pytest.main starts by building a plugin manager, importing and registering its default
plugins and collecting their options (`_pytest.config.get_config`): the same work for every
sample, about a sixth of pytest's own time per sample. The zygote does it once
(prepare_pytest) and every forked child consumes its own copy: get_config's result depends
only on the `-p no:` options and on the invocation folder, which the child sets as
pytest.main would have. Everything that depends on the sample (ini files, conftest.py,
rootdir, options, collection) still happens in the child's pytest.main. Any pytest this does
not fit leaves nothing prepared, and pytest.main runs as it always did.
"""

import os
import sys

# Plugins a sample never needs cost time in every run; output capture is ours already (the
# child's stdout and stderr are the sample's). The test module is already imported
# (import_both), so assertion rewriting could not apply anyway; plugins installed on the
# machine stay out (PYTEST_DISABLE_PLUGIN_AUTOLOAD: faster, and the same run everywhere).
PYTEST_OPTIONS = ["-q", "-s", "--tb=short", "--assert=plain",
                  "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:junitxml", "-p", "no:pastebin",
                  "-p", "no:doctest", "-p", "no:faulthandler",
                  "-W", "ignore::pytest.PytestUnknownMarkWarning"]


def pytest_args(test_file):
    return [*PYTEST_OPTIONS[:4], "--rootdir", os.path.dirname(test_file), *PYTEST_OPTIONS[4:], test_file]


_prepared = []


def prepare_pytest():
    """In the zygote, after the frameworks' warm-up: one pytest Config for the next sample
    (when pytest was preloaded: otherwise the sample imports it, and pays for all of it)."""
    del _prepared[:]
    if "pytest" not in sys.modules:
        return False
    try:
        import pathlib

        import _pytest.config as pytest_config

        if not callable(getattr(pytest_config, "get_config", None)):
            return False
        # The fields serve_once sets: a pytest whose InvocationParams differ gets no preparation.
        pytest_config.Config.InvocationParams(args=(), plugins=None, dir=pathlib.Path.cwd())
        _prepared.append(pytest_config.get_config(pytest_args(os.path.join(os.sep, "prepared", "test.py"))))
        return True
    except Exception:
        del _prepared[:]
        return False


def take_prepared_config():
    """In the child, before the candidate runs: the prepared Config, out of this module's
    reach, with a fingerprint of what the candidate could change in it to steer the run
    (registered plugins and hook functions, options, ini values). A Config that no longer
    matches its fingerprint is not used: pytest.main then builds its own, as it always did."""
    if not _prepared:
        return None
    config = _prepared.pop()
    try:
        return config, _fingerprint(config)
    except Exception:
        return None


def unchanged(prepared):
    """Whether the (Config, fingerprint) pair still matches: nothing steered the Config."""
    try:
        return _fingerprint(prepared[0]) == prepared[1]
    except Exception:
        return False


def _fingerprint(config):
    pm = config.pluginmanager
    hooks = []
    for name, caller in sorted(vars(pm.hook).items()):
        impls = getattr(caller, "get_hookimpls", None)
        if impls is not None:
            hooks.append((name, [(i.plugin_name, id(i.plugin), id(i.function), i.hookwrapper, i.tryfirst, i.trylast)
                                 for i in impls()]))
    return repr((
        hooks,
        [(name, id(plugin)) for name, plugin in pm.list_name_plugin()],
        sorted(vars(config.option).items()),
        # Private in pytest, and not in every version: what is missing is left out.
        sorted(getattr(config, "_inicache", {}).items()),
        getattr(config, "_override_ini", None),
        getattr(config, "_configured", None),
        len(getattr(config, "_cleanup", ())),
    ))


def serve_once(config):
    """Make pytest.main's next get_config() return `config`, as get_config would have built it
    from that call's arguments, then put the real get_config back."""
    import pathlib

    import _pytest.config as pytest_config

    real = pytest_config.get_config

    def get_config(args=None, plugins=None):
        pytest_config.get_config = real
        config.invocation_params = pytest_config.Config.InvocationParams(
            args=args or (), plugins=plugins, dir=pathlib.Path.cwd())
        return config

    pytest_config.get_config = get_config
