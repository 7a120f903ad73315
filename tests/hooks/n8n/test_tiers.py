"""The built-in tiers against real parts: a Celery worker on Redis, `tier1 task-api`, `tier1 run-task`.

Outages are made for real: a broker port that refuses, a peer that accepts and never answers,
a result backend that refuses, a queue no worker consumes.  Every run of a task is counted
(support/n8n_celery_app.py), so "no task ran twice" is a count, in every scenario.
"""

from __future__ import annotations

import time

import pytest

from tier1_plugin import AutomationHub
from tier1_plugin.config import load_config
from tier1_plugin.hooks.fallback import CeleryFallbackRouter

from support.fake_n8n import HungPeer
from support.n8n_env import Worker, base_config, write_config
from support.services import dead_port

pytestmark = pytest.mark.integration


def router_for(project, settings):
    write_config(project, settings)
    config = load_config()
    hub = AutomationHub(config=config)
    return CeleryFallbackRouter(config, hub), hub


def test_celery_tier_runs_the_task_on_a_real_worker(project, celery_env, celery_worker):
    router, hub = router_for(project, base_config(None, celery_env))
    result = router.recover("video-assembly", {"priority": "high"})
    assert result.recovered, result.attempts
    assert result.recovery_method == "celery_direct"
    assert result.result == {"task": "process_video", "done": True, "echo": "v-1"}
    [run] = celery_env.runs(result.idempotency_key)
    assert run["runner"] == "celery-worker" and run["kwargs"] == {"video_id": "v-1", "priority": "high"}


def test_a_failing_task_on_the_worker_moves_on_to_the_next_tier(project, celery_env, celery_worker,
                                                                  start_task_api):
    settings = base_config(None, celery_env)
    write_config(project, settings)
    api = start_task_api(project)
    router, hub = router_for(project, base_config(None, celery_env, api={"url": api.tasks_url}))
    result = router.recover("ok", {"fail": True})
    celery_attempt = result.attempts[0]
    assert not celery_attempt.success and "failed on purpose" in celery_attempt.error
    # a task that raised is tried by each tier once (it may be transient); it fails everywhere
    assert not result.recovered and all("failed on purpose" in a.error for a in result.attempts)
    assert [r["runner"] for r in celery_env.runs(result.idempotency_key)] == [
        "celery-worker", "task-api", "run-task"]
    # the tiers themselves worked: no circuit opens because a task raised
    from tier1_plugin.hooks.fallback import CircuitBreaker

    assert not any(s["open"] for s in CircuitBreaker.from_config(hub, router.config).state().values())


OUTAGES = ["broker_refused", "broker_hung", "backend_down", "no_worker"]


@pytest.mark.parametrize("outage", OUTAGES)
def test_celery_outage_recovers_through_the_task_api(project, celery_env, start_task_api, outage):
    """Each outage fails the Celery tier within its budget; the API tier then does the work once."""
    with HungPeer() as hung:
        celery = {"timeout_s": 1}  # the real budget
        queue = celery_env.queue
        if outage == "broker_refused":
            celery["broker_url"] = f"redis://127.0.0.1:{dead_port()}/13"
        elif outage == "broker_hung":
            celery["broker_url"] = f"redis://127.0.0.1:{hung.port}/13"
        elif outage == "backend_down":
            celery["result_backend"] = f"redis://127.0.0.1:{dead_port()}/14"
        else:  # the queue's worker ran, then stopped: messages wait in Redis with nobody to run them
            queue = f"{celery_env.queue}-stopped"
            celery["queue"] = queue
            Worker(celery_env, queue).start().stop()
        write_config(project, base_config(None, celery_env))
        api = start_task_api(project)
        router, hub = router_for(project, base_config(None, celery_env, celery=celery,
                                                      api={"url": api.tasks_url}))
        result = router.recover("video-assembly")
    assert result.recovered and result.recovery_method == "api_fallback", result.attempts
    celery_attempt = result.attempts[0]
    assert celery_attempt.tier == "celery" and not celery_attempt.success and celery_attempt.error
    [run] = celery_env.runs(result.idempotency_key)
    assert run["runner"] == "task-api"
    event = hub.get_event(result.event_id)
    assert [a["tier"] for a in event.evidence["attempts"]] == ["celery", "api"]
    if outage == "no_worker":
        # the worker comes back: the queued message has expired and must not run again
        worker = Worker(celery_env, queue).start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not celery_env.runs(result.idempotency_key, event="revoked"):
                time.sleep(0.2)
        finally:
            worker.stop()
        assert celery_env.runs(result.idempotency_key, event="revoked"), "the late worker never saw the message"
        assert len(celery_env.runs(result.idempotency_key)) == 1


