"""Where events wait while the database is unreachable: a local SQLite file.

Delivery is at-least-once from here and exactly-once in the store, because every event keeps
the ``event_uuid`` and ``created_at`` it was made with and the store ignores a second copy.
"""

from __future__ import annotations

import json
import os
import sqlite3

from tier1_plugin.models import AutomationEvent

_SCHEMA = """CREATE TABLE IF NOT EXISTS outbox (
    event_uuid TEXT PRIMARY KEY,
    payload    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)"""


class Outbox:
    def __init__(self, path: str):
        self.path = path

    def __repr__(self):
        return f"Outbox({self.path!r})"

    def _connect(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        return connection

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def put(self, events: list[AutomationEvent], error: str = "") -> None:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT OR IGNORE INTO outbox (event_uuid, payload, last_error) VALUES (?, ?, ?)",
                [(e.event_uuid, json.dumps(e.to_dict()), error) for e in events])
            connection.execute("COMMIT")
        finally:
            connection.close()

    def pending(self) -> int:
        if not self.exists():
            return 0
        connection = self._connect()
        try:
            return connection.execute("SELECT count(*) FROM outbox").fetchone()[0]
        finally:
            connection.close()

    def deliver(self, store_events, batch: int = 500) -> int:
        """Hand queued events to ``store_events`` in batches; remove each batch once stored.

        A crash between storing and removing only means the batch is offered again, and the
        store ignores events it already holds.  Returns how many events were delivered.
        """
        if not self.exists():
            return 0
        delivered = 0
        connection = self._connect()
        try:
            while True:
                rows = connection.execute(
                    "SELECT rowid, payload FROM outbox ORDER BY rowid LIMIT ?", (batch,)).fetchall()
                if not rows:
                    return delivered
                events = [AutomationEvent.from_dict(json.loads(payload)) for _, payload in rows]
                for event in events:
                    event.id = None
                try:
                    store_events(events)
                except Exception as exc:
                    connection.execute(
                        f"UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE rowid IN "
                        f"({', '.join('?' * len(rows))})", (str(exc)[:200], *[r[0] for r in rows]))
                    raise
                connection.execute(f"DELETE FROM outbox WHERE rowid IN ({', '.join('?' * len(rows))})",
                                   [r[0] for r in rows])
                delivered += len(rows)
        finally:
            connection.close()
