"""Run a failed n8n workflow's work through the fallback chain: Celery, the task API, systemd.

:class:`CeleryFallbackRouter` maps the workflow to its task (``n8n.workflows``), collects the
tiers that plugins register through ``tier1_register_fallback_tiers`` (a plugin that raises is
reported and left out), and tries the tiers named in ``fallback.tiers`` in order:

* each tier runs in its own thread under a hard deadline (its ``timeout_s``), so a tier that
  hangs costs its budget and no more;
* the first success stops the chain;
* one idempotency key per recovery is passed to every tier (Celery's task id, the task API's
  ``Idempotency-Key``, the runner's ``{run_id}``), so a tier that finishes late cannot make the
  work run twice;
* a :class:`CircuitBreaker` skips a tier that failed ``fallback.breaker.failures`` times in a row
  for ``fallback.breaker.reset_s`` seconds; its state lives in the event store's database, so a
  Claude Code hook process does not pay a dead tier's timeout again;
* every attempt (tier, method, success, duration, error) goes into one
  ``n8n_recovery_attempted`` event with the ``recovery_method`` that worked.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

#: Tier name -> the recovery_method recorded for it (third-party tiers get "<name>_fallback").
RECOVERY_METHODS = {"celery": "celery_direct", "api": "api_fallback", "systemd": "systemd_fallback"}
DEFAULT_TIER_TIMEOUT_S = 10.0
DEFAULT_BREAKER = {"failures": 1, "reset_s": 60}


def recovery_method(tier_name: str) -> str:
    return RECOVERY_METHODS.get(tier_name, f"{tier_name}_fallback")


def new_idempotency_key() -> str:
    from tier1_plugin.models import new_event_uuid

    return new_event_uuid()


class UnknownWorkflow(LookupError):
    """The workflow has no task in ``n8n.workflows``."""


# -- data -------------------------------------------------------------------------------------

@dataclass
class WorkflowTask:
    """One ``n8n.workflows`` entry: the task to run instead, and the webhook to call."""

    workflow: str
    task: str
    webhook: str
    params: dict = field(default_factory=dict)
    method: str = "POST"
    workflow_id: str | None = None


@dataclass
class FallbackRequest:
    """What a tier receives: run ``task`` with ``params`` once, identified by ``idempotency_key``,
    before ``deadline`` (a ``time.monotonic()`` value)."""

    workflow: str
    task: str
    params: dict
    idempotency_key: str
    deadline: float
    config: dict = field(default_factory=dict, repr=False)
    correlation_id: str | None = None

    def remaining(self) -> float:
        """Seconds left before this tier's deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def expires_at(self) -> datetime:
        """The deadline as an aware UTC datetime (for Celery's ``expires``)."""
        return datetime.now(timezone.utc) + timedelta(seconds=self.remaining())


def jsonable(value):
    """``value`` when JSON can hold it (a task's result goes into events and answers), else its repr."""
    import json

    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


@dataclass
class TierOutcome:
    """What a tier returns: ``ok`` when the work got done; ``result`` is the task's answer."""

    ok: bool
    result: object = None
    error: str | None = None
    #: the tier worked but the task itself raised: not a reason to open the circuit breaker
    task_failed: bool = False


@dataclass
class Attempt:
    tier: str
    recovery_method: str
    success: bool
    duration_s: float
    error: str | None = None
    skipped: bool = False


@dataclass
class RecoveryResult:
    workflow: str
    task: str | None
    recovered: bool
    recovery_method: str | None
    idempotency_key: str
    attempts: list[Attempt] = field(default_factory=list)
    result: object = None
    error: str | None = None
    duration_s: float = 0.0
    event_id: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Tier:
    """A registered fallback executor."""

    name: str
    run: object
    timeout_s: float
    description: str = ""
    plugin: str = ""


# -- tier registry ------------------------------------------------------------------------------

