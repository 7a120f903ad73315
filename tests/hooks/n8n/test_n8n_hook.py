"""The Claude Code side: n8n calls seen by tier1_pre_tool_use / tier1_post_tool_use.

Handlers are called directly with the real HookContext, with payloads shaped as Claude Code
sends them (the Bash output is produced by running curl for real against the stand-in n8n),
and once end to end through `tier1 hook`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tier1_plugin.claude_hook import build_context
from tier1_plugin.config import load_config
from tier1_plugin.hooks import n8n as n8n_plugin

from support.n8n_env import base_config, run_tier1, write_config
from support.services import dead_port, require_service

pytestmark = pytest.mark.integration


def context_for(payload, config):
    return build_context(payload, config)


def payload(event, tool_name, tool_input, tool_use_id="toolu_01", **extra):
    return {"hook_event_name": event, "session_id": "sess-1", "cwd": ".", "tool_name": tool_name,
            "tool_input": tool_input, "tool_use_id": tool_use_id, **extra}


@pytest.fixture
def config(project, fake_n8n, celery_env, celery_worker):
    settings = base_config(fake_n8n, celery_env)
    settings["n8n"]["workflows"]["video-assembly"]["id"] = "wf-77"
    write_config(project, settings)
    return load_config()


def test_mcp_result_with_success_false_is_recovered(config, fake_n8n, celery_env):
    tool_input = {"webhookUrl": f"{fake_n8n.base_url}/webhook/nginx-504", "data": {"video_id": "v-2"}}
    pre = payload("PreToolUse", "mcp__n8n-mcp__n8n_trigger_webhook_workflow", tool_input)
    assert n8n_plugin.tier1_pre_tool_use(pre, context_for(pre, config)) is None
    response = [{"type": "text", "text": json.dumps({"success": False, "error": "Request failed with status code 504",
                                                      "executionId": "31"})}]
    post = payload("PostToolUse", "mcp__n8n-mcp__n8n_trigger_webhook_workflow", tool_input, tool_response=response)
    context = context_for(post, config)
    answer = n8n_plugin.tier1_post_tool_use(post, context)
    text = answer["additionalContext"]
    assert text.startswith("n8n workflow video-assembly failed (webhook_error); recovered through celery_direct in ")
    assert text.endswith(" s")
    stored = context.hub.get_events()
    assert {e.event_type for e in stored} == {"n8n_failure_detected", "n8n_recovery_attempted"}
    assert {e.correlation_id for e in stored} == {"sess-1"}
    key = next(e for e in stored if e.event_type == "n8n_recovery_attempted").evidence["idempotency_key"]
    [run] = celery_env.runs(key)
    assert run["kwargs"] == {"video_id": "v-2"}  # the MCP call's data, over the mapping's params


def test_tool_failure_with_workflow_id(config, celery_env):
    post = payload("PostToolUseFailure", "mcp__plugin_n8n_n8n-mcp__execute_workflow",
                   {"workflowId": "wf-77"}, error="MCP error -32603: Request failed with status code 504 (Gateway Timeout)")
    answer = n8n_plugin.tier1_post_tool_use(post, context_for(post, config))
    assert "n8n workflow video-assembly failed (504_gateway_timeout); recovered through celery_direct" in answer["additionalContext"]


def test_the_execution_status_decides_when_the_key_is_set(config, fake_n8n, monkeypatch):
    """n8n MCP servers answer "success" when a run was started; the executions API knows better."""
    fake_n8n.executions["55"] = {"status": "error", "workflowId": "wf-77"}
    post = payload("PostToolUse", "mcp__n8n__execute_workflow", {"workflowId": "wf-77"},
                   tool_response=[{"type": "text", "text": '{"success": true, "executionId": "55"}'}])
    monkeypatch.delenv("N8N_API_KEY", raising=False)
    assert n8n_plugin.tier1_post_tool_use(post, context_for(post, config)) is None
    monkeypatch.setenv("N8N_API_KEY", fake_n8n.api_key)
    context = context_for(post, config)
    answer = n8n_plugin.tier1_post_tool_use(post, context)
    assert "n8n workflow video-assembly failed (webhook_error); recovered" in answer["additionalContext"]
    failure = context.hub.get_events(event_type="n8n_failure_detected")[0]
    assert failure.evidence["execution_id"] == "55" and failure.evidence["execution_status"] == "error"
    assert fake_n8n.api_key not in json.dumps(failure.to_dict())


def test_calls_moved_to_the_background_are_settled_through_the_executions_api(config, fake_n8n, celery_env,
                                                                              monkeypatch):
    """No post event ever came for two calls; the next n8n call's hook asks n8n what happened."""
    import time
    from datetime import datetime, timezone

    def iso(seconds_ago):
        return datetime.fromtimestamp(time.time() - seconds_ago, timezone.utc).isoformat().replace("+00:00", "Z")

    calls = config.root / ".tier1" / "n8n-calls"
    n8n_plugin.record_start(config.root, "toolu_lost", time.time() - 300,
                            {"workflow": "video-assembly", "workflow_id": "wf-77", "params": {"video_id": "bg"}})
    n8n_plugin.record_start(config.root, "toolu_fine", time.time() - 300,
                            {"workflow": "kb", "workflow_id": "wf-kb"})
    n8n_plugin.record_start(config.root, "toolu_recent", time.time() - 5,
                            {"workflow": "video-assembly", "workflow_id": "wf-77"})
    fake_n8n.executions.update({
        "899": {"status": "error", "workflowId": "wf-77", "startedAt": iso(1000)},  # before the call
        "900": {"status": "crashed", "workflowId": "wf-77", "startedAt": iso(299)},
        "901": {"status": "success", "workflowId": "wf-kb", "startedAt": iso(298)},
    })
    ok = payload("PostToolUse", "mcp__n8n__execute_workflow", {"workflowId": "wf-other"}, tool_use_id="toolu_now",
                 tool_response=[{"type": "text", "text": '{"success": true}'}])
    monkeypatch.delenv("N8N_API_KEY", raising=False)
    assert n8n_plugin.tier1_post_tool_use(ok, context_for(ok, config)) is None  # no key: nothing to ask
    assert len(list(calls.iterdir())) == 3
    monkeypatch.setenv("N8N_API_KEY", fake_n8n.api_key)
    context = context_for(ok, config)
    answer = n8n_plugin.tier1_post_tool_use(ok, context)
    assert answer["additionalContext"].startswith(
        "(an earlier call, moved to the background) n8n workflow video-assembly failed (webhook_error); "
        "recovered through celery_direct")
    assert sorted(p.name for p in calls.iterdir()) == ["toolu_recent"]  # still within its time
    failure = context.hub.get_events(event_type="n8n_failure_detected")[0]
    assert failure.evidence["execution_id"] == "900" and failure.evidence["execution_status"] == "crashed"
    key = context.hub.get_events(event_type="n8n_recovery_attempted")[0].evidence["idempotency_key"]
    assert [r["kwargs"] for r in celery_env.runs(key)] == [{"video_id": "bg"}]


