"""CeleryFallbackRouter: mapping, tier order, deadlines, isolation, breaker and events.

The tiers here are third-party plugins (``support/n8n_tier_plugins.py``) registered through
``tier1_register_fallback_tiers`` exactly as an installed package's would be; the real
Celery / API / systemd tiers are exercised in test_tiers.py.
"""

from __future__ import annotations

import pytest

from tier1_plugin import AutomationHub, plugins
from tier1_plugin.config import load_config
from tier1_plugin.hooks.fallback import CeleryFallbackRouter, CircuitBreaker, UnknownWorkflow
from tier1_plugin.hooks.n8n_monitor import N8nMonitor

from support.n8n_env import base_config, write_config


@pytest.fixture
def tier_log(tmp_path, monkeypatch):
    path = tmp_path / "tiers.log"
    monkeypatch.setenv("TIER1_TEST_TIER_LOG", str(path))
    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", plugins.DEFAULT_PLUGINS + (
        "support.n8n_tier_plugins", "support.n8n_tier_plugins:broken"))
    plugins.reset()

    def calls():
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    return calls


def make(project, tiers, **fallback):
    write_config(project, base_config(None, None, tiers=tiers, **fallback))
    config = load_config()
    hub = AutomationHub(config=config)
    return config, hub, CeleryFallbackRouter(config, hub)


def test_first_success_stops_the_chain(project, tier_log):
    config, hub, router = make(project, ["refuses", "raises", "good", "refuses"])
    result = router.recover("video-assembly", {"extra": 1})
    assert result.recovered and result.recovery_method == "good_fallback"
    assert result.result == {"ran": "process_video", "params": {"video_id": "v-1", "extra": 1}}
    assert [call[0] for call in tier_log()] == ["refuses", "raises", "good"]  # the 4th never ran
    assert {call[1] for call in tier_log()} == {result.idempotency_key}  # one key for every tier
    assert [(a.tier, a.success) for a in result.attempts] == [("refuses", False), ("raises", False), ("good", True)]
    assert "queue service exploded" in result.attempts[1].error


def test_a_broken_tier_plugin_is_reported_not_fatal(project, tier_log, capsys):
    config, hub, router = make(project, ["good"])
    assert any("this plugin is broken" in error for error in router.plugin_errors)
    assert router.recover("ok").recovered


def test_hard_deadline_and_garbage(project, tier_log):
    config, hub, router = make(project, ["hangs", "garbage", "good"])
    result = router.recover("ok")
    hang, junk, good = result.attempts
    assert "hard deadline" in hang.error and not hang.success
    assert "returned str" in junk.error
    assert good.success and result.recovery_method == "good_fallback"


def test_unknown_tier_and_unknown_workflow(project, tier_log):
    config, hub, router = make(project, ["nonexistent", "good"])
    result = router.recover("ok")
    assert result.attempts[0].skipped and "no plugin registers" in result.attempts[0].error
    with pytest.raises(UnknownWorkflow, match="n8n.workflows"):
        router.task_for("never-mapped")
    missing = router.recover("never-mapped")
    assert not missing.recovered and "no task is mapped for n8n workflow 'never-mapped'" in missing.error
    event = hub.get_event(missing.event_id)
    assert event.status == "skipped" and event.evidence["task"] is None
    assert tier_log() == [["good", result.idempotency_key, "process_video"]]


def test_breaker_skips_a_failed_tier_until_reset(project, tier_log):
    config, hub, router = make(project, ["raises", "good"], breaker={"failures": 2, "reset_s": 60})
    router.recover("ok")
    assert CircuitBreaker.from_config(hub, config).state()["raises"]["open"] is False  # 1 of 2
    router.recover("ok")
    state = CircuitBreaker.from_config(hub, config).state()
    assert state["raises"] == {**state["raises"], "failures": 2, "open": True}
    third = router.recover("ok")
    assert third.attempts[0].skipped and "circuit open" in third.attempts[0].error
    assert third.recovered
    assert [call[0] for call in tier_log()].count("raises") == 2
    # reset_s passed: the tier is tried again, and a success closes the circuit
    hub.execute("UPDATE fallback_breaker SET opened_until = 1 WHERE tier = 'raises'")
    router.recover("ok")
    assert [call[0] for call in tier_log()].count("raises") == 3
    hub.execute("UPDATE fallback_breaker SET opened_until = 1 WHERE tier = 'good'")
    CircuitBreaker.from_config(hub, config).record("raises", True)
    assert CircuitBreaker.from_config(hub, config).state()["raises"]["failures"] == 0


def test_events_for_failure_and_recovery_are_linked(project, tier_log):
    config, hub, router = make(project, ["refuses", "good"])
    failure = N8nMonitor(config, hub).report_result("nginx-504", status_code=504, body="<h1>504 Gateway Time-out</h1>",
                                                    correlation_id="session-1")
    result = router.recover("nginx-504", failure=failure, correlation_id="session-1")
    event = hub.get_event(result.event_id)
    assert event.event_type == "n8n_recovery_attempted" and event.status == "success"
    assert event.evidence["recovery_method"] == "good_fallback"
    assert event.evidence["failure_type"] == "504_gateway_timeout"
    assert [a["tier"] for a in event.evidence["attempts"]] == ["refuses", "good"]
    assert {"tier", "recovery_method", "success", "duration_s", "error"} <= set(event.evidence["attempts"][0])
    assert [e.event_type for e in hub.correlate_events(failure.event_id)] == ["n8n_recovery_attempted"]


def test_every_tier_failing_is_recorded_as_failed(project, tier_log):
    config, hub, router = make(project, ["refuses", "raises"])
    result = router.recover("ok")
    assert not result.recovered and result.recovery_method is None
    assert hub.get_event(result.event_id).status == "failed"
