"""``tier1 detect``: run the action-item detector on an output read from stdin.

For tuning ``action_items`` in ``tier1.yaml``: paste a real tool output, give the command that
printed it, and see what the hook would conclude::

    git commit -m "Fix auth" | tier1 detect --command 'git commit -m "Fix auth"'
    tier1 detect --command pytest --explain < pytest-output.txt

Prints the ``DetectionResult`` as JSON: ``keyword_found``, ``confidence``, ``category``,
``context_snippet``, ``detected_keyword``, ``failed`` (and ``explanation`` with ``--explain``),
plus ``would`` (what the hook would do with it: complete, review or skip).  Like
``PostToolUse``, it assumes the command succeeded unless ``--failed`` is given.
"""

from __future__ import annotations

import json
import sys


def configure(parser):
    parser.add_argument("--tool", default="Bash", help="the Claude Code tool name (default Bash)")
    parser.add_argument("--command", dest="tool_command", metavar="CMD",
                        help="the command that printed the output")
    parser.add_argument("--failed", action="store_true",
                        help="the command failed (as Claude Code's PostToolUseFailure)")
    parser.add_argument("--explain", action="store_true", help="say which rules fired and why")


def run(args) -> int:
    from tier1_plugin.config import load_config
    from tier1_plugin.hooks.detector import KeywordDetector

    config = load_config()
    detector = KeywordDetector.from_config(config)
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    output = data.decode("utf-8", "replace")
    result = detector.detect(output, args.tool_command, args.tool, failed=args.failed)
    thresholds = (config.get("action_items") or {}).get("thresholds") or {}
    data = result.to_dict(explain=args.explain)
    if not result.keyword_found:
        data["would"] = "skip"
    elif result.confidence >= thresholds.get("complete", 80):
        data["would"] = "complete"
    elif result.confidence >= thresholds.get("review", 60):
        data["would"] = "review"
    else:
        data["would"] = "skip"
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0
