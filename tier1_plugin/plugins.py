"""The one place that finds, loads and registers Tier 1 plugins.

Order: the built-in modules in :data:`DEFAULT_PLUGINS`, then the ``tier1`` entry-point group.
Loading is lazy and happens once per process, on first use.  Two views of the same plugins:

* :func:`get_plugin_manager` registers them on a ``pluggy.PluginManager("tier1")`` (listing,
  ``firstresult`` hooks, validation with ``check_pending()``);
* :func:`hook_implementations` / :func:`call_each` read the same modules without importing
  pluggy, for the Claude Code hook, which starts a new process on every tool call.

Selection by name: ``TIER1_LOAD_PLUGINS=a,b`` loads only those, ``TIER1_DISABLE_PLUGINS=a,b``
and the config key ``plugins.disabled`` leave those out, ``TIER1_LOAD_ENTRYPOINTS=0`` skips
the entry-point group (the test suite sets it so installed third-party plugins stay out).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from dataclasses import dataclass, field

ENTRY_POINT_GROUP = "tier1"

DEFAULT_PLUGINS = (
    "tier1_plugin.checks.tests",
    "tier1_plugin.checks.integration_tests",
    "tier1_plugin.checks.security",
    "tier1_plugin.checks.documentation",
    "tier1_plugin.checks.performance",
    "tier1_plugin.checks.rollback_plan",
    "tier1_plugin.decision",
    "tier1_plugin.hooks.action_items",
    "tier1_plugin.hooks.n8n",
    "tier1_plugin.hooks.tier_celery",
    "tier1_plugin.hooks.tier_api",
    "tier1_plugin.hooks.tier_systemd",
)


@dataclass
class LoadedPlugin:
    """A plugin module as found; ``error`` is set when it could not be imported."""

    name: str
    module_name: str
    origin: str
    module: object = None
    error: str | None = None
    hooks: list[str] = field(default_factory=list)


@dataclass
class CallOutcome:
    """What one implementation of a hook returned, or the exception it raised."""

    plugin: str
    result: object = None
    error: BaseException | None = None


_lock = threading.RLock()
_loaded: list[LoadedPlugin] | None = None
_manager = None
# hook name -> (the plugin list it was computed from, implementations)
_implementations: dict[str, tuple[list, list[tuple[str, object]]]] = {}


def _names_from_env(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _builtin_name(module_name: str) -> str:
    return module_name.rsplit(".", 1)[-1]


def _selected(name: str, disabled_in_config: set[str]) -> bool:
    allow = _names_from_env("TIER1_LOAD_PLUGINS")
    if allow is not None and name not in allow:
        return False
    block = _names_from_env("TIER1_DISABLE_PLUGINS") or set()
    return name not in block and name not in disabled_in_config


def _disabled_in_config() -> set[str]:
    try:
        from tier1_plugin.config import load_config

        return set(load_config().get("plugins", {}).get("disabled", []))
    except Exception:  # a broken config is reported by the command that loads it
        return set()


def load_plugins() -> list[LoadedPlugin]:
    """Import every selected plugin once; a module that fails is kept with its error."""
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        disabled = _disabled_in_config()
        found: list[tuple[str, str, str]] = [
            (_builtin_name(module), module, "built-in") for module in DEFAULT_PLUGINS
        ]
        if os.environ.get("TIER1_LOAD_ENTRYPOINTS", "1") != "0":
            found += [(ep["name"], ep["value"], f"entry point ({ep['dist']} {ep['version']})")
                      for ep in entry_points()]
        plugins = []
        for name, module_name, origin in found:
            if not _selected(name, disabled):
                continue
            plugin = LoadedPlugin(name=name, module_name=module_name, origin=origin)
            try:
                plugin.module = _import(module_name)
                plugin.hooks = sorted({impl for impl, _ in _impls_of(plugin.module)})
            except BaseException as exc:  # noqa: BLE001 - a broken plugin must not be fatal
                if isinstance(exc, KeyboardInterrupt):
                    raise
                plugin.error = f"{type(exc).__name__}: {exc}"
                _warn(f"tier1: plugin {name!r} ({module_name}) failed to load: {plugin.error}")
            plugins.append(plugin)
        _loaded = plugins
        return plugins


def _import(value: str):
    """Import ``module`` or ``module:attr`` (entry-point syntax)."""
    module_name, _, attr = value.partition(":")
    obj = importlib.import_module(module_name.strip())
    for part in filter(None, attr.strip().split(".")):
        obj = getattr(obj, part)
    return obj


def _impls_of(obj):
    for attr in dir(obj):
        function = getattr(obj, attr, None)
        opts = getattr(function, "tier1_impl", None)
        if isinstance(opts, dict) and callable(function):
            yield (opts.get("specname") or attr), function


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def hook_implementations(hook_name: str) -> list[tuple[str, object]]:
    """``(plugin name, function)`` pairs implementing ``hook_name``, in call order.

    The order is pluggy's: ``tryfirst`` first, ``trylast`` last, otherwise the plugin
    registered last is called first.
    """
    plugins = load_plugins()
    cached = _implementations.get(hook_name)
    if cached is not None and cached[0] is plugins:
        return cached[1]
    impls = []
    for plugin in plugins:
        if plugin.module is None:
            continue
        for name, function in _impls_of(plugin.module):
            if name == hook_name:
                opts = function.tier1_impl
                rank = 0 if opts.get("tryfirst") else 2 if opts.get("trylast") else 1
                impls.append((rank, plugin.name, function))
    impls.reverse()
    impls.sort(key=lambda item: item[0])
    found = [(plugin_name, function) for _, plugin_name, function in impls]
    _implementations[hook_name] = (plugins, found)
    return found


def call_each(hook_name: str, **kwargs) -> list[CallOutcome]:
    """Call every implementation of ``hook_name`` on its own; one that raises is reported.

    Each implementation receives only the arguments it names, as pluggy does.
    """
    outcomes = []
    for plugin_name, function in hook_implementations(hook_name):
        code = function.__code__
        wanted = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        try:
            result = function(**{k: v for k, v in kwargs.items() if k in wanted})
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            outcomes.append(CallOutcome(plugin=plugin_name, error=exc))
        else:
            outcomes.append(CallOutcome(plugin=plugin_name, result=result))
    return outcomes


def get_plugin_manager():
    """The process's one ``pluggy.PluginManager("tier1")``, built on first use."""
    global _manager
    with _lock:
        if _manager is not None:
            return _manager
        import pluggy

        from tier1_plugin import hookspecs

        manager = pluggy.PluginManager("tier1")
        manager.add_hookspecs(hookspecs)
        for plugin in load_plugins():
            if plugin.module is None:
                continue
            try:
                manager.register(plugin.module, name=plugin.name)
            except Exception as exc:  # noqa: BLE001 - e.g. a hookimpl with a wrong argument
                plugin.error = f"{type(exc).__name__}: {exc}"
                _warn(f"tier1: plugin {plugin.name!r} could not be registered: {plugin.error}")
        try:
            manager.check_pending()
        except pluggy.PluginValidationError as exc:
            _warn(f"tier1: {exc}")
        _manager = manager
        return manager