def collect_tiers(config) -> tuple[dict[str, Tier], list[str]]:
    """Every tier plugins register, by name, and the errors of plugins that broke."""
    from tier1_plugin.plugins import call_each

    tiers: dict[str, Tier] = {}
    errors: list[str] = []

    def register(name, run, *, timeout_s=None, description=""):
        if not callable(run):
            raise TypeError(f"fallback tier {name!r}: run must be callable")
        section = (config.get("fallback", {}) or {}).get(name) or {}
        timeout = section.get("timeout_s", timeout_s if timeout_s is not None else DEFAULT_TIER_TIMEOUT_S)
        tiers[name] = Tier(name=name, run=run, timeout_s=float(timeout), description=description,
                           plugin=getattr(run, "__module__", "") or "")

    for outcome in call_each("tier1_register_fallback_tiers", register=register, config=config):
        if outcome.error is not None:
            errors.append(f"plugin {outcome.plugin!r} failed to register fallback tiers: "
                          f"{type(outcome.error).__name__}: {outcome.error}")
    return tiers, errors


# -- circuit breaker ---------------------------------------------------------------------------

class CircuitBreaker:
    """Per project and tier: consecutive failures and the time the tier is skipped until.

    Kept in the ``fallback_breaker`` table of the event store's database (migration 0003), so
    every process of the project (hook runs, ``tier1 n8n trigger``) shares it.  When that
    database cannot be reached the breaker stays closed: it is a shortcut, never a reason to
    skip a tier that might work.
    """

    def __init__(self, hub, project_id: str, failures: int = 1, reset_s: float = 60):
        self.hub = hub
        self.project_id = project_id
        self.threshold = max(1, int(failures))
        self.reset_s = float(reset_s)

    @classmethod
    def from_config(cls, hub, config) -> "CircuitBreaker":
        section = {**DEFAULT_BREAKER, **((config.get("fallback", {}) or {}).get("breaker") or {})}
        project = getattr(config, "project_id", None) or config.get("project_id") or hub.project_id
        return cls(hub, project, section["failures"], section["reset_s"])

    def open_until(self, tier: str) -> float | None:
        """Epoch seconds until which ``tier`` is skipped, or ``None`` when it may run."""
        try:
            rows = self.hub.execute("SELECT opened_until FROM fallback_breaker WHERE project_id = ? AND tier = ?",
                                    (self.project_id, tier))
        except Exception as exc:  # noqa: BLE001 - see the class docstring
            _warn(f"tier1: circuit breaker unavailable ({type(exc).__name__}: {exc}); trying {tier}")
            return None
        if rows and rows[0][0] and rows[0][0] > time.time():
            return float(rows[0][0])
        return None

    def record(self, tier: str, success: bool, error: str | None = None) -> None:
        now = time.time()
        try:
            if success:
                self.hub.execute(
                    "INSERT INTO fallback_breaker (project_id, tier, failures, opened_until, last_error, updated_at) "
                    "VALUES (?, ?, 0, 0, NULL, ?) ON CONFLICT (project_id, tier) DO UPDATE SET "
                    "failures = 0, opened_until = 0, last_error = NULL, updated_at = excluded.updated_at",
                    (self.project_id, tier, now))
                return
            first_open = now + self.reset_s if self.threshold <= 1 else 0
            self.hub.execute(
                "INSERT INTO fallback_breaker (project_id, tier, failures, opened_until, last_error, updated_at) "
                "VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (project_id, tier) DO UPDATE SET "
                "failures = fallback_breaker.failures + 1, "
                "opened_until = CASE WHEN fallback_breaker.failures + 1 >= ? THEN ? "
                "ELSE fallback_breaker.opened_until END, "
                "last_error = excluded.last_error, updated_at = excluded.updated_at",
                (self.project_id, tier, first_open, (error or "")[:200], now, self.threshold,
                 now + self.reset_s))
        except Exception as exc:  # noqa: BLE001
            _warn(f"tier1: circuit breaker not updated for {tier} ({type(exc).__name__}: {exc})")

    def state(self) -> dict[str, dict]:
        rows = self.hub.execute("SELECT tier, failures, opened_until, last_error FROM fallback_breaker "
                                "WHERE project_id = ?", (self.project_id,))
        return {tier: {"failures": failures, "open": bool(until and until > time.time()),
                       "opened_until": until, "last_error": last_error}
                for tier, failures, until, last_error in rows}


# -- idempotency ledger (shared by the task API and run-task) ---------------------------------

