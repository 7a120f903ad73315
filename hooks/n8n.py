"""Built-in plugin: watch n8n workflow runs that Claude makes, and recover failed ones.

Which tool calls are n8n runs:

* MCP tools whose name matches one of ``n8n.tools`` (default
  ``mcp__(plugin_[^_]+_)?n8n[^_]*__.*``) and whose input names a workflow (``workflowId``,
  ``workflowName``, ``name``, ``webhookUrl``, ``webhookPath``, ``path``);
* ``Bash`` commands that call ``<n8n.base_url>/webhook/...`` or ``/webhook-test/...``.

``tier1_pre_tool_use`` records when such a call started, in ``.tier1/n8n-calls/<tool_use_id>``
under the project root (one small JSON file per call, removed by the matching post event), so
the post event knows the duration even when Claude Code sends no ``duration_ms``.  A record
whose post event never came (Claude Code moved the call to the background) is settled later
through n8n's executions API by :func:`check_background_calls`; one older than a day is dropped.  ``tier1_post_tool_use`` (``PostToolUse`` and ``PostToolUseFailure``)
classifies the run with :class:`~tier1_plugin.hooks.n8n_monitor.N8nMonitor`, recovers a failure
through :class:`~tier1_plugin.hooks.fallback.CeleryFallbackRouter` and tells Claude what
happened in ``additionalContext``.

This module runs on every tool call: everything below the first check is string tests and
one cached regular expression; the monitor, the router and the store are imported only for a
call that is an n8n run.
"""

from __future__ import annotations

import re

from tier1_plugin import hookimpl

_WEBHOOK_PATH = re.compile(r"/webhook(?:-test)?/([^\s\"'?#]+)")
_INPUT_NAMES = ("workflowName", "workflow_name", "workflow", "name", "workflowId", "workflow_id", "id")
_INPUT_URLS = ("webhookUrl", "webhook_url", "url", "webhookPath", "webhook_path", "path")
_compiled: dict[tuple, object] = {}
CALLS_DIR = ".tier1/n8n-calls"
STALE_AFTER_S = 86400
#: Claude Code moves a tool call still running after this long to the background.
BACKGROUND_AFTER_S = 120


# -- is this an n8n run? (the hot path) ------------------------------------------------------

def _tool_pattern(config):
    patterns = tuple((config.get("n8n") or {}).get("tools") or ("mcp__(plugin_[^_]+_)?n8n[^_]*__.*",))
    pattern = _compiled.get(patterns)
    if pattern is None:
        pattern = _compiled[patterns] = re.compile("|".join(f"(?:{p})" for p in patterns))
    return pattern


def n8n_call(payload: dict, config) -> dict | None:
    """``{"workflow", "params", "kind"}`` when the tool call runs an n8n workflow, else None."""
    tool = payload.get("tool_name") or ""
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    if tool == "Bash":
        command = tool_input.get("command")
        if not isinstance(command, str) or "/webhook" not in command:
            return None
        base = ((config.get("n8n") or {}).get("base_url") or "").rstrip("/")
        if not base or base + "/webhook" not in command:
            return None
        match = _WEBHOOK_PATH.search(command[command.index(base + "/webhook"):])
        if not match:
            return None
        workflow = _workflow_for(config, (), match.group(1))
        return {"kind": "bash", "path": match.group(1), "names": (), "workflow": workflow,
                "params": _curl_data(command), "workflow_id": _mapped_id(config, workflow)}
    if not tool.startswith("mcp__") or not _tool_pattern(config).fullmatch(tool):
        return None
    names = [str(tool_input[key]) for key in _INPUT_NAMES if tool_input.get(key) not in (None, "")]
    path = None
    for key in _INPUT_URLS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            found = _WEBHOOK_PATH.search(value)
            path = found.group(1) if found else value.strip("/")
            break
    if not names and not path:
        return None  # e.g. listing nodes: not a workflow run
    params = tool_input.get("data") if isinstance(tool_input.get("data"), dict) else {}
    workflow = _workflow_for(config, names, path)
    given_id = tool_input.get("workflowId") or tool_input.get("workflow_id")
    return {"kind": "mcp", "path": path, "names": tuple(names), "workflow": workflow,
            "params": params, "workflow_id": _mapped_id(config, workflow) or given_id}


