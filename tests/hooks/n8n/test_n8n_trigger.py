"""`tier1 n8n trigger`: a real webhook call, monitored, recovered through real tiers, as a user runs it."""

from __future__ import annotations

import json
import os

import pytest

from tier1_plugin import AutomationHub
from tier1_plugin.config import load_config

from support.fake_n8n import HungPeer
from support.n8n_env import base_config, run_tier1, write_config
from support.services import dead_port

pytestmark = pytest.mark.integration


def trigger(project, *args, env=None):
    result = run_tier1(project, "n8n", "trigger", *args, env=env)
    assert result.stdout.strip(), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_healthy_workflow_needs_no_fallback(project, fake_n8n, celery_env):
    write_config(project, base_config(fake_n8n, celery_env))
    code, output = trigger(project, "ok", "--data", '{"video_id": "v-5"}')
    assert code == 0 and output["ok"] and output["failure_type"] == "success"
    assert output["recovered"] is False and output["event_ids"] == [] and output["result"] == {"status": "done"}
    assert json.loads(fake_n8n.calls[-1]["body"]) == {"video_id": "v-5"}
    assert fake_n8n.calls[-1]["path"] == "/webhook/ok"


def test_test_webhook_flag(project, fake_n8n, celery_env):
    write_config(project, base_config(fake_n8n, celery_env))
    trigger(project, "ok", "--test")
    assert fake_n8n.calls[-1]["path"] == "/webhook-test/ok"


def test_gateway_timeout_recovered_by_celery(project, fake_n8n, celery_env, celery_worker):
    write_config(project, base_config(fake_n8n, celery_env))
    code, output = trigger(project, "video-assembly")
    assert code == 0
    assert output["failure_type"] == "504_gateway_timeout" and output["ok"] is False
    assert output["recovered"] and output["recovery_method"] == "celery_direct"
    assert output["result"]["echo"] == "v-1"
    assert fake_n8n.calls[-1]["path"] == "/webhook/nginx-504"  # the mapping's webhook
    hub = AutomationHub(config=load_config())
    failure, recovery = (hub.get_event(i) for i in output["event_ids"])
    assert failure.event_type == "n8n_failure_detected" and recovery.event_type == "n8n_recovery_attempted"
    assert failure.correlation_id == recovery.correlation_id
    [run] = celery_env.runs(recovery.evidence["idempotency_key"])
    assert run["runner"] == "celery-worker"


def test_nothing_works_exit_1(project, fake_n8n, celery_env):
    write_config(project, base_config(fake_n8n, celery_env, celery={"broker_url": f"redis://127.0.0.1:{dead_port()}/13"},
                                      systemd={"command": ["false"]}))
    code, output = trigger(project, "broken")
    assert code == 1 and output["failure_type"] == "webhook_error" and not output["recovered"]
    assert [a["tier"] for a in output["attempts"]] == ["celery", "api", "systemd"]
    assert output["error"] == "every fallback tier failed or was skipped"


def test_unmapped_workflow_is_a_clear_error(project, fake_n8n, celery_env):
    write_config(project, base_config(fake_n8n, celery_env))
    code, output = trigger(project, "never-mapped")
    assert code == 1 and output["failure_type"] == "webhook_error"  # n8n: not registered
    assert "no task is mapped for n8n workflow 'never-mapped'" in output["error"]


@pytest.mark.parametrize("args", [["ok", "--data", "{broken"], ["ok", "--data", "[1]"], []])
def test_usage_errors_exit_2(project, fake_n8n, args):
    write_config(project, base_config(fake_n8n, None))
    result = run_tier1(project, "n8n", "trigger", *args)
    assert result.returncode == 2 and result.stdout == ""


def test_execution_status_overrides_the_http_answer(project, fake_n8n, celery_env):
    """200 with an executionId whose execution crashed: a failure, found through the API."""
    fake_n8n.executions["4242"] = {"status": "crashed", "workflowId": "wf-9"}
    settings = base_config(fake_n8n, celery_env, celery={"broker_url": f"redis://127.0.0.1:{dead_port()}/13"},
                           tiers=["celery"])
    settings["n8n"]["workflows"]["exec-4242"] = "process_video"
    write_config(project, settings)
    code, output = trigger(project, "exec-4242", env={"N8N_API_KEY": fake_n8n.api_key})
    assert output["failure_type"] == "webhook_error" and "crashed" in output["reason"]
    code, output = trigger(project, "exec-4242", env={"N8N_API_KEY": ""})  # no key: the 200 stands
    assert output["ok"] is True


def test_breaker_shared_between_two_processes(project, fake_n8n, celery_env, start_task_api):
    """The first process pays the hung broker's budget and opens the circuit; the second one,
    a separate process, skips Celery and goes straight to the API tier."""
    with HungPeer() as hung:
        write_config(project, base_config(fake_n8n, celery_env))
        api = start_task_api(project)
        write_config(project, base_config(fake_n8n, celery_env, api={"url": api.tasks_url},
                                          celery={"broker_url": f"redis://127.0.0.1:{hung.port}/13", "timeout_s": 1}))
        code1, first = trigger(project, "nginx-504")
        code2, second = trigger(project, "cloudflare-524")
    assert code1 == code2 == 0
    assert first["attempts"][0]["tier"] == "celery" and not first["attempts"][0]["skipped"]
    assert second["attempts"][0]["skipped"] and "circuit open" in second["attempts"][0]["error"]
    assert first["recovery_method"] == second["recovery_method"] == "api_fallback"
    assert os.path.exists(project / ".tier1" / "events.db")


@pytest.mark.skipif(not (os.environ.get("N8N_BASE_URL") and os.environ.get("N8N_API_KEY")),
                    reason="opt-in: set N8N_BASE_URL and N8N_API_KEY to test against a real n8n")
def test_against_a_real_n8n(project):
    """A webhook path that no workflow registers must come back as n8n's 404 webhook_error,
    and the executions API must answer with the key."""
    from tier1_plugin.hooks.n8n_monitor import N8nApi

    write_config(project, {"n8n": {"base_url": os.environ["N8N_BASE_URL"], "execution_timeout_s": 30,
                                   "workflows": {"tier1-probe-not-registered": "process_video"}},
                           "fallback": {"tiers": []}})
    code, output = trigger(project, "tier1-probe-not-registered")
    assert output["failure_type"] == "webhook_error" and code == 1
    assert isinstance(N8nApi(os.environ["N8N_BASE_URL"]).executions(limit=1), list)
