"""Tier 1: a production gate, an action-item hook and n8n recovery on one plugin manager.

The public names are loaded on first use, so ``import tier1_plugin`` costs nothing: the
Claude Code hook starts a new process for every tool call and pays for every import.
"""

from tier1_plugin.markers import hookimpl, hookspec

__all__ = [
    "AutomationEvent",
    "AutomationHub",
    "CheckResult",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "load_config",
]

_LAZY = {
    "AutomationEvent": "tier1_plugin.models",
    "CheckResult": "tier1_plugin.models",
    "AutomationHub": "tier1_plugin.hub",
    "load_config": "tier1_plugin.config",
    "get_plugin_manager": "tier1_plugin.plugins",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tier1_plugin' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
