"""``tier1 events``, ``tier1 timeline`` and ``tier1 correlate``: read the audit trail.

``--json`` prints a list of event objects with the keys ``id``, ``event_uuid``,
``event_type``, ``project_id``, ``status``, ``evidence``, ``detected_from``, ``metadata``,
``correlation_id``, ``created_at`` and ``resolved_at`` (ISO 8601, UTC); this shape is stable.
"""

from __future__ import annotations

import json
import sys

from tier1_plugin.models import EVENT_TYPES, STATUSES


def configure_events(parser):
    parser.add_argument("--type", dest="event_type", help=f"one of {', '.join(EVENT_TYPES)} (or a plugin's)")
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--project", help="project id (default: every project)")
    parser.add_argument("--since", help="a duration ago (2h, 7d) or an ISO date")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--correlation", help="only events with this correlation id")
    parser.add_argument("--json", action="store_true", help="print JSON (stable shape, see README)")


def configure_timeline(parser):
    parser.add_argument("--project", help="project id (default: this project)")
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--json", action="store_true")


def configure_correlate(parser):
    parser.add_argument("event_id", type=int, metavar="ID")
    parser.add_argument("--json", action="store_true")


def _hub():
    from tier1_plugin.hub import AutomationHub

    return AutomationHub()


def run_events(args) -> int:
    since = None
    if args.since:
        from tier1_plugin.timeparse import parse_since

        try:
            since = parse_since(args.since)
        except ValueError as exc:
            print(f"tier1 events: {exc}", file=sys.stderr)
            return 2
    with _hub() as hub:
        events = hub.get_events(event_type=args.event_type, status=args.status,
                                project_id=args.project, since=since, limit=args.limit,
                                correlation_id=args.correlation)
    _print(events, args.json)
    return 0


def run_timeline(args) -> int:
    with _hub() as hub:
        events = hub.get_event_timeline(args.project, hours=args.hours)
    _print(events, args.json)
    return 0


def run_correlate(args) -> int:
    with _hub() as hub:
        try:
            events = hub.correlate_events(args.event_id)
        except LookupError as exc:
            print(f"tier1 correlate: {exc}", file=sys.stderr)
            return 1
    _print(events, args.json)
    return 0


def _print(events, as_json: bool) -> None:
    if as_json:
        print(json.dumps([event.to_dict() for event in events], indent=2, sort_keys=True))
        return
    if not events:
        print("no events")
        return
    from tier1_plugin.textui import one_line, table
    from tier1_plugin.timeparse import ago

    rows = [[str(e.id), ago(e.created_at), e.event_type, e.status, e.project_id,
             one_line(_summary(e), 70)] for e in events]
    print(table(rows, ["ID", "WHEN", "TYPE", "STATUS", "PROJECT", "SUMMARY"]))


def _summary(event) -> str:
    evidence = event.evidence or {}
    for key in ("reason", "decision", "details", "context_snippet", "failure_type", "error"):
        if evidence.get(key):
            return f"{key}: {evidence[key]}"
    return event.detected_from or ", ".join(f"{k}={v}" for k, v in list(evidence.items())[:3])
