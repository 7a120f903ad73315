"""Nothing is lost: events wait in the outbox while the database is down, delivered exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from support.services import dead_port
from tier1_plugin import AutomationEvent
from tier1_plugin.config import load_config
from tier1_plugin.hub import AutomationHub, spawn_background_flush

pytestmark = pytest.mark.integration


@pytest.fixture
def live_url(project, postgres_url):
    AutomationHub(postgres_url, config=load_config()).store.upgrade()
    return postgres_url


def down_url(live_url):
    return live_url.replace("127.0.0.1:5432", f"127.0.0.1:{dead_port()}")


def events(n, **fields):
    return [AutomationEvent("action_item_completed", "success", evidence={"n": i}, **fields)
            for i in range(n)]


def test_outage_then_recovery_delivers_every_event_exactly_once(project, live_url, capsys):
    down = AutomationHub(down_url(live_url), config=load_config())
    assert down.store_events(events(5)) == [None] * 5
    assert down.store_event(events(1)[0]) is None
    assert down.outbox.pending() == 6
    assert "database unreachable" in capsys.readouterr().err

    live = AutomationHub(live_url, config=load_config())
    new_id = live.store_event(AutomationEvent("production_check", "success"))  # delivers first
    assert new_id is not None
    assert live.outbox.pending() == 0
    stored = live.get_events(limit=None)
    assert len(stored) == 7
    assert len({e.event_uuid for e in stored}) == 7
    # the queued events keep the time they happened, not the time they were delivered
    assert min(e.created_at for e in stored if e.event_type == "action_item_completed") < \
        next(e.created_at for e in stored if e.id == new_id)


def test_a_crash_between_storing_and_dequeuing_does_not_duplicate(project, live_url):
    down = AutomationHub(down_url(live_url), config=load_config())
    down.store_events(events(4))
    live = AutomationHub(live_url, config=load_config())

    def store_then_crash(batch):
        live._insert(batch)
        raise RuntimeError("killed after COMMIT, before the outbox DELETE")

    with pytest.raises(RuntimeError):
        live.outbox.deliver(store_then_crash)
    assert live.outbox.pending() == 4  # still queued: it will be offered again
    assert live.flush_outbox() == 4
    assert len(live.get_events(limit=None)) == 4


def test_tier1_db_flush_delivers_and_reports(project, live_url):
    AutomationHub(down_url(live_url), config=load_config()).store_events(events(3))
    env = {**os.environ, "TIER1_DATABASE_URL": live_url}
    result = subprocess.run([sys.executable, "-m", "tier1_plugin", "db", "flush"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "delivered 3 event(s)" in result.stdout
    again = subprocess.run([sys.executable, "-m", "tier1_plugin", "db", "flush"],
                           capture_output=True, text=True, env=env)
    assert "delivered 0 event(s)" in again.stdout
    assert len(AutomationHub(live_url, config=load_config()).get_events(limit=None)) == 3


def test_flush_while_still_down_keeps_everything(project, live_url):
    url = down_url(live_url)
    AutomationHub(url, config=load_config()).store_events(events(2))
    env = {**os.environ, "TIER1_DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "tier1_plugin", "db", "flush"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert "2 event(s) still waiting" in result.stderr
    assert AutomationHub(url, config=load_config()).outbox.pending() == 2


def test_deferred_hub_queues_without_psycopg_and_the_background_flush_delivers(project, live_url, monkeypatch):
    monkeypatch.setenv("TIER1_DATABASE_URL", live_url)
    code = ("import sys; from tier1_plugin import AutomationHub, AutomationEvent; "
            "hub = AutomationHub(defer=True); "
            "print(hub.store_event(AutomationEvent('no_action_taken', 'skipped')), 'psycopg' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["None", "False"]
    hub = AutomationHub(config=load_config())
    assert hub.outbox.pending() == 1
    spawn_background_flush(project)
    deadline = time.monotonic() + 30
    while hub.outbox.pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hub.outbox.pending() == 0
    assert [e.event_type for e in hub.get_events()] == ["no_action_taken"]


def test_one_background_flush_at_a_time(project, live_url, monkeypatch):
    from tier1_plugin.hub import hold_flush_lock

    monkeypatch.setenv("TIER1_DATABASE_URL", live_url)
    hub = AutomationHub(config=load_config(), defer=True)
    hub.store_events(events(3))
    running = hold_flush_lock(project, wait=False)  # as if a flusher were delivering now
    assert running is not None
    spawn_background_flush(project)  # starts nothing: the running flush drains the outbox
    time.sleep(1.5)
    assert hub.outbox.pending() == 3
    running.close()
    spawn_background_flush(project)
    deadline = time.monotonic() + 30
    while hub.outbox.pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hub.outbox.pending() == 0
    assert len(AutomationHub(live_url, config=load_config()).get_events(limit=None)) == 3