def test_systemd_tier_runs_tier1_run_task(project, celery_env, tmp_path, monkeypatch):
    """Celery and the API both dead: `tier1 run-task` (the unit's command) does the work."""
    import tempfile

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    router, hub = router_for(project, base_config(None, celery_env, celery={
        "broker_url": f"redis://127.0.0.1:{dead_port()}/13"}))
    result = router.recover("video-assembly", {"quality": "hd"})
    assert result.recovered and result.recovery_method == "systemd_fallback", result.attempts
    assert [a.success for a in result.attempts] == [False, False, True]
    assert "task API unreachable" in result.attempts[1].error
    assert result.result == {"task": "process_video", "done": True, "echo": "v-1"}
    [run] = celery_env.runs(result.idempotency_key)
    assert run["runner"] == "run-task" and run["kwargs"] == {"video_id": "v-1", "quality": "hd"}
    assert list(private_tmp.iterdir()) == []  # the params file is gone


def test_systemd_tier_reports_a_failing_command(project, celery_env):
    router, hub = router_for(project, base_config(None, celery_env, tiers=["systemd"],
                                                  systemd={"command": ["false"]},
                                                  breaker={"failures": 5}))
    result = router.recover("ok")
    assert not result.recovered and "false exited 1" in result.attempts[0].error
    router, hub = router_for(project, base_config(None, celery_env, tiers=["systemd"],
                                                  systemd={"command": ["no-such-systemctl-here", "{task}"]},
                                                  breaker={"failures": 5}))
    assert "cannot run 'no-such-systemctl-here'" in router.recover("ok").attempts[0].error


def test_a_tier_that_finishes_late_does_not_cause_a_second_run(project, celery_env, start_task_api):
    """The API tier gives up while the task still runs in task-api; the systemd tier gets the
    same idempotency key and `tier1 run-task` refuses to start the work a second time."""
    write_config(project, base_config(None, celery_env))
    api = start_task_api(project)
    router, hub = router_for(project, base_config(
        None, celery_env, celery={"broker_url": f"redis://127.0.0.1:{dead_port()}/13"},
        api={"url": api.tasks_url, "timeout_s": 0.5}))
    result = router.recover("ok", {"sleep_s": 4})
    api_attempt, systemd_attempt = result.attempts[1:]
    assert not api_attempt.success and not systemd_attempt.success
    assert "still running" in systemd_attempt.error
    from tier1_plugin.hooks.fallback import RunLedger

    deadline = time.monotonic() + 30  # the task in task-api finishes on its own
    while RunLedger(hub).get(result.idempotency_key)["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert RunLedger(hub).get(result.idempotency_key)["status"] == "done"
    assert len(celery_env.runs(result.idempotency_key)) == 1


def test_breaker_spares_the_second_recovery_a_hung_broker(project, celery_env, start_task_api):
    with HungPeer() as hung:
        write_config(project, base_config(None, celery_env))
        api = start_task_api(project)
        settings = base_config(None, celery_env, celery={"broker_url": f"redis://127.0.0.1:{hung.port}/13", "timeout_s": 1},
                               api={"url": api.tasks_url})
        first, hub = router_for(project, settings)
        one = first.recover("ok")
        second, _ = router_for(project, settings)
        two = second.recover("ok")
    assert not one.attempts[0].skipped and "hard deadline" in one.attempts[0].error
    assert two.attempts[0].skipped and "circuit open" in two.attempts[0].error
    assert one.recovery_method == two.recovery_method == "api_fallback"


def test_a_task_still_running_on_the_worker_at_the_deadline_is_stopped(project, celery_env, start_task_api):
    """The worker started the task but the celery tier's budget ran out: the revoke terminates
    it (prefork pool), so when the API tier then does the work it is done exactly once."""
    import uuid

    queue = f"tier1-test-prefork-{uuid.uuid4().hex[:8]}"
    worker = Worker(celery_env, queue, pool="prefork").start()
    try:
        write_config(project, base_config(None, celery_env))
        api = start_task_api(project)
        router, hub = router_for(project, base_config(
            None, celery_env, celery={"queue": queue, "timeout_s": 1.5}, api={"url": api.tasks_url}))
        result = router.recover("ok", {"sleep_s": 3})
        assert result.recovered and result.recovery_method == "api_fallback", result.attempts
        started = celery_env.runs(result.idempotency_key)
        assert [r["runner"] for r in started] == ["celery-worker", "task-api"]
        time.sleep(4)  # long enough for the worker's copy to have finished, had it not been stopped
        done = celery_env.runs(result.idempotency_key, event="done")
        assert [r["runner"] for r in done] == ["task-api"]
    finally:
        worker.stop()
