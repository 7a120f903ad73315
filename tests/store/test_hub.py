"""AutomationHub's contract, identical on memory://, sqlite:/// and postgresql://."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tier1_plugin import AutomationEvent


def event(event_type="production_check", status="success", **fields):
    return AutomationEvent(event_type=event_type, status=status, **fields)


def test_stored_events_come_back_with_id_and_created_at(hub):
    event_id = hub.store_event(event(evidence={"decision": "go", "checks": 6}, detected_from="pytest"))
    [stored] = hub.get_events()
    assert stored.id == event_id
    assert stored.evidence == {"decision": "go", "checks": 6}
    assert stored.detected_from == "pytest"
    assert stored.project_id == "project"
    assert stored.created_at.tzinfo is not None
    assert stored.resolved_at is None


def test_get_events_filters_and_returns_newest_first(hub):
    start = datetime.now(timezone.utc) - timedelta(hours=5)
    hub.store_events([
        event("no_action_taken", "skipped", created_at=start),
        event("action_item_completed", "success", created_at=start + timedelta(hours=1)),
        event("action_item_completed", "success", project_id="other", created_at=start + timedelta(hours=2)),
        event("action_item_completed", "failed", created_at=start + timedelta(hours=3)),
    ])
    completed = hub.get_events(event_type="action_item_completed")
    assert [e.created_at for e in completed] == sorted((e.created_at for e in completed), reverse=True)
    assert len(completed) == 3
    assert [e.status for e in hub.get_events(event_type="action_item_completed", project_id="project")] == ["failed", "success"]
    assert len(hub.get_events(status="skipped")) == 1
    assert len(hub.get_events(since=start + timedelta(minutes=90))) == 2
    assert len(hub.get_events(since="210m")) == 2
    assert len(hub.get_events(limit=2)) == 2


def test_timeline_is_oldest_first_within_the_window(hub):
    now = datetime.now(timezone.utc)
    hub.store_events([event(created_at=now - timedelta(hours=h)) for h in (30, 3, 2, 1)])
    timeline = hub.get_event_timeline("project", hours=24)
    assert len(timeline) == 3
    assert [e.created_at for e in timeline] == sorted(e.created_at for e in timeline)


def test_correlation_by_id_and_by_explicit_link(hub):
    failure = hub.store_event(event("n8n_failure_detected", "failed", correlation_id="session-1"))
    recovery = hub.store_event(event("n8n_recovery_attempted", "success", correlation_id="session-1"))
    linked = hub.store_event(event("no_action_taken", "skipped", metadata={"correlated_with": failure}))
    hub.store_event(event("no_action_taken", "skipped", correlation_id="session-2"))
    assert [e.id for e in hub.correlate_events(failure)] == [recovery, linked]
    # the link works in both directions
    assert failure in [e.id for e in hub.correlate_events(linked)]
    with pytest.raises(LookupError):
        hub.correlate_events(10_000_000)


def test_resolve_sets_resolved_at_once(hub):
    event_id = hub.store_event(event("n8n_failure_detected", "failed"))
    assert hub.resolve_event(event_id) is True
    assert hub.resolve_event(event_id) is False
    assert hub.get_event(event_id).resolved_at is not None


def test_the_same_event_is_stored_once(hub):
    once = event()
    first = hub.store_event(once)
    again = AutomationEvent.from_dict(json.loads(json.dumps(once.to_dict())))
    again.id = None
    assert hub.store_event(again) == first
    assert len(hub.get_events()) == 1


def test_bulk_store_returns_ids_in_order(hub):
    batch = [event(evidence={"n": n}) for n in range(250)]
    ids = hub.store_events(batch)
    assert len(set(ids)) == 250
    by_id = {e.id: e.evidence["n"] for e in hub.get_events(limit=None)}
    assert [by_id[i] for i in ids] == list(range(250))


@pytest.mark.parametrize("bad, reason", [
    (event("made_up_type"), "unknown event_type 'made_up_type'"),
    (event(status="done"), "unknown status 'done'"),
    (event(evidence={"when": datetime.now()}), "evidence is not JSON-serialisable"),
    (event(metadata={"values": {1, 2}}), "metadata is not JSON-serialisable"),
    (event(evidence=["not", "a", "dict"]), "evidence must be a dict"),
])
def test_invalid_events_are_refused_with_the_reason(hub, bad, reason):
    with pytest.raises(ValueError, match=reason):
        hub.store_event(bad)
    assert hub.get_events() == []


def test_secrets_are_redacted_and_snippets_cut_before_storing(hub, monkeypatch):
    api_key = "n8n-" + "k3y" * 8
    monkeypatch.setenv("N8N_API_KEY", api_key)
    token = "ghp_" + "A1b2C3d4E5" * 4
    hub.store_event(event("n8n_failure_detected", "failed", evidence={
        "response_snippet": f"curl -H 'X-N8N-API-KEY: {api_key}' failed",
        "command": f"git push https://bot:{token}@github.com/acme/app.git",
        "nested": [{"env": "DB_PASSWORD=s3cr3t-value-here"}],
        "output": "x" * 5000,
    }, metadata={"note": f"key {api_key} leaked"}))
    [stored] = hub.get_events()
    text = json.dumps(stored.to_dict())
    for secret in (api_key, token, "s3cr3t-value-here"):
        assert secret not in text
    assert "[REDACTED]" in stored.evidence["response_snippet"]
    assert len(stored.evidence["output"]) == 200


def test_plugin_registered_event_types_are_accepted(hub, monkeypatch):
    import types

    from tier1_plugin import hookimpl, plugins

    plugin = types.ModuleType("deploy_notes")

    @hookimpl
    def tier1_register_event_types(register):
        register("deploy_note")

    plugin.tier1_register_event_types = tier1_register_event_types
    monkeypatch.setattr(plugins, "load_plugins", lambda: [plugins.LoadedPlugin(
        name="deploy_notes", module_name="deploy_notes", origin="test", module=plugin)])
    hub._event_types = None
    assert hub.store_event(event("deploy_note", "success")) is not None


def test_a_failing_listener_never_loses_the_event(hub, monkeypatch, capsys):
    import types

    from tier1_plugin import hookimpl, plugins

    seen = []
    broken, working = types.ModuleType("broken"), types.ModuleType("working")
    broken.tier1_event_stored = hookimpl(lambda event: 1 / 0)
    working.tier1_event_stored = hookimpl(lambda event: seen.append(event.id))
    monkeypatch.setattr(plugins, "load_plugins", lambda: [
        plugins.LoadedPlugin(name=m.__name__, module_name=m.__name__, origin="test", module=m)
        for m in (broken, working)])
    event_id = hub.store_event(event())
    assert seen == [event_id]
    assert "event listener 'broken' failed: ZeroDivisionError" in capsys.readouterr().err
    assert len(hub.get_events()) == 1
