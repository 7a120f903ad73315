"""``tier1 run-task NAME [--data JSON | --params-file FILE] [--idempotency-key KEY]``.

Tier 3 of the n8n fallback chain (what ``tier1-task@.service`` runs): one task of the team's
Celery app (``fallback.celery.app``) run in this process, without the broker.  Prints the
outcome as one JSON line; exit 0 when the task succeeded (or had already succeeded under the
same idempotency key), 1 when it failed or is still running elsewhere, 2 on a usage error.
"""

from __future__ import annotations

import json
import sys


def configure(parser):
    parser.add_argument("name", help="the task's registered name (or its last dotted part)")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--data", metavar="JSON", help="keyword arguments as a JSON object")
    given.add_argument("--params-file", metavar="FILE", help="a file holding that JSON object")
    parser.add_argument("--idempotency-key", metavar="KEY",
                        help="run at most once per key (the fallback chain passes {run_id})")


def read_params(data: str | None, params_file: str | None) -> dict:
    """The keyword arguments, or ``ValueError`` saying what is wrong with them."""
    if params_file:
        try:
            with open(params_file, encoding="utf-8") as handle:
                data = handle.read()
        except OSError as exc:
            raise ValueError(f"cannot read {params_file}: {exc.strerror}") from None
    if not data or not data.strip():
        return {}
    try:
        params = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"the params are not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError("the params must be a JSON object of keyword arguments")
    return params


def run(args) -> int:
    try:
        params = read_params(args.data, args.params_file)
    except ValueError as exc:
        print(f"tier1 run-task: {exc}", file=sys.stderr)
        return 2
    from tier1_plugin.config import load_config
    from tier1_plugin.hooks.task_api import TaskError, TaskRunner
    from tier1_plugin.hub import AutomationHub

    config = load_config()
    with AutomationHub(config=config) as hub:
        try:
            outcome = TaskRunner.from_config(config, hub, "run-task").run(
                args.name, params, args.idempotency_key)
        except TaskError as exc:
            print(f"tier1 run-task: {exc}", file=sys.stderr)
            return 2
    print(json.dumps(outcome.to_dict(), default=str))
    if not outcome.ok:
        print(f"tier1 run-task: {outcome.task}: {outcome.error}", file=sys.stderr)
    return 0 if outcome.ok else 1
