"""`tier1 task-api` and `tier1 run-task`: the team's Celery tasks run in-process, no broker.

Both run as real subprocesses with the broker pointing at a port that refuses: tiers 2 and 3
exist for exactly that moment.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from support.n8n_env import base_config, run_tier1, write_config
from support.services import dead_port

pytestmark = pytest.mark.integration


def post(url, body: bytes, headers=None):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def dead_broker_project(project, celery_env):
    write_config(project, base_config(None, celery_env, celery={
        "broker_url": f"redis://127.0.0.1:{dead_port()}/13",
        "result_backend": f"redis://127.0.0.1:{dead_port()}/14"}))
    return project


def test_task_api_runs_tasks_and_remembers_keys(dead_broker_project, celery_env, start_task_api):
    api = start_task_api(dead_broker_project)
    url = api.url.replace("{name}", "process_video")
    status, answer = post(url, b'{"video_id": "v-9"}', {"Idempotency-Key": "key-1"})
    assert status == 200 and answer["ok"] and answer["result"]["echo"] == "v-9" and not answer["replayed"]
    status, again = post(url, b'{"video_id": "v-9"}', {"Idempotency-Key": "key-1"})
    assert status == 200 and again["replayed"] and again["result"] == answer["result"]
    assert len(celery_env.runs("key-1")) == 1
    # no key: every request runs
    post(url, b"{}")
    post(url, b"{}")
    assert len([r for r in celery_env.runs() if r["id"] not in ("key-1",)]) >= 2


def test_task_api_errors(dead_broker_project, start_task_api):
    api = start_task_api(dead_broker_project)
    status, answer = post(api.url.replace("{name}", "no_such_task"), b"{}")
    assert status == 404 and "unknown task 'no_such_task'" in answer["error"]
    status, answer = post(api.url.replace("{name}", "process_video"), b"{not json")
    assert status == 400 and "not JSON" in answer["error"]
    status, answer = post(api.url.replace("{name}", "process_video"), b"[1, 2]")
    assert status == 400 and "JSON object" in answer["error"]
    status, answer = post(api.url.replace("{name}", "process_video"), b'{"fail": true}', {"Idempotency-Key": "k-fail"})
    assert status == 500 and not answer["ok"] and "failed on purpose" in answer["error"]


def test_task_api_finds_a_task_by_its_short_name(dead_broker_project, start_task_api):
    api = start_task_api(dead_broker_project)
    status, answer = post(api.url.replace("{name}", "capture_idea"), b"{}")
    assert status == 200 and answer["task"] == "tier1_tests.capture_idea"


def test_task_api_requires_the_token_when_configured(dead_broker_project, start_task_api, celery_env,
                                                    monkeypatch):
    api = start_task_api(dead_broker_project, {"TIER1_API_TOKEN": "s3cret-token-value"})
    url = api.url.replace("{name}", "process_video")
    assert post(url, b"{}")[0] == 401
    assert post(url, b"{}", {"Authorization": "Bearer wrong"})[0] == 401
    assert post(url, b"{}", {"Authorization": "Bearer s3cret-token-value"})[0] == 200
    # the api tier sends the token from the environment
    from tier1_plugin import AutomationHub
    from tier1_plugin.config import load_config
    from tier1_plugin.hooks.fallback import CeleryFallbackRouter

    write_config(dead_broker_project, base_config(None, celery_env, tiers=["api"], api={"url": api.tasks_url},
                                                   breaker={"failures": 5}))
    config = load_config()
    router = CeleryFallbackRouter(config, AutomationHub(config=config))
    monkeypatch.delenv("TIER1_API_TOKEN", raising=False)
    assert "HTTP 401" in router.recover("ok").attempts[0].error
    monkeypatch.setenv("TIER1_API_TOKEN", "s3cret-token-value")
    hub = AutomationHub(config=config)
    result = CeleryFallbackRouter(config, hub).recover("ok")
    assert result.recovered
    assert "s3cret-token-value" not in json.dumps([e.to_dict() for e in hub.get_events()])


def test_task_api_without_an_app_says_so(project):
    settings = base_config(None, None)
    settings["fallback"]["celery"]["app"] = ""
    write_config(project, settings)
    result = run_tier1(project, "task-api", "--port", "0", timeout=30)
    assert result.returncode == 2 and "fallback.celery.app is not set" in result.stderr


def test_run_task(dead_broker_project, celery_env, tmp_path):
    result = run_tier1(dead_broker_project, "run-task", "process_video", "--data", '{"video_id": "v-3"}',
                       "--idempotency-key", "rt-1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"]["echo"] == "v-3"
    again = run_tier1(dead_broker_project, "run-task", "process_video", "--data", '{"video_id": "v-3"}',
                      "--idempotency-key", "rt-1")
    assert again.returncode == 0 and json.loads(again.stdout)["replayed"] is True
    assert len(celery_env.runs("rt-1")) == 1
    params = tmp_path / "params.json"
    params.write_text('{"video_id": "from-file"}')
    from_file = run_tier1(dead_broker_project, "run-task", "process_video", "--params-file", str(params))
    assert json.loads(from_file.stdout)["result"]["echo"] == "from-file"
    failed = run_tier1(dead_broker_project, "run-task", "process_video", "--data", '{"fail": true}')
    assert failed.returncode == 1 and "failed on purpose" in failed.stderr


@pytest.mark.parametrize("args, message", [
    (["process_video", "--data", "{nope"], "not JSON"),
    (["process_video", "--data", "[1]"], "JSON object"),
    (["process_video", "--params-file", "/nonexistent/params.json"], "cannot read"),
    (["no_such_task"], "unknown task"),
])
def test_run_task_usage_errors(dead_broker_project, args, message):
    result = run_tier1(dead_broker_project, "run-task", *args)
    assert result.returncode == 2 and message in result.stderr