def _workflow_for(config, names, path) -> str:
    """The ``n8n.workflows`` key for the call, else its best label."""
    workflows = (config.get("n8n") or {}).get("workflows") or {}
    for name in names:
        if name in workflows:
            return name
    for key, entry in workflows.items():
        if isinstance(entry, dict):
            if path and entry.get("webhook") == path:
                return key
            if entry.get("id") is not None and str(entry.get("id")) in names:
                return key
    if path and path in workflows:
        return path
    return (names[0] if names else None) or path or "unknown"


def _mapped_id(config, workflow: str):
    entry = ((config.get("n8n") or {}).get("workflows") or {}).get(workflow)
    return str(entry["id"]) if isinstance(entry, dict) and entry.get("id") is not None else None


def _curl_data(command: str) -> dict:
    """The JSON object a curl command sends with -d/--data/--data-raw/--json, if any."""
    import json
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return {}
    for index, word in enumerate(words[:-1]):
        if word in ("-d", "--data", "--data-raw", "--data-binary", "--json"):
            try:
                value = json.loads(words[index + 1])
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


# -- start times ------------------------------------------------------------------------------

def _call_file(root, tool_use_id: str):
    from pathlib import Path

    safe = "".join(ch for ch in tool_use_id if ch.isalnum() or ch in "-_")[:120] or "unknown"
    return Path(root) / CALLS_DIR / safe


def record_start(root, tool_use_id: str, when: float, call: dict | None = None) -> None:
    """Remember when the call started (and what it runs, for :func:`check_background_calls`)."""
    import json

    call = call or {}
    path = _call_file(root, tool_use_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"started": when, "workflow": call.get("workflow"),
                                "workflow_id": call.get("workflow_id"),
                                "params": call.get("params") or {}}), encoding="utf-8")


def _read_record(path) -> dict | None:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, (int, float)):
        data = {"started": float(data)}
    return data if isinstance(data, dict) and isinstance(data.get("started"), (int, float)) else None


def pop_start(root, tool_use_id: str) -> float | None:
    path = _call_file(root, tool_use_id)
    record = _read_record(path)
    try:
        path.unlink()
    except OSError:
        pass
    return float(record["started"]) if record else None


def check_background_calls(config, hub, root, now: float, correlation_id=None) -> list[str]:
    """Settle n8n calls whose post event never came, through n8n's executions API.

    Claude Code moves a tool call still running after two minutes to the background; its
    ``PostToolUse`` may never arrive.  For a start record older than that (and than
    ``n8n.execution_timeout_s``) whose workflow id is known (``n8n.workflows.<name>.id`` or the
    call's ``workflowId``) and with ``N8N_API_KEY`` set, the first execution of that workflow
    started after the call decides: finished -> forgotten; failed, or still running past the
    timeout -> classified, recovered and reported.  Records older than a day are dropped.
    Returns one sentence per settled failure.
    """
    import os
    from pathlib import Path

    from tier1_plugin.hooks.n8n_monitor import N8nApi, N8nApiError

    folder = Path(root) / CALLS_DIR
    section = config.get("n8n") or {}
    limit = max(BACKGROUND_AFTER_S, float(section.get("execution_timeout_s", 30)))
    api = N8nApi(section.get("base_url") or "http://localhost:5678", float(section.get("api_timeout_s", 5)))
    messages = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return messages
    for entry in entries:
        record = _read_record(Path(entry.path))
        age = now - record["started"] if record else STALE_AFTER_S + 1
        if age > STALE_AFTER_S:
            _unlink(entry.path)
            continue
        if age < limit or not record.get("workflow_id") or not api.available():
            continue
        try:
            executions = api.executions(str(record["workflow_id"]), limit=50)
        except N8nApiError:
            continue
        started = [e for e in executions if _epoch(e.started_at) is not None
                   and _epoch(e.started_at) >= record["started"] - 5]
        if not started:
            continue  # n8n has no execution yet (or kept none): ask again on the next call
        execution = min(started, key=lambda e: _epoch(e.started_at))
        _unlink(entry.path)
        outcome = check_and_recover(
            config, hub, record.get("workflow") or str(record["workflow_id"]), duration_s=age,
            execution_status=execution.status, params=record.get("params") or {},
            body={"executionId": execution.id}, source="claude-code background call",
            correlation_id=correlation_id)
        if outcome is not None:
            messages.append(f"(an earlier call, moved to the background) {describe(*outcome)}")
    return messages


