"""Classify one n8n workflow run as a success or a typed failure, and record failures.

Detection order (the seed's, extended with what n8n really answers):

1. an execution status from n8n's executions API, when known, is the truth: ``error`` /
   ``crashed`` / ``canceled`` fail, ``success`` succeeds whatever the HTTP status said,
   ``new`` / ``running`` past ``n8n.execution_timeout_s`` is an ``execution_timeout``;
2. the run's duration over ``n8n.execution_timeout_s`` -> ``execution_timeout``;
3. the HTTP status: 401/403 -> ``403_unauthorized``; 502/503/504/524 -> ``504_gateway_timeout``;
4. for anything that failed (status >= 400, a tool error, ``success: false``, an empty 200),
   the body (for JSON: its ``error``/``message``/``hint``) against the keyword lists
   ``n8n.keywords.auth`` -> ``403_unauthorized``, ``gateway`` -> ``504_gateway_timeout``,
   ``webhook`` -> ``webhook_error``;
5. what is left: an empty 200, ``success: false``, a 404 ("not registered") or a 500 ("Error
   in workflow") -> ``webhook_error``; any other failure -> ``unknown_error`` (the reason names
   the ``n8n.keywords.error`` word found, if any).

A failure is stored as an ``n8n_failure_detected`` event whose ``response_snippet`` is the body
with HTML tags dropped, secrets redacted and cut to 200 characters.  ``N8N_API_KEY`` is read from
the environment at the moment a request needs it and is never kept on an object.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from enum import Enum

API_KEY_ENV = "N8N_API_KEY"


class FailureType(str, Enum):
    """The seed's failure types; ``SUCCESS`` means the run did its work."""

    UNAUTHORIZED = "403_unauthorized"
    GATEWAY_TIMEOUT = "504_gateway_timeout"
    EXECUTION_TIMEOUT = "execution_timeout"
    WEBHOOK_ERROR = "webhook_error"
    UNKNOWN_ERROR = "unknown_error"
    SUCCESS = "success"

    def __str__(self) -> str:
        return self.value


#: Keyword list name in ``n8n.keywords`` -> the failure type it signals.
KEYWORD_TYPES = {
    "auth": FailureType.UNAUTHORIZED,
    "gateway": FailureType.GATEWAY_TIMEOUT,
    "webhook": FailureType.WEBHOOK_ERROR,
    "error": FailureType.UNKNOWN_ERROR,
}

#: Used when the config has no ``n8n.keywords`` (the packaged tier1.yaml has the same lists).
DEFAULT_KEYWORDS = {
    "auth": ["unauthorized", "forbidden", "authorization is required", "authorization data is wrong",
             "invalid api key", "access denied"],
    "gateway": ["gateway time-out", "gateway timeout", "bad gateway", "service unavailable",
                "did not answer in time", "a timeout occurred", "timed out", "timeout"],
    "webhook": ["is not registered", "error in workflow", "workflow could not be started",
                "webhook"],
    "error": ["error", "failed", "exception"],
}

AUTH_STATUSES = {401, 403}
GATEWAY_STATUSES = {502, 503, 504, 524}
FAILED_EXECUTION = {"error", "crashed", "canceled"}
UNFINISHED_EXECUTION = {"new", "running"}

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_SPACE = re.compile(r"\s+")


@dataclass
class MonitorResult:
    """What the monitor concluded about one run."""

    workflow: str
    failure_type: FailureType
    reason: str
    status_code: int | None = None
    duration_s: float | None = None
    execution_id: str | None = None
    execution_status: str | None = None
    response_snippet: str = ""
    source: str = ""
    event_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.failure_type is FailureType.SUCCESS

    def evidence(self) -> dict:
        data = asdict(self)
        data["failure_type"] = self.failure_type.value
        data.pop("event_id")
        return data