class RunLedger:
    """Which idempotency keys a runner already ran, in the ``fallback_runs`` table.

    ``claim`` is atomic (an INSERT that loses to an existing row), so two runners given the same
    key, in one process or several, run the task once; the loser gets the winner's record.
    """

    def __init__(self, hub):
        self.hub = hub

    def claim(self, key: str, task: str, runner: str) -> dict | None:
        """``None`` when this caller owns ``key`` now; else the existing record.

        Each step is one atomic statement (``INSERT ... ON CONFLICT DO NOTHING RETURNING``, then
        ``UPDATE ... WHERE status = 'failed' RETURNING``), so two processes racing on one key,
        on SQLite or PostgreSQL, cannot both win.
        """
        now = time.time()
        won = self.hub.execute(
            "INSERT INTO fallback_runs (idempotency_key, task, status, runner, started_at) "
            "VALUES (?, ?, 'running', ?, ?) ON CONFLICT (idempotency_key) DO NOTHING "
            "RETURNING idempotency_key", (key, task, runner, now))
        if won:
            return None
        retried = self.hub.execute(  # a failed run may be tried again, by one caller
            "UPDATE fallback_runs SET status = 'running', runner = ?, started_at = ?, finished_at = NULL "
            "WHERE idempotency_key = ? AND status = 'failed' RETURNING idempotency_key", (runner, now, key))
        if retried:
            return None
        return self.get(key)

    def finish(self, key: str, ok: bool, result=None) -> None:
        import json

        self.hub.execute("UPDATE fallback_runs SET status = ?, result = ?, finished_at = ? WHERE idempotency_key = ?",
                         ("done" if ok else "failed", json.dumps(result, default=str), time.time(), key))

    def get(self, key: str) -> dict | None:
        rows = self.hub.execute("SELECT task, status, result, runner FROM fallback_runs WHERE idempotency_key = ?", (key,))
        if not rows:
            return None
        task, status, result, runner = rows[0]
        return {"task": task, "status": status, "result": _loads(result), "runner": runner}


def _loads(text):
    import json

    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# -- the router ---------------------------------------------------------------------------------

