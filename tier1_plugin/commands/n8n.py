"""``tier1 n8n trigger WORKFLOW [--data JSON] [--test]``: call a webhook, watch it, recover.

Calls ``<n8n.base_url>/webhook/<path>`` (``/webhook-test/`` with ``--test``; the path is the
workflow's ``webhook`` in ``n8n.workflows``, else its name) with the workflow's ``params``
merged with ``--data``, waits at most ``n8n.execution_timeout_s``, classifies the answer, and
on a failure runs the mapped task through the fallback chain.  When the answer carries an
``executionId`` and ``N8N_API_KEY`` is set, the execution's status decides.

Prints one JSON object: ``{"workflow", "ok", "failure_type", "recovered", "recovery_method",
"result", "event_ids", ...}`` (``ok``: the n8n run itself succeeded).  Exit 0 when the work got
done (by n8n or a fallback tier), 1 when it did not, 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
import time


def configure(parser):
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    trigger = actions.add_parser("trigger", help="call a workflow's webhook with monitoring and fallback")
    trigger.add_argument("workflow", help="a workflow name from n8n.workflows (or a webhook path)")
    trigger.add_argument("--data", metavar="JSON", help="a JSON object sent as the request body")
    trigger.add_argument("--test", action="store_true", help="call /webhook-test/ instead of /webhook/")


def webhook_url(config, workflow: str, test: bool = False) -> tuple[str, str]:
    """``(url, method)`` for ``workflow``."""
    entry = ((config.get("n8n") or {}).get("workflows") or {}).get(workflow)
    path, method = workflow, "POST"
    if isinstance(entry, dict):
        path = entry.get("webhook") or workflow
        method = (entry.get("method") or "POST").upper()
    if path.startswith(("http://", "https://")):
        return path, method
    base = ((config.get("n8n") or {}).get("base_url") or "http://localhost:5678").rstrip("/")
    return f"{base}/{'webhook-test' if test else 'webhook'}/{path.lstrip('/')}", method


def call_webhook(url: str, method: str, data: dict, timeout_s: float):
    """``(status code or None, body text, error or None, seconds)``; never raises.

    Waits a tenth of a second past ``timeout_s`` so that a run cut off by the timeout is
    always measured as longer than the limit (an ``execution_timeout``, not a network error).
    """
    import socket
    import urllib.error
    import urllib.request

    body = json.dumps(data).encode() if method != "GET" else None
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s + 0.1) as response:
            text = response.read().decode("utf-8", "replace")
            return response.status, text, None, time.monotonic() - started
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace") if exc.fp else ""
        return exc.code, text, None, time.monotonic() - started
    except (TimeoutError, socket.timeout):
        return None, "", f"no answer within {timeout_s:g} s (timed out)", time.monotonic() - started
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return None, "", f"no answer within {timeout_s:g} s (timed out)", time.monotonic() - started
        return None, "", f"cannot reach n8n: {reason}", time.monotonic() - started


def run(args) -> int:
    try:
        data = json.loads(args.data) if args.data else {}
    except ValueError as exc:
        print(f"tier1 n8n: --data is not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(data, dict):
        print("tier1 n8n: --data must be a JSON object", file=sys.stderr)
        return 2
    from tier1_plugin.config import load_config
    from tier1_plugin.hooks.fallback import CeleryFallbackRouter, new_idempotency_key
    from tier1_plugin.hooks.n8n_monitor import N8nMonitor, parse_json_object
    from tier1_plugin.hub import AutomationHub

    config = load_config()
    section = config.get("n8n") or {}
    with AutomationHub(config=config) as hub:
        workflow = args.workflow
        entry = (section.get("workflows") or {}).get(workflow)
        params = {**((entry.get("params") or {}) if isinstance(entry, dict) else {}), **data}
        url, method = webhook_url(config, workflow, args.test)
        timeout_s = float(section.get("execution_timeout_s", 30))
        status, text, error, duration = call_webhook(url, method, params, timeout_s)
        correlation_id = new_idempotency_key()  # links the failure and recovery events
        result = N8nMonitor(config, hub).report_result(
            workflow, status_code=status, body=text, error=error, duration_s=duration,
            source=f"tier1 n8n trigger {url}", correlation_id=correlation_id)
        output = {"workflow": workflow, "ok": result.ok, "failure_type": result.failure_type.value,
                  "recovered": False, "recovery_method": None, "result": None, "event_ids": [],
                  "reason": result.reason, "status_code": status, "duration_s": round(duration, 3),
                  "execution_id": result.execution_id, "execution_status": result.execution_status,
                  "idempotency_key": None, "attempts": [], "error": None}
        if result.event_id is not None:
            output["event_ids"].append(result.event_id)
        if result.ok:
            output["result"] = parse_json_object(text or "") or (text or None)
        else:
            recovery = CeleryFallbackRouter(config, hub).recover(
                workflow, params, failure=result, correlation_id=correlation_id)
            output.update(recovered=recovery.recovered, recovery_method=recovery.recovery_method,
                          result=recovery.result, error=recovery.error,
                          idempotency_key=recovery.idempotency_key,
                          attempts=[vars(a) for a in recovery.attempts])
            if recovery.event_id is not None:
                output["event_ids"].append(recovery.event_id)
    print(json.dumps(output, default=str))
    return 0 if result.ok or output["recovered"] else 1