def reset() -> None:
    """Forget the loaded plugins (tests, and after installing a plugin in-process)."""
    global _loaded, _manager
    with _lock:
        _loaded = None
        _manager = None
        _implementations.clear()


# -- entry points, cached by the state of the installed distributions ---------------------

def _cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tier1", "entry-points.json")


def _environment_key() -> str:
    """Changes whenever a distribution is installed, upgraded or removed on ``sys.path``."""
    parts = [sys.executable, sys.version]
    for entry in sys.path:
        if entry in ("", "."):
            # the working folder (``python -m``): its mtime changes with every file written
            # there, and distributions are not installed into it
            continue
        try:
            parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(entry)
    return "\n".join(parts)


def entry_points() -> list[dict]:
    """The ``tier1`` entry points as dicts (name, value, dist, version), from a cache.

    ``importlib.metadata`` reads every installed distribution's metadata (tens of
    milliseconds); the cache is keyed by ``sys.path`` and each entry's modification time,
    which changes when a distribution is installed or removed there.
    """
    key = _environment_key()
    path = _cache_path()
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        if cached.get("key") == key:
            return cached["entry_points"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    from importlib.metadata import entry_points as _metadata_entry_points

    found = []
    for ep in _metadata_entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        found.append({
            "name": ep.name,
            "value": ep.value,
            "dist": getattr(dist, "name", "?") if dist else "?",
            "version": getattr(dist, "version", "?") if dist else "?",
        })
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"key": key, "entry_points": found}, handle)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home only costs the lookup next time
    return found
