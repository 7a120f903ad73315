"""``tier1 db upgrade | flush | archive``: the event store's schema and outbox."""

from __future__ import annotations

import sys


def configure(parser):
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("upgrade", help="apply missing schema migrations (idempotent)")
    flush = actions.add_parser("flush", help="deliver the events waiting in the outbox")
    flush.add_argument("--quiet", action="store_true", help="print nothing (background flush)")
    archive = actions.add_parser("archive", help="move old events out of the live table")
    archive.add_argument("--older-than", default="90d", help="a duration such as 90d (default)")


def run(args) -> int:
    from tier1_plugin.hub import AutomationHub, StoreUnavailable

    with AutomationHub() as hub:
        try:
            if args.action == "upgrade":
                applied = hub.store.upgrade() if hub.store_name == "sqlite" else _upgrade(hub)
                version = hub.store.schema_version()
                print(f"{hub.store_name}: applied {', '.join(applied)}; schema version {version}"
                      if applied else f"{hub.store_name}: schema up to date (version {version})")
            elif args.action == "flush":
                return _flush(hub, args.quiet)
            else:
                return _archive(hub, args.older_than)
        except StoreUnavailable as exc:
            print(f"tier1 db: database unreachable: {exc}", file=sys.stderr)
            return 1
    return 0


def _upgrade(hub):
    from tier1_plugin.hub import store_postgres_unavailable, StoreUnavailable

    try:
        hub.store.connection()  # applies pending migrations on connect
        return hub.store.upgrade()
    except store_postgres_unavailable() as exc:
        raise StoreUnavailable(str(exc)) from None


def _flush(hub, quiet: bool) -> int:
    from tier1_plugin.hub import StoreUnavailable

    waiting = hub.outbox.pending()
    try:
        delivered = hub.flush_outbox()
    except StoreUnavailable as exc:
        if not quiet:
            print(f"tier1 db flush: database unreachable ({exc}); {waiting} event(s) still waiting",
                  file=sys.stderr)
        return 1
    if not quiet:
        print(f"delivered {delivered} event(s) from {hub.outbox.path}")
    return 0


def _archive(hub, older_than: str) -> int:
    from datetime import datetime, timezone

    from tier1_plugin.timeparse import parse_duration

    try:
        cutoff = datetime.now(timezone.utc) - parse_duration(older_than)
    except ValueError as exc:
        print(f"tier1 db archive: {exc}", file=sys.stderr)
        return 2
    moved = hub.store.archive(cutoff)
    where = "schema tier1_archive (whole months)" if hub.store_name == "postgresql" else "automation_events_archive"
    print(f"archived {moved} event(s) older than {cutoff:%Y-%m-%d} to {where}")
    return 0
