"""``AutomationHub``: the one audit trail every component writes to.

The backend is chosen by URL: ``sqlite:///path`` (the embedded default, relative paths are
under the project root), ``postgresql://...`` and ``memory://`` (a private in-memory SQLite,
for tests).  Before storing, an event is validated and sanitised (secrets redacted, strings cut
to 200 characters).  When the database cannot be reached the event waits in the outbox and the
call still succeeds; the outbox is delivered by the next successful store, by
``tier1 db flush`` and by :func:`spawn_background_flush`.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tier1_plugin.errors import StoreUnavailable
from tier1_plugin.models import EVENT_TYPES, STATUSES, AutomationEvent
from tier1_plugin.redact import sanitise, secret_values


#: Batches larger than this stream to PostgreSQL in chunks, prepared while the server inserts.
STREAM_THRESHOLD = 1000


def open_store(url: str, root: Path, connect_timeout_s: float = 3):
    """The backend for ``url``; imports only that backend's driver."""
    if url.startswith("memory://"):
        from tier1_plugin.store_sqlite import SQLiteStore

        return SQLiteStore(":memory:")
    if url.startswith("sqlite://"):
        from tier1_plugin.store_sqlite import SQLiteStore

        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):]
        return SQLiteStore(str(path if os.path.isabs(path) else root / path))
    if url.startswith(("postgresql://", "postgres://")):
        from tier1_plugin.store_postgres import PostgresStore

        return PostgresStore(url, connect_timeout_s)
    raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]!r} "
                     "(use sqlite:///path, postgresql://... or memory://)")


