"""N8nMonitor: every failure type classified from what n8n and its proxies really answer."""

from __future__ import annotations

import pytest

from tier1_plugin import AutomationHub
from tier1_plugin.commands.n8n import call_webhook
from tier1_plugin.config import load_config
from tier1_plugin.hooks.n8n_monitor import FailureType, N8nApi, N8nApiError, N8nMonitor

from support.n8n_env import base_config, write_config


@pytest.fixture
def config(project, fake_n8n):
    write_config(project, base_config(fake_n8n, None))
    return load_config()


def run_through(fake_n8n, monitor, name, timeout_s=1.0, test=False):
    """Call the stand-in's webhook for real and classify what came back."""
    url = f"{fake_n8n.base_url}/{'webhook-test' if test else 'webhook'}/{name}"
    status, body, error, duration = call_webhook(url, "POST", {"video_id": "v-1"}, timeout_s)
    return monitor.report_result(name, status_code=status, body=body, error=error, duration_s=duration,
                                 source="test")


@pytest.mark.parametrize("name, expected", [
    ("ok", FailureType.SUCCESS),
    ("started", FailureType.SUCCESS),
    ("auth-required", FailureType.UNAUTHORIZED),      # 401
    ("auth-wrong", FailureType.UNAUTHORIZED),         # 403
    ("nginx-504", FailureType.GATEWAY_TIMEOUT),       # nginx HTML
    ("no-answer", FailureType.GATEWAY_TIMEOUT),       # n8n's own 504
    ("cloudflare-524", FailureType.GATEWAY_TIMEOUT),  # Cloudflare HTML
    ("bad-gateway", FailureType.GATEWAY_TIMEOUT),     # 502
    ("missing", FailureType.WEBHOOK_ERROR),           # 404 not registered
    ("broken", FailureType.WEBHOOK_ERROR),            # 500 Error in workflow
    ("empty", FailureType.WEBHOOK_ERROR),             # 200 with nothing
    ("mcp-failed", FailureType.WEBHOOK_ERROR),        # 200 success: false
    ("slow", FailureType.EXECUTION_TIMEOUT),          # past execution_timeout_s
])
def test_each_response_is_classified(config, fake_n8n, name, expected):
    result = run_through(fake_n8n, N8nMonitor(config), name)
    assert result.failure_type is expected, result.reason
    assert result.ok is (expected is FailureType.SUCCESS)


def test_test_webhooks_are_classified_the_same(config, fake_n8n):
    result = run_through(fake_n8n, N8nMonitor(config), "missing", test=True)
    assert result.failure_type is FailureType.WEBHOOK_ERROR
    assert fake_n8n.calls[-1]["test"] is True


def test_no_content_on_purpose_is_not_a_failure(config):
    monitor = N8nMonitor(config)
    assert monitor.report_result("x", status_code=204, body="").ok
    assert not monitor.report_result("x", status_code=200, body="  ").ok


def test_duration_comes_first(config):
    """A 403 that also took too long is an execution_timeout (the seed's order)."""
    monitor = N8nMonitor(config)
    result = monitor.report_result("ok", status_code=403, body="Authorization data is wrong!", duration_s=5)
    assert result.failure_type is FailureType.EXECUTION_TIMEOUT
    assert "over n8n.execution_timeout_s" in result.reason


def test_status_code_before_body_keywords(config):
    monitor = N8nMonitor(config)
    result = monitor.report_result("x", status_code=504, body="Authorization is required!")
    assert result.failure_type is FailureType.GATEWAY_TIMEOUT


def test_keywords_come_from_config(project, fake_n8n):
    settings = base_config(fake_n8n, None)
    settings["n8n"]["keywords"] = {"auth": ["tenant suspended"], "gateway": [], "webhook": [], "error": []}
    write_config(project, settings)
    monitor = N8nMonitor(load_config())
    assert monitor.report_result("x", status_code=500, body="Tenant suspended").failure_type is FailureType.UNAUTHORIZED
    assert monitor.report_result("x", status_code=429, body="slow down").failure_type is FailureType.UNKNOWN_ERROR


