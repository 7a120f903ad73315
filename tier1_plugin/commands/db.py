"""``tier1 db upgrade | flush | archive``: the event store's schema and outbox."""

from __future__ import annotations

import sys


def configure(parser):
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("upgrade", help="apply missing schema migrations (idempotent)")
    flush = actions.add_parser("flush", help="deliver the events waiting in the outbox")
    flush.add_argument("--quiet", action="store_true", help="print nothing")
    flush.add_argument("--background", action="store_true",
                       help="quiet, and do nothing when another flush is running (the hook's flush)")
    archive = actions.add_parser("archive", help="move old events out of the live table")
    archive.add_argument("--older-than", default="90d", help="a duration such as 90d (default)")


def run(args) -> int:
    from tier1_plugin.errors import StoreUnavailable
    from tier1_plugin.hub import AutomationHub

    with AutomationHub() as hub:
        try:
            if args.action == "upgrade":
                applied = _upgrade(hub)
                version = hub.store.schema_version()
                print(f"{hub.store_name}: applied {', '.join(applied)}; schema version {version}"
                      if applied else f"{hub.store_name}: schema up to date (version {version})")
            elif args.action == "flush":
                from tier1_plugin.hub import hold_flush_lock

                lock = hold_flush_lock(hub.root, wait=not args.background)
                if lock is None:
                    return 0  # another flush is delivering the outbox right now
                with lock:
                    return _flush(hub, args.quiet or args.background)
            else:
                return _archive(hub, args.older_than)
        except StoreUnavailable as exc:
            print(f"tier1 db: database unreachable: {exc}", file=sys.stderr)
            return 1
    return 0


def _upgrade(hub) -> list[str]:
    if hub.store_name != "sqlite":
        return hub.store.upgrade()
    # SQLite migrates itself on connect; compare versions to report what that applied
    before = _sqlite_version(hub.store.path)
    version = hub.store.schema_version()
    return [f"{v:04d}" for v in range(before + 1, version + 1)]


def _sqlite_version(path: str) -> int:
    import sqlite3

    from tier1_plugin.migrations import VERSION_TABLE

    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        return connection.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        connection.close()


def _flush(hub, quiet: bool) -> int:
    from tier1_plugin.errors import StoreUnavailable

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