class CeleryFallbackRouter:
    """Map a workflow to its task and run it through the configured tiers."""

    def __init__(self, config, hub=None, *, tiers: dict[str, Tier] | None = None,
                 breaker: CircuitBreaker | None = None):
        self.config = config
        self.hub = hub
        self.fallback = config.get("fallback", {}) or {}
        self.order = list(self.fallback.get("tiers", ["celery", "api", "systemd"]))
        self.plugin_errors: list[str] = []
        if tiers is None:
            tiers, self.plugin_errors = collect_tiers(config)
            for message in self.plugin_errors:
                _warn(f"tier1: {message}")
        self.tiers = tiers
        if breaker is None and hub is not None:
            breaker = CircuitBreaker.from_config(hub, config)
        self.breaker = breaker

    # -- mapping ------------------------------------------------------------------------------

    def task_for(self, workflow: str) -> WorkflowTask:
        """The ``n8n.workflows`` entry for ``workflow``; raises :class:`UnknownWorkflow`."""
        workflows = (self.config.get("n8n", {}) or {}).get("workflows") or {}
        entry = workflows.get(workflow)
        if entry is None:
            known = ", ".join(sorted(workflows)) or "none"
            raise UnknownWorkflow(f"no task is mapped for n8n workflow {workflow!r}: add it under "
                                  f"n8n.workflows in tier1.yaml (mapped: {known})")
        if isinstance(entry, str):
            return WorkflowTask(workflow, entry, workflow)
        if not entry.get("task"):
            raise UnknownWorkflow(f"n8n.workflows.{workflow} has no task: add task: NAME")
        return WorkflowTask(workflow, entry["task"], entry.get("webhook") or workflow,
                            dict(entry.get("params") or {}), (entry.get("method") or "POST").upper(),
                            entry.get("id"))

    # -- recovery -----------------------------------------------------------------------------

    def recover(self, workflow: str, params: dict | None = None, *, failure=None,
                correlation_id: str | None = None, idempotency_key: str | None = None,
                store: bool = True) -> RecoveryResult:
        """Run ``workflow``'s task through the chain; never raises for a tier's failure."""
        started = time.monotonic()
        key = idempotency_key or new_idempotency_key()
        try:
            mapped = self.task_for(workflow)
        except UnknownWorkflow as exc:
            result = RecoveryResult(workflow, None, False, None, key, error=str(exc))
            return self._log(result, failure, correlation_id, store)
        merged = {**mapped.params, **(params or {})}
        result = RecoveryResult(workflow, mapped.task, False, None, key)
        for name in self.order:
            tier = self.tiers.get(name)
            if tier is None:
                result.attempts.append(Attempt(name, recovery_method(name), False, 0.0,
                                               f"no plugin registers a fallback tier named {name!r}",
                                               skipped=True))
                continue
            until = self.breaker.open_until(name) if self.breaker else None
            if until is not None:
                result.attempts.append(Attempt(
                    name, recovery_method(name), False, 0.0,
                    f"circuit open for {until - time.time():.0f} s more after repeated failures",
                    skipped=True))
                continue
            attempt, outcome = self._attempt(tier, mapped, merged, key, correlation_id)
            result.attempts.append(attempt)
            if self.breaker:
                self.breaker.record(name, attempt.success or outcome.task_failed, attempt.error)
            if attempt.success:
                result.recovered = True
                result.recovery_method = attempt.recovery_method
                result.result = outcome.result
                break
        if not result.recovered:
            result.error = "every fallback tier failed or was skipped"
        result.duration_s = round(time.monotonic() - started, 3)
        return self._log(result, failure, correlation_id, store)

    def _attempt(self, tier: Tier, mapped: WorkflowTask, params: dict, key: str,
                 correlation_id: str | None) -> tuple[Attempt, TierOutcome]:
        request = FallbackRequest(workflow=mapped.workflow, task=mapped.task, params=params,
                                  idempotency_key=key, deadline=time.monotonic() + tier.timeout_s,
                                  config=self.config, correlation_id=correlation_id)
        started = time.monotonic()
        outcome = run_with_deadline(tier, request)
        duration = round(time.monotonic() - started, 3)
        return Attempt(tier.name, recovery_method(tier.name), outcome.ok, duration,
                       None if outcome.ok else (outcome.error or "failed")), outcome

    def _log(self, result: RecoveryResult, failure, correlation_id, store) -> RecoveryResult:
        if not store or self.hub is None:
            return result
        from tier1_plugin.models import AutomationEvent

        status = "success" if result.recovered else ("skipped" if result.task is None else "failed")
        evidence = {
            "workflow": result.workflow, "task": result.task, "recovered": result.recovered,
            "recovery_method": result.recovery_method, "idempotency_key": result.idempotency_key,
            "duration_s": result.duration_s, "error": result.error,
            "attempts": [asdict(attempt) for attempt in result.attempts],
            "failure_type": getattr(getattr(failure, "failure_type", None), "value", None),
        }
        metadata = {"workflow": result.workflow}
        if getattr(failure, "event_id", None) is not None:
            metadata["correlated_with"] = [failure.event_id]
        result.event_id = self.hub.store_event(AutomationEvent(
            event_type="n8n_recovery_attempted", status=status, evidence=evidence,
            detected_from="fallback router", metadata=metadata, correlation_id=correlation_id))
        return result


def run_with_deadline(tier: Tier, request: FallbackRequest) -> TierOutcome:
    """Run ``tier.run(request)`` in a daemon thread; give up at the request's deadline.

    A tier should honour ``request.remaining()`` itself; this is the backstop for one that
    does not (a hung socket, a plugin bug).  The abandoned thread keeps the idempotency key, so
    if it ever completes, the runners refuse to do the same work again.
    """
    box: dict = {}

    def target():
        try:
            box["value"] = tier.run(request)
        except BaseException as exc:  # noqa: BLE001 - a tier's exception is its failure
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"tier1-fallback-{tier.name}", daemon=True)
    thread.start()
    thread.join(request.remaining())
    if thread.is_alive():
        return TierOutcome(False, error=f"no answer within {tier.timeout_s:g} s (hard deadline)")
    if "error" in box:
        exc = box["error"]
        return TierOutcome(False, error=f"{type(exc).__name__}: {exc}")
    return as_outcome(box.get("value"))


def as_outcome(value) -> TierOutcome:
    """Accept what a third-party tier may return: a TierOutcome, a bool or a mapping."""
    if isinstance(value, TierOutcome):
        return value
    if isinstance(value, bool):
        return TierOutcome(value, error=None if value else "the tier reported failure")
    if isinstance(value, dict) and "ok" in value:
        return TierOutcome(bool(value["ok"]), value.get("result"), value.get("error"))
    return TierOutcome(False, error=f"the tier returned {type(value).__name__}, not a TierOutcome or bool")


def _warn(message: str) -> None:
    print(message, file=sys.stderr)
