"""``tier1 plugins``: every plugin, where it came from, and the hooks it implements."""

from __future__ import annotations

import json


def configure(parser):
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from tier1_plugin.plugins import get_plugin_manager, load_plugins

    get_plugin_manager()  # registers (and validates) every loaded plugin
    plugins = load_plugins()
    if args.json:
        print(json.dumps([{"name": p.name, "module": p.module_name, "origin": p.origin,
                           "hooks": p.hooks, "error": p.error} for p in plugins], indent=2))
    else:
        from tier1_plugin.textui import table

        rows = [[p.name, p.origin, p.module_name,
                 f"ERROR {p.error}" if p.error else ", ".join(p.hooks)] for p in plugins]
        print(table(rows, ["NAME", "ORIGIN", "MODULE", "HOOKS"]))
    return 1 if any(p.error for p in plugins) else 0
