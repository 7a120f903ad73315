"""The ``tier1`` command.

Each subcommand lives in ``tier1_plugin.commands.<module>`` with ``configure(parser)`` and
``run(args) -> exit code``; only the chosen one is imported, so ``tier1 hook`` (run on every
Claude Code tool call) never pays for the others.  Exit codes: 0 ok, 1 the command's own
"not ok" (findings, NO-GO, broken doctor check), 2 usage or configuration error.
"""

from __future__ import annotations

import os
import sys

#: subcommand -> (module in tier1_plugin.commands, one-line help)
COMMANDS = {
    "check": ("check", "run the production gate (pytest --production-check) for this project"),
    "hook": ("hook", "Claude Code hook entry: one payload on stdin, one answer on stdout"),
    "install-hooks": ("install_hooks", "add Tier 1's hooks and /production-check to .claude/"),
    "detect": ("detect", "read tool output on stdin and print the action-item detection as JSON"),
    "todos": ("todos", "the todo list the hook keeps (list, add, done)"),
    "scan-secrets": ("scan_secrets", "scan a folder for hard-coded secrets"),
    "events": ("events", "list stored events, newest first"),
    "timeline": ("events", "a project's events of the last hours, oldest first"),
    "correlate": ("events", "events correlated with an event id"),
    "n8n": ("n8n", "n8n workflows: trigger with monitoring and fallback"),
    "task-api": ("task_api", "serve the fallback chain's HTTP task API (tier 2)"),
    "run-task": ("run_task", "run one fallback task in-process (tier 3)"),
    "db": ("db", "event store schema and outbox: upgrade, flush, archive"),
    "plugins": ("plugins", "list registered plugins, where they came from and their hooks"),
    "doctor": ("doctor", "check the environment: config, database, broker, n8n, plugins"),
}


def build_parser(command: str | None):
    import argparse  # not at module level: `tier1 hook` must not pay for it

    parser = argparse.ArgumentParser(
        prog="tier1", description="Tier 1 automation: production gate, action items, n8n recovery.")
    parser.add_argument("--config", metavar="PATH", help="the project's tier1.yaml (default: "
                        "TIER1_CONFIG, else the nearest tier1.yaml upwards)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = _command_module(module_name)
            configure = getattr(module, f"configure_{name.replace('-', '_')}", None) or module.configure
            configure(subparser)
            subparser.set_defaults(_run=getattr(module, f"run_{name.replace('-', '_')}", None) or module.run)
    return parser


def _command_module(module_name: str):
    import importlib

    return importlib.import_module(f"tier1_plugin.commands.{module_name}")


def _chosen_command(argv: list[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["hook"]:  # the hot path: no argparse, no other imports
        from tier1_plugin.commands.hook import main as hook_main

        return hook_main(argv[1:])
    parser = build_parser(_chosen_command(argv))
    args = parser.parse_args(argv)
    if args.config:
        os.environ["TIER1_CONFIG"] = os.path.abspath(args.config)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    from tier1_plugin.config import ConfigError
    from tier1_plugin.errors import StoreUnavailable

    try:
        return int(args._run(args) or 0)
    except ConfigError as exc:
        print(f"tier1: config error: {exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:
        print(f"tier1: event store unavailable: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
