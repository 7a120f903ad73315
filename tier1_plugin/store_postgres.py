"""The production event store: PostgreSQL, JSONB, monthly partitions, exactly-once inserts."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import psycopg
from psycopg.types.json import Jsonb

from tier1_plugin.errors import StoreUnavailable
from tier1_plugin.event_query import COLUMNS, SELECT as _SELECT, select_events
from tier1_plugin.migrations import VERSION_TABLE, migrations
from tier1_plugin.models import AutomationEvent

_ADVISORY_LOCK = 0x7431_6462  # "t1db": serialises concurrent `tier1 db upgrade`


class PostgresStore:
    dialect = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str, connect_timeout_s: float = 3):
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._lock = threading.RLock()
        self._connection: psycopg.Connection | None = None
        self._months: set[tuple[int, int]] = set()

    def __repr__(self):
        return "PostgresStore(<url redacted>)"

    def connection(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            try:
                self._connection = psycopg.connect(
                    self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout_s)))
            except psycopg.OperationalError as exc:
                raise StoreUnavailable(_first_line(exc)) from None
            self._months.clear()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _run(self, work):
        """Run ``work(connection)``; a dropped connection is retried once, then unavailable."""
        with self._lock:
            for attempt in (1, 2):
                connection = self.connection()
                try:
                    return work(connection)
                except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction):
                    raise StoreUnavailable("the schema is missing: run `tier1 db upgrade`") from None
                except psycopg.OperationalError as exc:
                    self.close()
                    if attempt == 2:
                        raise StoreUnavailable(_first_line(exc)) from None

    # -- schema ----------------------------------------------------------------------------

    def schema_version(self) -> int:
        return self._run(lambda c: c.execute(
            f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()[0])

    def upgrade(self) -> list[str]:
        """Apply missing migrations (``tier1 db upgrade``); concurrent runs wait on a lock."""
        connection = self.connection()
        applied = []
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))
            connection.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
                               "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            done = {row[0] for row in connection.execute(f"SELECT version FROM {VERSION_TABLE}")}
            for migration in migrations(self.dialect):
                if migration.version in done:
                    continue
                connection.execute(migration.sql)
                connection.execute(f"INSERT INTO {VERSION_TABLE} (version, name) VALUES (%s, %s)",
                                   (migration.version, migration.name))
                applied.append(f"{migration.version:04d}_{migration.name}")
        return applied

    def ensure_partitions(self, connection, moments) -> None:
        months = {(m.astimezone(timezone.utc).year, m.astimezone(timezone.utc).month) for m in moments}
        for year, month in sorted(months - self._months):
            connection.execute("SELECT tier1_ensure_partition(%s)",
                               (datetime(year, month, 1, tzinfo=timezone.utc),))
            self._months.add((year, month))

    def partitions(self) -> list[str]:
        return [row[0] for row in self._run(lambda c: c.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'automation_events'::regclass ORDER BY c.relname").fetchall())]

    # -- events ----------------------------------------------------------------------------

    def insert(self, events: list[AutomationEvent]) -> list[int]:
        if len(events) == 1:
            return [self._run(lambda c: self._insert_one(c, events[0]))]
        return self._run(lambda c: self._insert_many(c, events))

    def insert_stream(self, events: list[AutomationEvent], prepare, chunk: int = 500) -> list[int]:
        """Prepare and store a large batch chunk by chunk, in one transaction.

        A thread runs ``prepare`` (validation and redaction, pure Python) on chunk n+1 while
        the server stores chunk n, so the two costs overlap on two cores.  Chunks are COPYed
        straight into the table with ids taken from the sequence; if any event turns out to be
        stored already, the transaction is rolled back and the batch goes through the
        deduplicating path instead.  A ``prepare`` error rolls everything back and is raised.
        """
        return self._run(lambda connection: self._insert_stream(connection, events, prepare, chunk))

    def _insert_stream(self, connection, events, prepare, chunk) -> list[int]:
        # Everything that needs a round trip happens once, before streaming: each round trip
        # makes this thread wait for the interpreter lock the producer holds.
        self.ensure_partitions(connection, [_utc(event.created_at) for event in events])
        ids = [row[0] for row in connection.execute(
            "SELECT nextval('automation_events_id_seq') FROM generate_series(1, %s)", (len(events),))]
        # The producer also writes the COPY text, ids included: this thread then only sends it
        # and waits on the server, with the lock released, while Python works on the next chunk.
        def encode(part, start):
            return "".join(f"{event_id}\t{_copy_line(prepare(event))}"
                           for event_id, event in zip(ids[start:start + len(part)], part)).encode()

        prepared = _PreparedChunks(events, encode, chunk)
        try:
            with connection.transaction():
                with connection.cursor().copy(
                        f"COPY automation_events (id, {', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for text in prepared:
                        copy.write(text)
        except psycopg.errors.UniqueViolation:
            prepared.finish()
            return self._insert_many(connection, events)
        except BaseException:
            prepared.finish()
            raise
        return ids

    def _insert_one(self, connection, event) -> int:
        self.ensure_partitions(connection, [event.created_at])
        row = connection.execute(
            f"INSERT INTO automation_events ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT (event_uuid, created_at) DO NOTHING "
            "RETURNING id", _row(event)).fetchone()
        if row is None:  # delivered before (outbox redelivery): exactly once
            row = connection.execute("SELECT id FROM automation_events WHERE event_uuid = %s "
                                     "AND created_at = %s", (event.event_uuid, event.created_at)).fetchone()
        return row[0]

    def _insert_many(self, connection, events) -> list[int]:
        """COPY into a temporary table, then one INSERT ... ON CONFLICT DO NOTHING."""
        self.ensure_partitions(connection, [event.created_at for event in events])
        with connection.transaction():
            connection.execute(
                "CREATE TEMP TABLE IF NOT EXISTS tier1_incoming (LIKE automation_events "
                "INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            with connection.cursor().copy(
                    f"COPY tier1_incoming ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                copy.write("".join(_copy_line(event) for event in events))
            connection.execute(
                f"INSERT INTO automation_events ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                "FROM tier1_incoming ON CONFLICT (event_uuid, created_at) DO NOTHING")
            ids = dict(connection.execute(
                "SELECT e.event_uuid::text, e.id FROM automation_events e JOIN tier1_incoming i "
                "ON e.event_uuid = i.event_uuid AND e.created_at = i.created_at").fetchall())
        return [ids[event.event_uuid] for event in events]

    def query(self, **filters) -> list[AutomationEvent]:
        sql, params = select_events("%s", lambda moment: moment, **filters)
        return self._run(lambda c: [_event(row) for row in c.execute(sql, params)])

    def get(self, event_id: int) -> AutomationEvent | None:
        row = self._run(lambda c: c.execute(f"{_SELECT} WHERE id = %s", (event_id,)).fetchone())
        return _event(row) if row else None

    def correlated(self, event: AutomationEvent) -> list[AutomationEvent]:
        named = [str(v) for v in event.metadata.get("correlated_with", [])]
        sql = (f"{_SELECT} WHERE id <> %s AND ("
               "(correlation_id IS NOT NULL AND correlation_id = %s)"
               " OR metadata->'correlated_with' ?| %s"
               " OR id::text = ANY(%s) OR event_uuid::text = ANY(%s)"
               ") ORDER BY created_at, id")
        params = (event.id, event.correlation_id, [str(event.id), event.event_uuid], named, named)
        return self._run(lambda c: [_event(row) for row in c.execute(sql, params)])

    def resolve(self, event_id: int, when: datetime) -> bool:
        return self._run(lambda c: c.execute(
            "UPDATE automation_events SET resolved_at = %s WHERE id = %s AND resolved_at IS NULL",
            (when, event_id)).rowcount == 1)

    def archive(self, cutoff: datetime) -> int:
        """Detach whole monthly partitions that end before ``cutoff`` into schema tier1_archive."""
        def work(connection):
            moved = 0
            with connection.transaction():
                connection.execute("CREATE SCHEMA IF NOT EXISTS tier1_archive")
                rows = connection.execute(
                    "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'automation_events'::regclass").fetchall()
                for name, bound in rows:
                    upper = bound.split("TO ('", 1)[1].split("'", 1)[0]
                    if datetime.fromisoformat(upper.replace(" ", "T")) <= cutoff:
                        count = connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                        connection.execute(f'ALTER TABLE automation_events DETACH PARTITION "{name}"')
                        connection.execute(f'ALTER TABLE "{name}" SET SCHEMA tier1_archive')
                        moved += count
            self._months.clear()
            return moved
        return self._run(work)

    # -- SQL for other components ----------------------------------------------------------

    def execute(self, sql: str, params=(), *, many=False) -> list[tuple]:
        """Run one statement written with ``?`` placeholders (translated to ``%s``)."""
        sql = sql.replace("?", "%s")

        def work(connection):
            with connection.cursor() as cursor:
                if many:
                    cursor.executemany(sql, params)
                else:
                    cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        return self._run(work)

    def transaction(self):
        return _PostgresTransaction(self)


class _PreparedChunks:
    """Iterates over ``encode(chunk, start)`` for consecutive chunks of ``events``, computed
    ahead of the consumer in a background thread (``encode`` may prepare the events in place)."""

    _DONE = object()

    def __init__(self, events, encode, chunk):
        import queue

        self._queue = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._produce, args=(events, encode, chunk),
                                        name="tier1-prepare", daemon=True)
        self._thread.start()

    def _produce(self, events, encode, chunk):
        try:
            for start in range(0, len(events), chunk):
                self._queue.put(encode(events[start:start + chunk], start))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._queue.put(exc)
            return
        self._queue.put(self._DONE)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def finish(self) -> None:
        """Let the producer run to the end (every event prepared), then wait for it."""
        while self._thread.is_alive() or not self._queue.empty():
            item = self._queue.get()
            if item is self._DONE or isinstance(item, BaseException):
                break
        self._thread.join()


class _PostgresTransaction:
    def __init__(self, store: PostgresStore):
        self.store = store

    def __enter__(self):
        self.store._lock.acquire()
        try:
            connection = self.store.connection()
            self._transaction = connection.transaction()
            self._transaction.__enter__()
        except BaseException:
            self.store._lock.release()
            raise

        def execute(sql, params=()):
            cursor = connection.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

        return execute

    def __exit__(self, exc_type, exc, tb):
        try:
            return self._transaction.__exit__(exc_type, exc, tb)
        finally:
            self.store._lock.release()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    # most values have nothing to escape, and the checks cost less than translate()
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


_JSON = json.JSONEncoder(separators=(",", ":")).encode  # jsonb re-formats it anyway


def _copy_json(value: dict) -> str:
    text = _JSON(value)  # JSON escapes tabs and newlines itself; only backslashes remain
    return text.replace("\\", "\\\\") if "\\" in text else text


def _copy_line(event: AutomationEvent) -> str:
    """One row of COPY's text format, written directly (psycopg's per-value adaptation costs
    three times as much, and bulk ingest is this loop)."""
    return "\t".join((
        event.event_uuid, _copy_text(event.event_type), _copy_text(event.project_id),
        _copy_text(event.status), _copy_json(event.evidence), _copy_text(event.detected_from),
        _copy_json(event.metadata), _copy_text(event.correlation_id),
        _utc(event.created_at).isoformat(),
        _copy_text(event.resolved_at and _utc(event.resolved_at).isoformat()))) + "\n"


def _row(event: AutomationEvent) -> tuple:
    return (event.event_uuid, event.event_type, event.project_id, event.status,
            Jsonb(event.evidence), event.detected_from, Jsonb(event.metadata),
            event.correlation_id, event.created_at, event.resolved_at)


def _event(row) -> AutomationEvent:
    (id_, uuid, event_type, project_id, status, evidence, detected_from, metadata,
     correlation_id, created_at, resolved_at) = row
    return AutomationEvent(
        id=id_, event_uuid=str(uuid), event_type=event_type, project_id=project_id,
        status=status, evidence=evidence, detected_from=detected_from, metadata=metadata,
        correlation_id=correlation_id, created_at=created_at, resolved_at=resolved_at)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
