"""``tier1 check``: run the production gate for the project in the current folder.

It runs ``python -P -m pytest --production-check`` in the project's root (``-P``: the root
must not shadow the installed package) and exits with pytest's status, so NO-GO is non-zero.
Arguments after ``check`` go to pytest unchanged (``tier1 check -x -n 4``).  This is what the
Claude Code ``/production-check`` command calls.
"""

from __future__ import annotations

import subprocess
import sys


def configure(parser):
    # Every argument after `check` belongs to pytest, options included (`tier1 check -x`):
    # with no prefix character of its own, this subparser takes `-x` as a plain argument.
    parser.prefix_chars = "\0"
    parser.add_argument("pytest_args", nargs="*",
                        help="pytest arguments, passed through unchanged (also -x, -k EXPR, -n 4)")


def run(args) -> int:
    from pathlib import Path

    from tier1_plugin.config import ConfigError, load_config

    try:
        root = load_config().root
    except ConfigError as exc:
        print(f"tier1: {exc}", file=sys.stderr)
        return 2
    extra = list(args.pytest_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    argv = [sys.executable, "-P", "-m", "pytest", "--production-check", *extra]
    try:
        return subprocess.call(argv, cwd=Path(root))
    except KeyboardInterrupt:
        return 130
