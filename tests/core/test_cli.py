"""The audit-trail commands and doctor, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from support.services import dead_port
from tier1_plugin import AutomationEvent
from tier1_plugin.config import load_config
from tier1_plugin.hub import AutomationHub


def tier1(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tier1_plugin", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})


@pytest.fixture
def stored(project):
    hub = AutomationHub(config=load_config())
    ids = hub.store_events([
        AutomationEvent("production_check", "success", evidence={"decision": "go"}, correlation_id="s-1"),
        AutomationEvent("action_item_completed", "success", evidence={"context_snippet": "[main 4f2a9c1] Fix auth"},
                        correlation_id="s-1"),
        AutomationEvent("no_action_taken", "skipped", correlation_id="s-2"),
    ])
    return ids


def test_events_json_has_the_documented_stable_shape(stored):
    result = tier1("events", "--json")
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)
    assert [e["id"] for e in events] == list(reversed(stored))
    assert set(events[0]) == {"id", "event_uuid", "event_type", "project_id", "status", "evidence",
                              "detected_from", "metadata", "correlation_id", "created_at", "resolved_at"}
    assert events[-1]["evidence"] == {"decision": "go"}


def test_events_filters_and_text_output(stored):
    result = tier1("events", "--type", "action_item_completed")
    header, row = result.stdout.splitlines()
    assert header.split() == ["ID", "WHEN", "TYPE", "STATUS", "PROJECT", "SUMMARY"]
    assert row.split()[:5] == [str(stored[1]), "just", "now", "action_item_completed", "success"]
    assert "[main 4f2a9c1] Fix auth" in row
    assert tier1("events", "--status", "skipped", "--json").stdout.count('"event_type"') == 1
    assert tier1("events", "--since", "yesterday").returncode == 2


def test_timeline_and_correlate(stored):
    timeline = json.loads(tier1("timeline", "--json").stdout)
    assert [e["id"] for e in timeline] == stored
    correlated = json.loads(tier1("correlate", str(stored[0]), "--json").stdout)
    assert [e["id"] for e in correlated] == [stored[1]]
    missing = tier1("correlate", "999999")
    assert missing.returncode == 1 and "no event with id 999999" in missing.stderr


def test_no_events_says_so(project):
    assert tier1("events").stdout.strip() == "no events"


def test_doctor_reports_each_dependency_on_one_line(project):
    result = tier1("doctor")
    names = [line.split()[1] for line in result.stdout.splitlines()]
    assert {"config", "database", "outbox", "broker", "n8n", "plugins"} <= set(names)
    assert result.stdout.splitlines()[0].startswith("ok    config")


def test_doctor_fails_when_the_database_is_unreachable(project):
    result = tier1("doctor", env={"TIER1_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dead_port()}/x"})
    assert result.returncode == 1
    [line] = [l for l in result.stdout.splitlines() if " database " in f" {l} "]
    assert line.startswith("FAIL") and "unreachable" in line


def test_doctor_fails_on_a_broken_config(project):
    (project / "tier1.yaml").write_text("database:\n  url: sqlite:///x.db\n  retries: 3\n")
    result = tier1("doctor")
    assert result.returncode == 1
    assert "tier1.yaml:3: database.retries: unknown key 'retries'" in result.stdout


def test_unknown_command_is_a_usage_error(project):
    assert tier1("frobnicate").returncode == 2
