"""Fallback tier ``celery``: send the task by name to the team's Celery workers.

A built-in plugin written exactly as a third-party tier would be.  Celery and kombu fail slowly
by default (a refused broker ~6 s with ``retry=False``, a peer that accepts and never answers
blocks forever, a dead result backend ~19 s), so every wait is bounded by what is left of the
tier's budget:

* ``broker_transport_options``: ``max_retries: 0`` and socket connect/read timeouts;
* ``result_backend_transport_options``: ``retry_policy.max_retries: 0``, and the
  ``redis_socket_*timeout`` settings for the Redis result backend;
* ``send_task(..., task_id=<idempotency key>, retry=False, expires=<deadline>)``: a message
  still queued at the deadline (no worker running) is discarded by whichever worker sees it;
* on any failure the task id is revoked, so a worker that got the message does not run it after
  the next tier already did the work.

Celery is imported only when this tier runs (never on the Claude Code hook's common path).
"""

from __future__ import annotations

import threading

from tier1_plugin import hookimpl

#: Seconds kept back from the budget for revoking after a failed wait.
_REVOKE_RESERVE_S = 0.15
_apps: dict[tuple, object] = {}
_apps_lock = threading.Lock()


@hookimpl
def tier1_register_fallback_tiers(register, config):
    register("celery", run, timeout_s=1,
             description="send_task on fallback.celery.broker_url, wait on its result backend")


def app_for(section: dict):
    """A small Celery app that only sends: cached per broker, backend and timeout."""
    from celery import Celery

    broker = section.get("broker_url") or "redis://localhost:6379/0"
    backend = section.get("result_backend") or "redis://localhost:6379/1"
    socket_s = max(0.05, float(section.get("timeout_s", 1)))
    key = (broker, backend, socket_s)
    with _apps_lock:
        app = _apps.get(key)
        if app is None:
            app = Celery("tier1-fallback", broker=broker, backend=backend, set_as_current=False)
            app.conf.update(
                broker_connection_retry=False,
                broker_connection_retry_on_startup=False,
                broker_connection_max_retries=0,
                broker_connection_timeout=socket_s,
                broker_transport_options={
                    "max_retries": 0,
                    "socket_connect_timeout": socket_s,
                    "socket_timeout": socket_s,
                    "retry_on_timeout": False,
                    "interval_start": 0, "interval_step": 0, "interval_max": 0,
                },
                result_backend_transport_options={"retry_policy": {"max_retries": 0}},
                redis_socket_connect_timeout=socket_s,
                redis_socket_timeout=socket_s,
                redis_retry_on_timeout=False,
                redis_backend_health_check_interval=0,
                task_publish_retry=False,
                result_extended=False,
            )
            _apps[key] = app
    return app


def run(request):
    from tier1_plugin.hooks.fallback import TierOutcome, jsonable

    try:
        from celery.exceptions import TimeoutError as CeleryTimeout
    except ImportError:
        return TierOutcome(False, error="celery is not installed: pip install 'tier1-automation[celery]'")

    section = (request.config.get("fallback", {}) or {}).get("celery") or {}
    app = app_for(section)
    options = {"task_id": request.idempotency_key, "retry": False, "expires": request.expires_at()}
    if section.get("queue"):
        options["queue"] = section["queue"]
    sent = None
    try:
        sent = app.send_task(request.task, kwargs=request.params, **options)
        state = _wait(sent, request)
        if state is None:
            _revoke(app, request)
            return TierOutcome(False, error=f"no result within the budget; task {request.idempotency_key} revoked")
        if state == "SUCCESS":
            return TierOutcome(True, result=jsonable(sent.result))
        return TierOutcome(False, error=f"task {state.lower()}: {str(sent.result)[:300]}",
                           task_failed=state == "FAILURE")
    except CeleryTimeout:
        _revoke(app, request)
        return TierOutcome(False, error=f"no result within the budget; task {request.idempotency_key} revoked")
    except Exception as exc:  # noqa: BLE001 - broker, backend or the task itself
        if sent is not None:
            _revoke(app, request)
        return TierOutcome(False, error=f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        if sent is not None:
            _release(app, sent)


def _wait(sent, request, poll_s: float = 0.02):
    """The task's final state, or ``None`` when the budget runs out first.

    Polls the result backend instead of ``AsyncResult.get``: Celery's drainer waits in steps of
    one second whatever timeout is asked for, which alone would spend the tier's whole budget.
    """
    import time

    from celery import states

    while True:
        state = sent.state
        if state in states.READY_STATES:
            return state
        if request.remaining() <= _REVOKE_RESERVE_S:
            return None
        time.sleep(poll_s)


def _release(app, sent) -> None:
    """Stop listening for the result now, not in ``__del__`` at interpreter shutdown."""
    try:
        app.backend.remove_pending_result(sent)
    except Exception:  # noqa: BLE001
        pass


def _revoke(app, request) -> None:
    """Tell the workers to drop the task id, and to stop it if a worker already started it
    (prefork pool), so the next tier does not do the same work twice; the message also expires
    at the deadline."""
    try:
        app.control.revoke(request.idempotency_key, terminate=True, signal="SIGTERM")
    except Exception:  # noqa: BLE001 - the broker may be the thing that is down; expires covers it
        pass

