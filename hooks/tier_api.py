"""Fallback tier ``api``: ``POST`` the params as JSON to the team's task API.

``fallback.api.url`` (``{task}`` is replaced by the task name; ``tier1 task-api`` serves exactly
this) receives the ``Idempotency-Key`` header and, when the environment variable named by
``fallback.api.token_env`` (default ``TIER1_API_TOKEN``) is set, ``Authorization: Bearer``.
Any 2xx is success.  Uses ``urllib`` so the hook process imports nothing heavy.
"""

from __future__ import annotations

import os

from tier1_plugin import hookimpl

DEFAULT_TOKEN_ENV = "TIER1_API_TOKEN"


@hookimpl
def tier1_register_fallback_tiers(register, config):
    register("api", run, timeout_s=5, description="POST the params to fallback.api.url")


def run(request):
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    from tier1_plugin.hooks.fallback import TierOutcome

    section = (request.config.get("fallback", {}) or {}).get("api") or {}
    template = section.get("url") or "http://localhost:8000/tasks/{task}"
    url = template.replace("{task}", urllib.parse.quote(request.task, safe=""))
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Idempotency-Key": request.idempotency_key}
    token = os.environ.get(section.get("token_env") or DEFAULT_TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(request.params).encode()
    http_request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    timeout = request.remaining()
    if timeout <= 0:
        return TierOutcome(False, error="no time left in the budget")
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            text = response.read().decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300] if exc.fp else ""
        # tier1 task-api answers 500 {"ok": false} when the task raised and 409 while the same
        # key still runs: the API works, so the circuit breaker must not open for it
        try:
            answered = json.loads(detail).get("ok") is False
        except (ValueError, AttributeError):
            answered = False
        return TierOutcome(False, error=f"HTTP {exc.code} from the task API: {detail[:200]}".strip(),
                           task_failed=answered and exc.code in (409, 500))
    except (OSError, ValueError) as exc:  # refused, timed out, bad URL
        reason = getattr(exc, "reason", exc)
        return TierOutcome(False, error=f"task API unreachable: {type(reason).__name__}: {reason}")
    if not 200 <= status < 300:
        return TierOutcome(False, error=f"HTTP {status} from the task API")
    try:
        answer = json.loads(text) if text.strip() else None
    except ValueError:
        answer = text[:200]
    result = answer.get("result", answer) if isinstance(answer, dict) else answer
    return TierOutcome(True, result=result)
