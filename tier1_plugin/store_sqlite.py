"""The embedded event store: one SQLite file (WAL), safe with many processes writing at once.

``memory://`` is the same backend on a private in-memory database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import datetime, timezone

from tier1_plugin.event_query import COLUMNS, SELECT as _SELECT, select_events
from tier1_plugin.migrations import VERSION_TABLE, migrations, split_statements
from tier1_plugin.models import AutomationEvent, parse_time


#: How long a writer waits for another process's lock before the store fails (and the event
#: goes to the outbox).  80 concurrent hook processes each hold the lock for well under 1 ms.
BUSY_TIMEOUT_S = 30.0


def to_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


class SQLiteStore:
    dialect = "sqlite"
    placeholder = "?"

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None

    def __repr__(self):
        return f"SQLiteStore({self.path!r})"

    # -- connection and schema -------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            if self.path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                         check_same_thread=False)
            if self.path != ":memory:":
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            self._connection = connection
            self.upgrade()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def schema_version(self) -> int:
        connection = self.connection()
        return connection.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()[0]

    def upgrade(self) -> list[str]:
        """Apply missing migrations; several processes may race here, one wins the lock."""
        connection = self._connection or self.connection()
        connection.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
                           "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        pending = self._pending(connection)
        if not pending:
            return []
        applied = []
        with self._lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for migration in self._pending(connection):  # again, under the lock
                    for statement in split_statements(migration.sql):
                        connection.execute(statement)
                    connection.execute(f"INSERT INTO {VERSION_TABLE} VALUES (?, ?, ?)",
                                       (migration.version, migration.name,
                                        to_text(datetime.now(timezone.utc))))
                    applied.append(f"{migration.version:04d}_{migration.name}")
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return applied

    def _pending(self, connection):
        done = {row[0] for row in connection.execute(f"SELECT version FROM {VERSION_TABLE}")}
        return [m for m in migrations(self.dialect) if m.version not in done]

    # -- events ---------------------------------------------------------------------------

    def insert(self, events: list[AutomationEvent]) -> list[int]:
        rows = [_row(event) for event in events]
        connection = self.connection()
        if len(rows) == 1:  # the hook's case: one statement, one implicit transaction
            with self._lock:
                found = connection.execute(
                    f"INSERT INTO automation_events ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))}) "
                    "ON CONFLICT (event_uuid) DO NOTHING RETURNING id", rows[0]).fetchone()
                return [found[0] if found else self._ids_for(connection, [events[0].event_uuid])[0]]
        with self._lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    f"INSERT OR IGNORE INTO automation_events ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
                ids = self._ids_for(connection, [event.event_uuid for event in events])
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return ids

    @staticmethod
    def _ids_for(connection, uuids: list[str]) -> list[int]:
        found = {}
        for start in range(0, len(uuids), 500):
            chunk = uuids[start:start + 500]
            found.update(connection.execute(
                f"SELECT event_uuid, id FROM automation_events WHERE event_uuid IN "
                f"({', '.join('?' * len(chunk))})", chunk).fetchall())
        return [found[uuid] for uuid in uuids]

    def query(self, **filters) -> list[AutomationEvent]:
        sql, params = select_events("?", to_text, **filters)
        return [_event(row) for row in self.connection().execute(sql, params)]

    def get(self, event_id: int) -> AutomationEvent | None:
        row = self.connection().execute(f"{_SELECT} WHERE id = ?", (event_id,)).fetchone()
        return _event(row) if row else None

    def correlated(self, event: AutomationEvent) -> list[AutomationEvent]:
        keys = [str(event.id), event.event_uuid]
        named = [str(v) for v in event.metadata.get("correlated_with", [])]
        sql = (f"{_SELECT} WHERE id != ? AND ("
               "(correlation_id IS NOT NULL AND correlation_id = ?)"
               " OR EXISTS (SELECT 1 FROM json_each(metadata, '$.correlated_with') WHERE value IN (?, ?))"
               f" OR CAST(id AS TEXT) IN ({', '.join('?' * len(named)) or 'NULL'})"
               f" OR event_uuid IN ({', '.join('?' * len(named)) or 'NULL'})"
               ") ORDER BY created_at, id")
        params = [event.id, event.correlation_id, *keys, *named, *named]
        return [_event(row) for row in self.connection().execute(sql, params)]

    def resolve(self, event_id: int, when: datetime) -> bool:
        with self._lock:
            cursor = self.connection().execute(
                "UPDATE automation_events SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
                (to_text(when), event_id))
        return cursor.rowcount == 1

    def archive(self, cutoff: datetime) -> int:
        connection = self.connection()
        with self._lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                moved = connection.execute(
                    "INSERT OR IGNORE INTO automation_events_archive SELECT * FROM automation_events "
                    "WHERE created_at < ?", (to_text(cutoff),)).rowcount
                connection.execute("DELETE FROM automation_events WHERE created_at < ?", (to_text(cutoff),))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return moved

    # -- SQL for other components (todos, circuit breaker) ----------------------------------

    def execute(self, sql: str, params=(), *, many=False) -> list[tuple]:
        """Run one statement written with ``?`` placeholders; returns the rows it produced."""
        connection = self.connection()
        with self._lock:
            cursor = connection.executemany(sql, params) if many else connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def transaction(self):
        return _SQLiteTransaction(self)


class _SQLiteTransaction:
    """``with store.transaction() as execute:`` runs statements under one write lock."""

    def __init__(self, store: SQLiteStore):
        self.store = store

    def __enter__(self):
        self.store._lock.acquire()
        self.connection = self.store.connection()
        self.connection.execute("BEGIN IMMEDIATE")

        def execute(sql, params=()):
            cursor = self.connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

        return execute

    def __exit__(self, exc_type, exc, tb):
        try:
            self.connection.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
        return False


def _row(event: AutomationEvent) -> tuple:
    return (event.event_uuid, event.event_type, event.project_id, event.status,
            json.dumps(event.evidence), event.detected_from, json.dumps(event.metadata),
            event.correlation_id, to_text(event.created_at), to_text(event.resolved_at))


def _event(row) -> AutomationEvent:
    (id_, uuid, event_type, project_id, status, evidence, detected_from, metadata,
     correlation_id, created_at, resolved_at) = row
    return AutomationEvent(
        id=id_, event_uuid=uuid, event_type=event_type, project_id=project_id, status=status,
        evidence=json.loads(evidence), detected_from=detected_from, metadata=json.loads(metadata),
        correlation_id=correlation_id, created_at=parse_time(created_at),
        resolved_at=parse_time(resolved_at) if resolved_at else None)