def test_successful_and_unrelated_calls_say_nothing(config):
    ok = payload("PostToolUse", "mcp__n8n__execute_workflow", {"workflowId": "wf-77"},
                 tool_response=[{"type": "text", "text": '{"success": true, "executionId": "9"}'}])
    assert n8n_plugin.tier1_post_tool_use(ok, context_for(ok, config)) is None
    nothing = payload("PostToolUse", "mcp__n8n__execute_workflow", {"workflowId": "wf-77"})  # no tool_response
    assert n8n_plugin.tier1_post_tool_use(nothing, context_for(nothing, config)) is None
    listing = payload("PostToolUse", "mcp__n8n__search_nodes", {"query": "slack"}, tool_response="[]")
    assert n8n_plugin.tier1_post_tool_use(listing, context_for(listing, config)) is None
    other = payload("PostToolUse", "mcp__github__create_issue", {"name": "video-assembly"}, error="boom")
    assert n8n_plugin.tier1_post_tool_use(other, context_for(other, config)) is None
    bash = payload("PostToolUse", "Bash", {"command": "ls -la"}, tool_response={"stdout": "", "stderr": ""})
    assert n8n_plugin.tier1_post_tool_use(bash, context_for(bash, config)) is None
    assert not (config.root / ".tier1" / "events.db").exists()  # nothing stored, the store never opened


def test_duration_ms_over_the_limit_is_an_execution_timeout(config):
    slow = payload("PostToolUse", "mcp__n8n__execute_workflow", {"workflowId": "wf-77"},
                   tool_response=[{"type": "text", "text": '{"success": true}'}], duration_ms=45_000)
    answer = n8n_plugin.tier1_post_tool_use(slow, context_for(slow, config))
    assert "failed (execution_timeout)" in answer["additionalContext"]


def test_bash_curl_to_a_webhook(config, fake_n8n, celery_env):
    """Real curl output; the start time recorded by the pre hook gives the duration."""
    if shutil.which("curl") is None:
        require_service("curl", "the curl command is not installed")
    command = (f"curl -s -i -X POST {fake_n8n.base_url}/webhook/cloudflare-524 "
               "-H 'Content-Type: application/json' -d '{\"video_id\": \"v-7\"}'")
    pre = payload("PreToolUse", "Bash", {"command": command}, tool_use_id="toolu_bash")
    n8n_plugin.tier1_pre_tool_use(pre, context_for(pre, config))
    assert (config.root / ".tier1" / "n8n-calls" / "toolu_bash").exists()
    run = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
    post = payload("PostToolUse", "Bash", {"command": command}, tool_use_id="toolu_bash",
                   tool_response={"stdout": run.stdout, "stderr": run.stderr, "interrupted": False})
    context = context_for(post, config)
    answer = n8n_plugin.tier1_post_tool_use(post, context)
    assert "n8n workflow cloudflare-524 failed (504_gateway_timeout); recovered through celery_direct" in answer["additionalContext"]
    assert not (config.root / ".tier1" / "n8n-calls" / "toolu_bash").exists()
    failure = context.hub.get_events(event_type="n8n_failure_detected")[0]
    assert failure.evidence["status_code"] == 524 and failure.evidence["duration_s"] is not None
    key = context.hub.get_events(event_type="n8n_recovery_attempted")[0].evidence["idempotency_key"]
    assert celery_env.runs(key)[0]["kwargs"] == {"video_id": "v-7"}