def body_text(body) -> str:
    """Any response shape (bytes, str, dict, MCP content blocks, None) as one string."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    if isinstance(body, str):
        return body
    if isinstance(body, list):  # MCP content: [{"type": "text", "text": ...}, ...]
        parts = [item.get("text", "") if isinstance(item, dict) else body_text(item) for item in body]
        return "\n".join(part for part in parts if part)
    if isinstance(body, dict) and isinstance(body.get("content"), list) and set(body) <= {"content", "isError", "structuredContent"}:
        return body_text(body["content"])
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return str(body)


def parse_json_object(text: str) -> dict | None:
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def snippet(text: str, limit: int = 200) -> str:
    """The body as a person would read it: tags dropped, secrets redacted, cut to ``limit``."""
    from tier1_plugin.redact import redact, secret_values

    plain = _SPACE.sub(" ", _TAGS.sub(" ", text)).strip()
    return redact(plain, secret_values())[:limit]


def execution_id_of(data: dict | None) -> str | None:
    if not data:
        return None
    for key in ("executionId", "execution_id"):
        if data.get(key) not in (None, ""):
            return str(data[key])
    inner = data.get("data")
    if isinstance(inner, dict):
        return execution_id_of(inner)
    return None


class N8nMonitor:
    """Classify runs with the thresholds and keywords of ``config['n8n']``; store failures.

    ``hub`` is an :class:`tier1_plugin.AutomationHub`, or ``None`` to classify without storing.
    """

    def __init__(self, config, hub=None):
        self.config = config
        section = config.get("n8n", {}) if config else {}
        self.timeout_s = float(section.get("execution_timeout_s", 30))
        self.keywords = {name: [k.lower() for k in words]
                         for name, words in (section.get("keywords") or DEFAULT_KEYWORDS).items()}
        self.base_url = section.get("base_url") or "http://localhost:5678"
        self.api_timeout_s = float(section.get("api_timeout_s", 5))
        self.hub = hub

    # -- classification -------------------------------------------------------------------

    def classify(self, *, status_code: int | None = None, body=None, duration_s: float | None = None,
                 error: str | None = None, execution_status: str | None = None,
                 ) -> tuple[FailureType, str]:
        """``(failure type, reason)`` for one run, in the documented order."""
        if execution_status:
            status = execution_status.lower()
            if status == "success":
                return FailureType.SUCCESS, "the execution finished with status success"
            if status in FAILED_EXECUTION:
                return FailureType.WEBHOOK_ERROR, f"the execution ended with status {status}"
            if status in UNFINISHED_EXECUTION and duration_s is not None and duration_s > self.timeout_s:
                return (FailureType.EXECUTION_TIMEOUT,
                        f"the execution is still {status} after {duration_s:.1f} s "
                        f"(limit {self.timeout_s:g} s)")
            if status in UNFINISHED_EXECUTION or status == "waiting":
                return FailureType.SUCCESS, f"the execution is {status} (not failed yet)"
            # "unknown": fall through to what the response says
        if duration_s is not None and duration_s > self.timeout_s:
            return (FailureType.EXECUTION_TIMEOUT,
                    f"took {duration_s:.1f} s, over n8n.execution_timeout_s ({self.timeout_s:g} s)")
        if status_code in AUTH_STATUSES:
            return FailureType.UNAUTHORIZED, f"HTTP {status_code}"
        if status_code in GATEWAY_STATUSES:
            return FailureType.GATEWAY_TIMEOUT, f"HTTP {status_code}"

        text = body_text(body)
        data = parse_json_object(text)
        failed_in_body = bool(data) and (data.get("success") is False or data.get("isError") is True)
        # 200 with nothing is how a failing workflow can answer; 204 says "no content" on purpose
        # (an MCP tool that returns nothing, status None, succeeded: Claude Code allows that)
        empty_ok = status_code == 200 and not text.strip() and not error
        failed = bool(error) or (status_code is not None and status_code >= 400) or failed_in_body
        if not failed and not empty_ok:
            return FailureType.SUCCESS, f"HTTP {status_code}" if status_code else "the tool returned a result"

        # JSON bodies: read the message fields, not the key names ("error": ... is not news)
        said = " ".join(str(data[k]) for k in ("error", "message", "hint") if data.get(k)) if data else text
        haystack = " ".join(filter(None, [error, said])).lower()
        for name in ("auth", "gateway", "webhook"):
            for keyword in self.keywords.get(name, ()):
                if keyword and keyword in haystack:
                    return KEYWORD_TYPES[name], _because(status_code, f"the response mentions {keyword!r}")
        if empty_ok:
            return FailureType.WEBHOOK_ERROR, _because(status_code, "empty response body")
        if failed_in_body:
            return FailureType.WEBHOOK_ERROR, "the response says success: false"
        if status_code in (404, 500):
            return FailureType.WEBHOOK_ERROR, f"HTTP {status_code}"
        for keyword in self.keywords.get("error", ()):
            if keyword and keyword in haystack:
                return FailureType.UNKNOWN_ERROR, _because(status_code, f"the response mentions {keyword!r}")
        return FailureType.UNKNOWN_ERROR, _because(status_code, "the call failed")

    # -- the seed's entry point -------------------------------------------------------------

    def report_result(self, workflow: str, *, status_code: int | None = None, body=None,
                      duration_s: float | None = None, error: str | None = None,
                      execution_id: str | None = None, execution_status: str | None = None,
                      source: str = "", correlation_id: str | None = None,
                      store: bool = True, lookup: bool = True) -> MonitorResult:
        """Classify one run; a failure is stored as ``n8n_failure_detected`` (when a hub is set).

        When the response names an execution and ``N8N_API_KEY`` is set (and ``lookup``), the
        execution's status is fetched from n8n's API and decides.
        """
        text = body_text(body)
        execution_id = execution_id or execution_id_of(parse_json_object(text))
        if lookup and execution_id and execution_status is None and N8nApi.available():
            try:
                execution_status = N8nApi(self.base_url, self.api_timeout_s).execution(execution_id).status
            except N8nApiError as exc:
                import sys

                print(f"tier1: n8n executions API: {exc}", file=sys.stderr)
        failure_type, reason = self.classify(status_code=status_code, body=text,
                                             duration_s=duration_s, error=error,
                                             execution_status=execution_status)
        result = MonitorResult(
            workflow=workflow, failure_type=failure_type, reason=reason, status_code=status_code,
            duration_s=round(duration_s, 3) if duration_s is not None else None,
            execution_id=execution_id, execution_status=execution_status,
            response_snippet=snippet(" ".join(filter(None, [error, text]))), source=source)
        if not result.ok and store and self.hub is not None:
            from tier1_plugin.models import AutomationEvent

            result.event_id = self.hub.store_event(AutomationEvent(
                event_type="n8n_failure_detected", status="failed", evidence=result.evidence(),
                detected_from=source or "n8n monitor", metadata={"workflow": workflow},
                correlation_id=correlation_id))
        return result


def _because(status_code, text: str) -> str:
    return f"HTTP {status_code}: {text}" if status_code else text


# -- n8n's public API (executions) ----------------------------------------------------------

class N8nApiError(Exception):
    """The executions API could not answer (no key, unreachable, not 2xx)."""


@dataclass
class Execution:
    id: str
    status: str
    workflow_id: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    raw: dict = field(default_factory=dict, repr=False)


class N8nApi:
    """The two reads the monitor needs from ``<base_url>/api/v1``.  The API key is read from
    ``N8N_API_KEY`` for each request and never stored."""

    def __init__(self, base_url: str, timeout_s: float = 5):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    @staticmethod
    def available() -> bool:
        return bool(os.environ.get(API_KEY_ENV))

    def _get(self, path: str, query: dict | None = None) -> dict:
        import urllib.error
        import urllib.parse
        import urllib.request

        key = os.environ.get(API_KEY_ENV)
        if not key:
            raise N8nApiError(f"{API_KEY_ENV} is not set")
        url = f"{self.base_url}/api/v1{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        request = urllib.request.Request(url, headers={"X-N8N-API-KEY": key, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise N8nApiError(f"GET {path}: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise N8nApiError(f"GET {path}: {type(exc).__name__}: {exc}") from None

    def execution(self, execution_id: str) -> Execution:
        return _execution(self._get(f"/executions/{execution_id}"))

    def executions(self, workflow_id: str | None = None, status: str | None = None,
                   limit: int = 10) -> list[Execution]:
        data = self._get("/executions", {"workflowId": workflow_id, "status": status, "limit": limit})
        return [_execution(item) for item in data.get("data", [])]

    def wait_for(self, execution_id: str, timeout_s: float, poll_s: float = 0.5) -> Execution:
        """Poll until the execution leaves new/running or ``timeout_s`` passes."""
        deadline = time.monotonic() + timeout_s
        while True:
            execution = self.execution(execution_id)
            if execution.status not in UNFINISHED_EXECUTION or time.monotonic() >= deadline:
                return execution
            time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))


def _execution(data: dict) -> Execution:
    status = data.get("status")
    if not status:  # older n8n: finished + stoppedAt instead of status
        status = "success" if data.get("finished") else ("running" if not data.get("stoppedAt") else "error")
    return Execution(id=str(data.get("id")), status=str(status), workflow_id=data.get("workflowId"),
                     started_at=data.get("startedAt"), stopped_at=data.get("stoppedAt"), raw=data)
