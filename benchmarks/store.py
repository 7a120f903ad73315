"""Event store throughput and query latency, SQLite and PostgreSQL, with same-run baselines.

    python benchmarks/store.py [--rows 300000] [--single 2000] [--postgres URL]

Prints, per backend:
- bulk ingest (``store_events`` in batches of 5,000) in events/s, against a baseline of the
  seed's approach (one INSERT per event through the driver's ``executemany``);
- one-by-one ``store_event`` in events/s, against the bare driver doing one INSERT + commit;
- p50/p99 of "newest 50 for a project and type" with ``--rows`` rows present, against a
  ``SELECT 1`` round trip.
Goals (issue 2): PostgreSQL bulk >= 20,000/s, one-by-one >= 1,000/s, query p50 <= 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

# Run with the project's environment (make venv; .venv/bin/python benchmarks/store.py).
# This folder holds secrets.py (the scanner benchmark), which would shadow the stdlib module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from tier1_plugin import AutomationEvent  # noqa: E402
from tier1_plugin.config import load_config  # noqa: E402
from tier1_plugin.hub import AutomationHub  # noqa: E402

PROJECTS = [f"service-{n}" for n in range(20)]
VERBS = ["Fix", "Add", "Refactor", "Document", "Test", "Remove", "Speed up", "Rename"]
NOUNS = ["auth", "token", "refresh", "cache", "parser", "billing", "invoice", "webhook", "queue",
         "retry", "login", "export", "report", "migration", "schema", "client"]
TYPES = ["production_check", "action_item_completed", "no_action_taken", "n8n_failure_detected"]


def make_events(count: int, spread_days: int = 60) -> list[AutomationEvent]:
    now = datetime.now(timezone.utc)
    rng = random.Random(7)
    return [AutomationEvent(
        event_type=rng.choice(TYPES), status="success", project_id=rng.choice(PROJECTS),
        evidence={"tool_name": "Bash", "confidence": rng.randint(50, 99),
                  # unique text per event, as real tool output is: no cache can help here
                  "context_snippet": f"[main {rng.getrandbits(28):07x}] {rng.choice(VERBS)} the "
                                     f"{rng.choice(NOUNS)} {rng.choice(NOUNS)} ({rng.randint(1, 999)} files)"},
        detected_from="benchmark", correlation_id=f"session-{rng.randint(1, 5000)}",
        created_at=now - timedelta(seconds=rng.randint(0, spread_days * 86400)))
        for _ in range(count)]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def bench_backend(name: str, url: str, rows: int, single: int, baseline) -> dict:
    config = load_config()
    hub = AutomationHub(url, config=config)
    hub.store.upgrade()
    hub.store_event(AutomationEvent("production_check", "success"))  # connect, warm up

    # bulk ingest: everything the query benchmark needs
    events = make_events(rows)
    started = time.perf_counter()
    for start in range(0, rows, 5000):
        hub.store_events(events[start:start + 5000])
    bulk = rate(rows, time.perf_counter() - started)
    baseline_bulk = baseline.bulk(make_events(min(rows, 20000)))

    one = make_events(single, spread_days=0)
    baseline.settle()  # the bulk load's WAL must not be flushed during the one-by-one timing
    started = time.perf_counter()
    for event in one:
        hub.store_event(event)
    one_by_one = rate(single, time.perf_counter() - started)
    baseline.settle()
    baseline_one = baseline.one_by_one(make_events(single, spread_days=0))

    latencies = []
    rng = random.Random(11)
    for _ in range(400):
        project, event_type = rng.choice(PROJECTS), rng.choice(TYPES)
        started = time.perf_counter()
        found = hub.get_events(event_type=event_type, project_id=project, limit=50)
        latencies.append(time.perf_counter() - started)
        assert len(found) == 50
    ping = baseline.ping()
    hub.close()
    latencies.sort()
    return {
        "backend": name,
        "bulk_events_per_s": round(bulk), "baseline_bulk_events_per_s": round(baseline_bulk),
        "single_events_per_s": round(one_by_one), "baseline_single_events_per_s": round(baseline_one),
        "query_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "query_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "ping_p50_ms": round(ping * 1000, 3),
    }


def median_round_trip(connection, runs: int = 400) -> float:
    """Median seconds of ``SELECT 1``: the floor under any query on this connection."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute("SELECT 1").fetchone()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class SQLiteBaseline:
    """The bare sqlite3 module, one INSERT per event (the seed's way)."""

    def settle(self):
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __init__(self, folder: Path):
        import sqlite3

        self.connection = sqlite3.connect(folder / "baseline.db", isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("CREATE TABLE t (event_uuid TEXT, event_type TEXT, project_id TEXT, status TEXT, "
                                "evidence TEXT, created_at TEXT)")

    def _row(self, e):
        return (e.event_uuid, e.event_type, e.project_id, e.status, json.dumps(e.evidence), e.created_at.isoformat())

    def bulk(self, events):
        started = time.perf_counter()
        for e in events:  # autocommit: the seed's one statement, one transaction per event
            self.connection.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", self._row(e))
        return rate(len(events), time.perf_counter() - started)

    def one_by_one(self, events):
        return self.bulk(events)

    def ping(self):
        return median_round_trip(self.connection)


class PostgresBaseline:
    """Bare psycopg: one INSERT per event in autocommit (the seed's way)."""

    def settle(self):
        """Write out what earlier phases left in the WAL, so each timed phase starts alike."""
        self.connection.execute("CHECKPOINT")

    def __init__(self, url: str):
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)
        self.connection.execute("CREATE TABLE t (event_uuid UUID, event_type TEXT, project_id TEXT, status TEXT, "
                                "evidence JSONB, created_at TIMESTAMPTZ)")

    def bulk(self, events):
        from psycopg.types.json import Jsonb

        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)",
                               [(e.event_uuid, e.event_type, e.project_id, e.status, Jsonb(e.evidence),
                                 e.created_at) for e in events])
        return rate(len(events), time.perf_counter() - started)

    def one_by_one(self, events):
        from psycopg.types.json import Jsonb

        started = time.perf_counter()
        for e in events:
            self.connection.execute("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)",
                                    (e.event_uuid, e.event_type, e.project_id, e.status,
                                     Jsonb(e.evidence), e.created_at))
        return rate(len(events), time.perf_counter() - started)

    def ping(self):
        return median_round_trip(self.connection)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get(
        "TIER1_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        os.environ["XDG_CACHE_HOME"] = str(Path(folder) / "cache")
        results.append(bench_backend("sqlite", f"sqlite:///{folder}/events.db", args.rows, args.single,
                                     SQLiteBaseline(Path(folder))))
        import psycopg

        name = f"tier1_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{args.postgres.rsplit('/', 1)[0]}/{name}"
        try:
            baseline = PostgresBaseline(url)
            results.append(bench_backend("postgresql", url, args.rows, args.single, baseline))
            baseline.connection.close()
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{args.rows:,} rows present; {args.single:,} one-by-one stores; 400 queries\n")
    print("| backend | bulk events/s (vs one INSERT each) | one-by-one events/s (vs bare driver) "
          "| newest 50 p50 / p99 ms (SELECT 1 p50) |")
    print("| --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['backend']} | {r['bulk_events_per_s']:,} ({r['bulk_events_per_s'] / r['baseline_bulk_events_per_s']:.1f}x) "
              f"| {r['single_events_per_s']:,} ({r['single_events_per_s'] / r['baseline_single_events_per_s']:.2f}x) "
              f"| {r['query_p50_ms']} / {r['query_p99_ms']} ({r['ping_p50_ms']}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