def test_n8n_call_detection():
    config = {"n8n": {"base_url": "http://n8n.local:5678", "tools": ["mcp__(plugin_[^_]+_)?n8n[^_]*__.*"],
                      "workflows": {"video-assembly": {"task": "process_video", "webhook": "video/assemble"}}}}
    call = n8n_plugin.n8n_call
    bash = {"tool_name": "Bash", "tool_input": {"command": "curl -X POST http://n8n.local:5678/webhook/video/assemble?x=1"}}
    assert call(bash, config)["workflow"] == "video-assembly"
    test_hook = {"tool_name": "Bash", "tool_input": {"command": "curl http://n8n.local:5678/webhook-test/other"}}
    assert call(test_hook, config)["workflow"] == "other"
    assert call({"tool_name": "Bash", "tool_input": {"command": "curl http://elsewhere/webhook/x"}}, config) is None
    for name in ("mcp__n8n__run", "mcp__n8n-mcp__n8n_trigger_webhook_workflow", "mcp__plugin_tools_n8n__run"):
        assert call({"tool_name": name, "tool_input": {"name": "video-assembly"}}, config)["workflow"] == "video-assembly"
    assert call({"tool_name": "mcp__n8n-cloud__run", "tool_input": {"name": "a"}}, config) is not None
    assert call({"tool_name": "mcp__slack__post", "tool_input": {"name": "a"}}, config) is None
    assert call({"tool_name": "Read", "tool_input": {"file_path": "/webhook/x"}}, config) is None


def test_the_common_path_imports_nothing_heavy(project):
    """What runs on every tool call: no monitor, no router, no store, no celery."""
    code = (
        "import sys, json\n"
        "from tier1_plugin.hooks import n8n\n"
        "from tier1_plugin.config import load_config\n"
        "config = load_config()\n"
        "class C: pass\n"
        "c = C(); c.config = config; c.event_name = 'PostToolUse'; c.tool_use_id = 't'; c.root = '.'\n"
        "for p in ({'tool_name': 'Bash', 'tool_input': {'command': 'git status'}},\n"
        "          {'tool_name': 'Edit', 'tool_input': {'file_path': 'a.py'}},\n"
        "          {'tool_name': 'mcp__github__x', 'tool_input': {'name': 'y'}}):\n"
        "    assert n8n.tier1_pre_tool_use(p, c) is None and n8n.tier1_post_tool_use(p, c) is None\n"
        "heavy = [m for m in ('celery', 'kombu', 'requests', 'sqlite3', 'psycopg', 'urllib.request',\n"
        "        'tier1_plugin.hooks.fallback', 'tier1_plugin.hooks.n8n_monitor', 'tier1_plugin.hub') if m in sys.modules]\n"
        "print(json.dumps(heavy))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_end_to_end_through_tier1_hook(project, fake_n8n, celery_env, start_task_api):
    """`tier1 hook` as Claude Code runs it: PreToolUse, then PostToolUseFailure for the same call."""
    write_config(project, base_config(fake_n8n, celery_env))
    api = start_task_api(project)
    write_config(project, base_config(fake_n8n, celery_env, api={"url": api.tasks_url},
                                      celery={"broker_url": f"redis://127.0.0.1:{dead_port()}/13"}))
    tool_input = {"workflowName": "draft-generator", "data": {"topic": "n8n"}}
    pre = payload("PreToolUse", "mcp__n8n__execute_workflow", tool_input, tool_use_id="toolu_e2e", cwd=str(project))
    result = run_tier1(project, "hook", input=json.dumps(pre), env={"CLAUDE_PROJECT_DIR": str(project)})
    assert result.returncode == 0 and result.stdout.strip() == "", result.stderr
    assert (project / ".tier1" / "n8n-calls" / "toolu_e2e").exists()
    post = payload("PostToolUseFailure", "mcp__n8n__execute_workflow", tool_input, tool_use_id="toolu_e2e",
                   cwd=str(project), error='{"message":"Error in workflow"}')
    result = run_tier1(project, "hook", input=json.dumps(post), env={"CLAUDE_PROJECT_DIR": str(project)})
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)["hookSpecificOutput"]
    assert output["hookEventName"] == "PostToolUseFailure"
    assert output["additionalContext"].startswith(
        "n8n workflow draft-generator failed (webhook_error); recovered through api_fallback in ")
    assert not (project / ".tier1" / "n8n-calls" / "toolu_e2e").exists()
    runs = [r for r in celery_env.runs() if r["task"] == "generate_draft" and r["kwargs"] == {"topic": "n8n"}]
    assert len(runs) == 1 and runs[0]["runner"] == "task-api"