def test_mcp_results_and_tool_errors(config):
    monitor = N8nMonitor(config)
    blocks = [{"type": "text", "text": '{"success": true, "data": {"executionId": "77"}}'}]
    ok = monitor.report_result("w", body=blocks)
    assert ok.ok and ok.execution_id == "77"
    failed = monitor.report_result("w", body=[{"type": "text", "text": '{"success": false, "error": "Request failed with status code 403"}'}])
    assert failed.failure_type is FailureType.WEBHOOK_ERROR  # "403" alone is not an auth keyword
    error = monitor.report_result("w", error="MCP error -32603: Unauthorized")
    assert error.failure_type is FailureType.UNAUTHORIZED
    nothing = monitor.report_result("w", error="Tool call failed")
    assert nothing.failure_type is FailureType.UNKNOWN_ERROR


@pytest.mark.parametrize("status, duration, expected", [
    ("success", None, FailureType.SUCCESS),
    ("error", None, FailureType.WEBHOOK_ERROR),
    ("crashed", None, FailureType.WEBHOOK_ERROR),
    ("canceled", None, FailureType.WEBHOOK_ERROR),
    ("running", 0.5, FailureType.SUCCESS),
    ("running", 5.0, FailureType.EXECUTION_TIMEOUT),
    ("new", 5.0, FailureType.EXECUTION_TIMEOUT),
    ("waiting", 5.0, FailureType.SUCCESS),
])
def test_execution_status_is_the_truth(config, fake_n8n, monkeypatch, status, duration, expected):
    """The executions API (real HTTP, with the API key from the environment) overrides HTTP."""
    monkeypatch.setenv("N8N_API_KEY", fake_n8n.api_key)
    fake_n8n.executions["501"] = {"status": status, "workflowId": "wf-1"}
    execution = N8nApi(fake_n8n.base_url).execution("501")
    assert execution.status == status
    monitor = N8nMonitor(config)
    result = monitor.report_result("nginx-504", status_code=504, body="<html>504</html>",
                                   duration_s=duration, execution_id="501", execution_status=execution.status)
    assert result.failure_type is expected


def test_executions_api_lists_by_workflow_and_needs_the_key(fake_n8n, monkeypatch):
    fake_n8n.executions.update({"1": {"status": "success", "workflowId": "a"},
                                "2": {"status": "error", "workflowId": "a"},
                                "3": {"status": "error", "workflowId": "b"}})
    api = N8nApi(fake_n8n.base_url)
    monkeypatch.delenv("N8N_API_KEY", raising=False)
    with pytest.raises(N8nApiError, match="N8N_API_KEY is not set"):
        api.executions("a")
    monkeypatch.setenv("N8N_API_KEY", "wrong")
    with pytest.raises(N8nApiError, match="HTTP 401"):
        api.executions("a")
    monkeypatch.setenv("N8N_API_KEY", fake_n8n.api_key)
    assert [e.id for e in api.executions("a", status="error")] == ["2"]
    assert not hasattr(api, "api_key") and fake_n8n.api_key not in repr(vars(api))


def test_failure_is_stored_with_a_clean_snippet(config, fake_n8n, monkeypatch):
    hub = AutomationHub(config=config)
    monitor = N8nMonitor(config, hub)
    result = run_through(fake_n8n, monitor, "cloudflare-524")
    [event] = hub.get_events(event_type="n8n_failure_detected")
    assert event.id == result.event_id and event.status == "failed"
    assert event.evidence["failure_type"] == "504_gateway_timeout"
    assert event.evidence["status_code"] == 524
    snippet = event.evidence["response_snippet"]
    assert "A timeout occurred" in snippet and "<" not in snippet and len(snippet) <= 200
    assert run_through(fake_n8n, monitor, "ok").event_id is None
    assert len(hub.get_events(event_type="n8n_failure_detected")) == 1  # successes are not failures


def test_api_key_never_stored(config, fake_n8n, monkeypatch):
    """A proxy that echoes the key back: the stored event has it redacted."""
    key = "n8n_api_5f8a9c0d1e2f3a4b5c6d7e8f"  # pragma: allowlist secret (a fake key made for this test)
    monkeypatch.setenv("N8N_API_KEY", key)
    hub = AutomationHub(config=config)
    import urllib.request

    request = urllib.request.Request(f"{fake_n8n.base_url}/webhook/echo-key", data=b"{}",
                                     headers={"X-N8N-API-KEY": key}, method="POST")
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    assert key in body  # the stand-in really echoed it
    result = N8nMonitor(config, hub).report_result("echo-key", status_code=status, body=body)
    stored = hub.get_event(result.event_id)
    assert key not in repr(stored.to_dict()) and key not in result.response_snippet
    assert "[REDACTED]" in stored.evidence["response_snippet"]
