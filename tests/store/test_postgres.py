"""PostgreSQL specifics: migrations, partitions, roles, bulk COPY, archive."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tier1_plugin import AutomationEvent
from tier1_plugin.config import load_config
from tier1_plugin.hub import AutomationHub
from tier1_plugin.migrations import latest_version
from tier1_plugin.sql import __file__ as sql_init

pytestmark = pytest.mark.integration


def tier1(*args, env_url, **kwargs):
    import os

    env = {**os.environ, "TIER1_DATABASE_URL": env_url}
    return subprocess.run([sys.executable, "-m", "tier1_plugin", *args], capture_output=True,
                          text=True, env=env, **kwargs)


def test_db_upgrade_from_empty_and_again(project, postgres_url):
    first = tier1("db", "upgrade", env_url=postgres_url)
    assert first.returncode == 0, first.stderr
    assert "applied 0001_events" in first.stdout
    again = tier1("db", "upgrade", env_url=postgres_url)
    assert again.returncode == 0
    assert "schema up to date" in again.stdout
    with psycopg.connect(postgres_url) as connection:
        versions = [r[0] for r in connection.execute("SELECT version FROM tier1_schema_version ORDER BY 1")]
        indexes = {r[0] for r in connection.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'automation_events'")}
        kinds = dict(connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'automation_events'").fetchall())
    assert versions == list(range(1, latest_version("postgresql") + 1))
    assert {"idx_events_type", "idx_events_project", "idx_events_status", "idx_events_created",
            "idx_events_project_type_created"} <= indexes
    assert kinds["evidence"] == kinds["metadata"] == "jsonb"
    assert kinds["event_uuid"] == "uuid"


def test_events_before_upgrade_wait_in_the_outbox_not_lost(project, postgres_url):
    hub = AutomationHub(postgres_url, config=load_config())
    assert hub.store_event(AutomationEvent("production_check", "success")) is None
    assert hub.outbox.pending() == 1
    hub.store.upgrade()
    assert hub.flush_outbox() == 1
    assert len(hub.get_events()) == 1


def test_monthly_partitions_exist_ahead_and_are_created_on_demand(project, postgres_url):
    hub = AutomationHub(postgres_url, config=load_config())
    hub.store.upgrade()
    now = datetime.now(timezone.utc)
    ahead = (now.replace(day=1) + timedelta(days=40)).strftime("automation_events_%Y_%m")
    assert ahead in hub.store.partitions()
    old = datetime(2024, 2, 29, 23, 59, tzinfo=timezone.utc)
    hub.store_events([AutomationEvent("production_check", "success", created_at=old),
                      AutomationEvent("production_check", "success")])
    assert "automation_events_2024_02" in hub.store.partitions()
    with psycopg.connect(postgres_url) as connection:
        count = connection.execute("SELECT count(*) FROM automation_events_2024_02").fetchone()[0]
    assert count == 1


def test_archive_detaches_whole_old_months(project, postgres_url):
    hub = AutomationHub(postgres_url, config=load_config())
    hub.store.upgrade()
    old = datetime.now(timezone.utc) - timedelta(days=200)
    hub.store_events([AutomationEvent("no_action_taken", "skipped", created_at=old) for _ in range(3)]
                     + [AutomationEvent("no_action_taken", "skipped")])
    result = tier1("db", "archive", "--older-than", "90d", env_url=postgres_url)
    assert result.returncode == 0, result.stderr
    assert "archived 3 event(s)" in result.stdout
    assert len(hub.get_events(limit=None)) == 1
    with psycopg.connect(postgres_url) as connection:
        archived = connection.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'tier1_archive'").fetchone()[0]
    assert archived == 1


def test_writer_role_may_insert_and_update_but_never_delete(project, postgres_url):
    hub = AutomationHub(postgres_url, config=load_config())
    hub.store.upgrade()
    roles_sql = (__import__("pathlib").Path(sql_init).parent / "roles.sql").read_text()
    login = f"tier1_test_writer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(roles_sql)
        admin.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE automation_writer')
    try:
        writer_url = postgres_url.replace("postgres@", f"{login}@")
        writer = AutomationHub(writer_url, config=load_config())
        event_id = writer.store_event(AutomationEvent("production_check", "success"))
        assert event_id is not None
        assert writer.resolve_event(event_id)
        # next year's partition does not exist yet: the writer still stores through the function
        future = datetime.now(timezone.utc) + timedelta(days=400)
        assert writer.store_event(AutomationEvent("production_check", "success", created_at=future))
        writer.close()
        with psycopg.connect(writer_url) as connection:
            for statement in ("DELETE FROM automation_events", "TRUNCATE automation_events"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(statement)
                connection.rollback()
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{login}"')
            admin.execute(f'DROP ROLE "{login}"')


def test_large_batches_stream_exactly_once_and_roll_back_on_a_bad_event(project, postgres_url):
    from tier1_plugin.hub import STREAM_THRESHOLD

    hub = AutomationHub(postgres_url, config=load_config())
    hub.store.upgrade()
    count = STREAM_THRESHOLD * 2 + 7
    batch = [AutomationEvent("no_action_taken", "skipped", evidence={"n": n, "note": "token=abc12345"})
             for n in range(count)]
    ids = hub.store_events(batch)
    assert len(set(ids)) == count and None not in ids
    stored = {e.id: e for e in hub.get_events(limit=None)}
    assert [stored[i].evidence["n"] for i in ids] == list(range(count))
    assert stored[ids[-1]].evidence["note"] == "token=[REDACTED]"
    # the same events again (an outbox redelivery): no duplicates, the same ids
    assert hub.store_events(batch) == ids
    # one invalid event anywhere in a large batch: nothing of the batch is stored
    bad = [AutomationEvent("no_action_taken", "skipped", evidence={"n": n}) for n in range(count)]
    bad[-3].evidence["when"] = datetime.now(timezone.utc)
    with pytest.raises(ValueError, match="evidence is not JSON-serialisable"):
        hub.store_events(bad)
    assert len(hub.get_events(limit=None)) == count