def _epoch(text) -> float | None:
    from datetime import datetime

    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _unlink(path) -> None:
    import os

    try:
        os.unlink(path)
    except OSError:
        pass


# -- the handlers -------------------------------------------------------------------------------

@hookimpl
def tier1_pre_tool_use(payload, context):
    call = n8n_call(payload, context.config)
    if call is None or not context.tool_use_id:
        return None
    import time

    record_start(context.root, context.tool_use_id, time.time(), call)
    return None


@hookimpl
def tier1_post_tool_use(payload, context):
    if context.event_name not in ("PostToolUse", "PostToolUseFailure"):
        return None
    call = n8n_call(payload, context.config)
    if call is None:
        return None
    import time

    now = time.time()
    started = pop_start(context.root, context.tool_use_id) if context.tool_use_id else None
    duration_ms = payload.get("duration_ms")
    if isinstance(duration_ms, (int, float)) and not isinstance(duration_ms, bool):
        duration = duration_ms / 1000
    else:
        duration = now - started if started is not None else None
    status_code, body, error = _response_of(payload, call, context.failed)
    hub = _ContextHub(context)
    outcome = check_and_recover(context.config, hub, call["workflow"],
                                status_code=status_code, body=body, error=error,
                                duration_s=duration, params=call["params"],
                                source=f"claude-code {context.tool_name}",
                                correlation_id=context.session_id)
    messages = [describe(*outcome)] if outcome is not None else []
    messages += check_background_calls(context.config, hub, context.root, now, context.session_id)
    return {"additionalContext": "\n".join(messages)} if messages else None


class _ContextHub:
    """The context's hub, storing through ``context.store_event`` (session id as correlation,
    and the hook knows to flush a deferred event)."""

    def __init__(self, context):
        self._context = context

    def store_event(self, event):
        return self._context.store_event(event)

    def __getattr__(self, name):
        return getattr(self._context.hub, name)


def _response_of(payload: dict, call: dict, failed: bool):
    """``(status code, body, error)`` from a PostToolUse / PostToolUseFailure payload."""
    if failed:
        error = payload.get("error")
        return None, None, str(error) if error else "the tool call failed"
    response = payload.get("tool_response")
    if call["kind"] != "bash":
        return None, response, None
    stdout = response.get("stdout", "") if isinstance(response, dict) else str(response or "")
    stdout = stdout or ""
    status = None
    last = None
    for last in re.finditer(r"(?m)^HTTP/[\d.]+ (\d{3})", stdout):  # curl -i (maybe after a 100)
        status = int(last.group(1))
    if last is not None:  # the body starts after the last response's header block
        stdout = re.split(r"\r?\n\r?\n", stdout[last.start():], maxsplit=1)[1:] or [""]
        stdout = stdout[0]
    lines = stdout.rstrip().splitlines()
    if lines and re.fullmatch(r"\d{3}", lines[-1].strip()):  # curl -w '%{http_code}'
        status = int(lines[-1].strip())
        stdout = "\n".join(lines[:-1])
    return status, stdout, None


def check_and_recover(config, hub, workflow: str, *, status_code=None, body=None, error=None,
                      duration_s=None, params=None, source="", correlation_id=None,
                      execution_status=None):
    """Classify one run; recover a failure.  ``None`` on success, else ``(monitor result,
    recovery result)``."""
    from tier1_plugin.hooks.fallback import CeleryFallbackRouter
    from tier1_plugin.hooks.n8n_monitor import N8nMonitor

    monitor = N8nMonitor(config, hub)
    result = monitor.report_result(workflow, status_code=status_code, body=body, duration_s=duration_s,
                                   error=error, execution_status=execution_status, source=source,
                                   correlation_id=correlation_id)
    if result.ok:
        return None
    router = CeleryFallbackRouter(config, hub)
    recovery = router.recover(workflow, params or {}, failure=result, correlation_id=correlation_id)
    return result, recovery


def describe(result, recovery) -> str:
    """One sentence for Claude: what failed and what the fallback chain did about it."""
    head = f"n8n workflow {result.workflow} failed ({result.failure_type.value})"
    if recovery.recovered:
        return f"{head}; recovered through {recovery.recovery_method} in {recovery.duration_s:.1f} s"
    tried = "; ".join(f"{a.tier}: {a.error}" for a in recovery.attempts) or "no tier tried"
    return (f"{head}; NOT recovered: {recovery.error}. Attempts: {tried}. "
            "The work was not done; tell the user.")