def is_remote(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


class AutomationHub:
    """Store and read :class:`AutomationEvent` rows.

    ``url`` None means ``database.url`` from the loaded config.  ``defer=True`` (the Claude Code
    hook) writes events for a remote database straight to the outbox without importing its
    driver; call :func:`spawn_background_flush` to deliver them.
    """

    def __init__(self, url: str | None = None, *, config=None, defer: bool = False):
        if config is None:
            from tier1_plugin.config import load_config

            config = load_config()
        self.config = config
        database = config.get("database", {})
        self.url = url or database.get("url") or "sqlite:///.tier1/events.db"
        self.root = Path(getattr(config, "root", Path.cwd()))
        self.project_id = config.get("project_id") or self.root.name
        outbox = database.get("outbox") or ".tier1/outbox.db"
        from tier1_plugin.outbox import Outbox

        self.outbox = Outbox(str(outbox if os.path.isabs(outbox) else self.root / outbox))
        self.defer = defer and is_remote(self.url)
        self._secret_env = tuple(database.get("secret_env", ()))
        self._connect_timeout = float(database.get("connect_timeout_s", 3))
        self._store = None
        self._event_types: set[str] | None = None

    def __repr__(self):
        return f"AutomationHub({self.store_name})"

    @property
    def store_name(self) -> str:
        return self.url.split("://", 1)[0]

    @property
    def store(self):
        """The backend (opened on first use)."""
        if self._store is None:
            self._store = open_store(self.url, self.root, self._connect_timeout)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def prepare(self, event: AutomationEvent, secrets: tuple[str, ...] | None = None) -> AutomationEvent:
        """Validate and sanitise ``event`` in place; raises ``ValueError`` with the reason."""
        if event.event_type not in EVENT_TYPES and event.event_type not in self.event_types():
            raise ValueError(f"unknown event_type {event.event_type!r}: use one of "
                             f"{', '.join(sorted(self.event_types()))} or register it in a plugin")
        if event.status not in STATUSES:
            raise ValueError(f"unknown status {event.status!r}: use one of {', '.join(STATUSES)}")
        if secrets is None:
            secrets = secret_values(self._secret_env)
        for name in ("evidence", "metadata"):
            value = getattr(event, name)
            if not isinstance(value, dict):
                raise ValueError(f"{name} must be a dict, got {type(value).__name__}")
            try:
                setattr(event, name, sanitise(value, secrets))
            except ValueError as exc:
                raise ValueError(f"{name} is not JSON-serialisable: {exc}") from None
        if "correlated_with" in event.metadata:
            linked = event.metadata["correlated_with"]
            event.metadata["correlated_with"] = [str(v) for v in (linked if isinstance(linked, list) else [linked])]
        event.detected_from = sanitise(event.detected_from or "", secrets)
        event.project_id = event.project_id or self.project_id
        if event.created_at.tzinfo is None:
            event.created_at = event.created_at.replace(tzinfo=timezone.utc)
        return event

    def event_types(self) -> set[str]:
        if self._event_types is None:
            from tier1_plugin.plugins import call_each

            found = set(EVENT_TYPES)
            call_each("tier1_register_event_types", register=found.add)
            self._event_types = found
        return self._event_types

    def store_event(self, event: AutomationEvent) -> int | None:
        """Store one event; returns its id, or ``None`` when it waits in the outbox."""
        return self.store_events([event])[0]

    def store_events(self, events: list[AutomationEvent]) -> list[int | None]:
        """Store many events in one round trip (COPY on PostgreSQL).

        All or nothing: an invalid event raises ``ValueError`` and none of the batch is stored.
        A large batch for PostgreSQL streams: a thread validates and redacts the next chunk while
        the server stores this one.
        """
        secrets = secret_values(self._secret_env)

        def prepare(event):
            return self.prepare(event, secrets)

        events = list(events)
        streamed = len(events) > STREAM_THRESHOLD and not self.defer and hasattr(self.store, "insert_stream")
        if not streamed:
            events = [prepare(event) for event in events]
        if not events:
            return []
        if self.defer:
            self.outbox.put(events, "deferred by the hook")
            ids = [None] * len(events)
        else:
            try:
                self._deliver_outbox()
                ids = self.store.insert_stream(events, prepare) if streamed else self._insert(events)
            except StoreUnavailable as exc:
                events = [prepare(event) for event in events]  # (preparing twice changes nothing)
                self.outbox.put(events, str(exc))
                _warn(f"tier1: database unreachable ({exc}); {len(events)} event(s) kept in "
                      f"{self.outbox.path} for delivery")
                ids = [None] * len(events)
        for event, event_id in zip(events, ids):
            event.id = event_id
        self._notify(events)
        return ids

    def _insert(self, events):
        try:
            return self.store.insert(events)
        except sqlite_unavailable() as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from None

    def _deliver_outbox(self) -> int:
        if not self.outbox.exists():
            return 0
        return self.outbox.deliver(self._insert)

    def flush_outbox(self) -> int:
        """Deliver every event waiting in the outbox; returns how many were delivered."""
        return self._deliver_outbox()

    def _notify(self, events) -> None:
        from tier1_plugin.plugins import hook_implementations

        listeners = hook_implementations("tier1_event_stored")
        for event in events:
            for plugin_name, listener in listeners:
                try:
                    listener(event=event)
                except Exception as exc:  # noqa: BLE001 - a listener never loses an event
                    _warn(f"tier1: event listener {plugin_name!r} failed: {type(exc).__name__}: {exc}")

    # -- reading ---------------------------------------------------------------------------

    def get_events(self, event_type=None, status=None, project_id=None, since=None, limit=100,
                   correlation_id=None) -> list[AutomationEvent]:
        """Events matching every given filter, newest first."""
        return self.store.query(event_type=event_type, status=status, project_id=project_id,
                                since=_as_time(since), correlation_id=correlation_id, limit=limit)

    def get_event(self, event_id: int) -> AutomationEvent | None:
        return self.store.get(int(event_id))

    def get_event_timeline(self, project_id=None, hours: float = 24) -> list[AutomationEvent]:
        """A project's events of the last ``hours``, oldest first."""
        since = datetime.now(timezone.utc) - timedelta(hours=hours)
        return self.store.query(project_id=project_id or self.project_id, since=since,
                                limit=None, oldest_first=True)

    def correlate_events(self, event_id: int) -> list[AutomationEvent]:
        """Events sharing ``event_id``'s correlation id, or linked by ``metadata.correlated_with``
        in either direction; oldest first, without the event itself."""
        event = self.get_event(event_id)
        if event is None:
            raise LookupError(f"no event with id {event_id}")
        return self.store.correlated(event)

    def resolve_event(self, event_id: int) -> bool:
        """Mark an event resolved now; False when it does not exist or was already resolved."""
        return self.store.resolve(int(event_id), datetime.now(timezone.utc))

    # -- SQL for other components ----------------------------------------------------------

    def execute(self, sql: str, params=(), *, many: bool = False) -> list[tuple]:
        """Run one statement on the store's database, written with ``?`` placeholders."""
        return self.store.execute(sql, params, many=many)

    def transaction(self):
        """``with hub.transaction() as execute: execute(sql, params)`` in one transaction."""
        return self.store.transaction()


def sqlite_unavailable():
    """SQLite's "cannot write now" (locked past the busy timeout, read-only, disk full)."""
    module = sys.modules.get("sqlite3")
    return (module.OperationalError,) if module else ()


def _as_time(value):
    if value is None or isinstance(value, datetime):
        return value
    from tier1_plugin.timeparse import parse_since

    return parse_since(str(value))


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def flush_lock_path(root: Path) -> Path:
    return Path(root) / ".tier1" / "flush.lock"


def hold_flush_lock(root: Path, wait: bool):
    """An open file holding the outbox flush lock, or ``None`` when another flush holds it.

    Only one flush runs at a time: 80 hook processes deferring at once start one flusher, not
    80 (the running one keeps delivering until the outbox is empty).
    """
    import fcntl

    path = flush_lock_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        handle.close()
        return None
    return handle


def spawn_background_flush(root: Path) -> None:
    """Start ``tier1 db flush`` detached, so the hook returns at once and the outbox drains.

    Nothing is started while another flush runs.
    """
    import subprocess

    held = hold_flush_lock(root, wait=False)
    if held is None:
        return
    held.close()  # the child takes the lock itself
    try:
        subprocess.Popen([sys.executable, "-m", "tier1_plugin", "db", "flush", "--background"],
                         cwd=str(root), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        pass  # the next command delivers the outbox instead
