"""The production gate: collect checks from plugins, run them concurrently, decide, report.

The pytest plugin (:mod:`tier1_plugin.pytest_plugin`) records the session's test results into a
:class:`SessionResults` and calls :func:`run_gate` at session end.  Every check, built-in or
third-party, arrives through the ``tier1_register_checks`` hook; each plugin is called on its
own, so one that raises is reported as a failed result and the others still register.  The
checks then run in daemon threads, each under its own timeout: a check that raises, hangs or
returns something other than a :class:`CheckResult` becomes a failed result carrying the error,
and a hung thread cannot keep the interpreter alive.  The decision comes from the
``tier1_decide`` hook (the built-in policy is :mod:`tier1_plugin.decision`).
"""

from __future__ import annotations

import copy
import fnmatch
import json
import math
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from tier1_plugin.models import CheckResult

DECISIONS = ("go", "warning", "no_go")
DEFAULT_TIMEOUT_S = 60.0
#: How many failed node ids a check's evidence lists (the count is always complete).
MAX_LISTED_FAILURES = 20
#: How many failed node ids the recorder keeps at all (a broken suite can fail 100,000 tests).
MAX_RECORDED_FAILURES = 1000


# -- what the pytest session recorded ----------------------------------------------------------

@dataclass
class TestCounts:
    """Outcomes of a set of tests, counted the way pytest's own summary line counts them."""

    __test__ = False  # not a test class, whatever pytest's collector thinks of the name

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    duration_s: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ran(self) -> int:
        """Tests whose body ran (skipped tests and setup errors did not)."""
        return self.passed + self.failed + self.xfailed + self.xpassed

    @property
    def total(self) -> int:
        return self.ran + self.skipped + self.errors

    def add_failure(self, nodeid: str) -> None:
        if len(self.failures) < MAX_RECORDED_FAILURES and nodeid not in self.failures:
            self.failures.append(nodeid)

    def summary(self) -> str:
        """``"3 passed, 1 failed, 2 skipped in 0.41s"``, in pytest's words."""
        parts = [f"{count} {word}" for count, word in (
            (self.failed, "failed"), (self.passed, "passed"), (self.skipped, "skipped"),
            (self.xfailed, "xfailed"), (self.xpassed, "xpassed"),
            (self.errors, "error" if self.errors == 1 else "errors")) if count]
        return f"{', '.join(parts) or 'no tests ran'} in {self.duration_s:.2f}s"

    def evidence(self) -> dict:
        return {
            "passed": self.passed, "failed": self.failed, "errors": self.errors,
            "skipped": self.skipped, "xfailed": self.xfailed, "xpassed": self.xpassed,
            "total": self.total, "duration_s": round(self.duration_s, 3),
            "failed_tests": sorted(self.failures)[:MAX_LISTED_FAILURES],
        }


@dataclass
class SessionResults:
    """Everything the gate's checks learn from the pytest session (``context.session``)."""

    tests: TestCounts = field(default_factory=TestCounts)
    integration: TestCounts = field(default_factory=TestCounts)
    collection_errors: list[str] = field(default_factory=list)
    exitstatus: int | None = None
    duration_s: float = 0.0
    integration_paths: list[str] = field(default_factory=list)
    integration_markers: list[str] = field(default_factory=list)


class IntegrationSelector:
    """Tells whether a test counts for ``integration_tests``: its file or one of its markers.

    Works from what a test report carries (node id, keywords), because pytest-xdist replays
    worker reports on the controller without their items.
    """

    def __init__(self, root: Path, rootdir: Path, paths, markers):
        self.paths = [str(pattern) for pattern in paths or ()]
        self.markers = frozenset(markers or ())
        self._root = Path(root).resolve()
        self._rootdir = Path(rootdir).resolve()
        self._by_file: dict[str, bool] = {}

    def __call__(self, nodeid: str, keywords) -> bool:
        if self.markers and keywords and not self.markers.isdisjoint(keywords):
            return True
        file = nodeid.split("::", 1)[0]
        known = self._by_file.get(file)
        if known is None:
            known = self._by_file[file] = self._file_matches(file)
        return known

    def _file_matches(self, file: str) -> bool:
        if not self.paths or not file:
            return False
        path = (self._rootdir / file).resolve()
        try:
            relative = path.relative_to(self._root).as_posix()
        except ValueError:
            relative = file
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in self.paths)


# -- checks --------------------------------------------------------------------------------

@dataclass
class Check:
    """A registered production check; ``run(context)`` returns a :class:`CheckResult`."""

    name: str
    run: Callable
    advisory: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    description: str = ""
    plugin: str = ""


@dataclass
class CheckContext:
    """What a check's ``run`` receives."""

    name: str
    root: Path
    config: dict
    session: SessionResults | None
    project_config: dict


@dataclass
class Registry:
    """The checks the plugins registered, and the plugins that broke while doing so."""

    checks: dict[str, Check] = field(default_factory=dict)
    #: plugin problems as failed results, keyed ``plugin:NAME``; value: (result, advisory)
    problems: dict[str, tuple[CheckResult, bool]] = field(default_factory=dict)
    #: problems that do not concern checks, shown under the decision
    notes: list[str] = field(default_factory=list)


def collect_checks(config) -> Registry:
    """Call every ``tier1_register_checks`` implementation, each on its own.

    This is :func:`tier1_plugin.plugins.call_each` with one difference: ``register`` is made
    per plugin, so every check knows which plugin it came from and a broken plugin is named.
    """
    from tier1_plugin import plugins

    registry = Registry()
    for plugin in plugins.load_plugins():
        if not plugin.error:
            continue
        message = f"plugin failed to load: {plugin.error}"
        if plugin.module_name.startswith("tier1_plugin.checks."):
            _problem(registry, plugin.name, message, advisory=False)  # a built-in check is missing
        elif plugin.origin.startswith("entry point"):
            # it may have brought checks: warn, since what it would have checked is unknown
            _problem(registry, plugin.name, message, advisory=True)
        else:  # a built-in plugin of another feature: `tier1 doctor` reports it
            registry.notes.append(f"plugin {plugin.name!r} {message}")
    # Registration order is display order: built-ins in DEFAULT_PLUGINS order, then entry
    # points; on a name clash the first one wins, so a plugin cannot silently replace a check.
    for plugin_name, function in reversed(plugins.hook_implementations("tier1_register_checks")):
        register = _register_for(registry, plugin_name)
        code = function.__code__
        wanted = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        offered = {"register": register, "config": config}
        try:
            function(**{key: value for key, value in offered.items() if key in wanted})
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the others
            _problem(registry, plugin_name,
                     f"tier1_register_checks raised {type(exc).__name__}: {exc}", advisory=False)
    return registry


def _register_for(registry: Registry, plugin_name: str):
    def register(name, run, *, advisory=False, timeout_s=DEFAULT_TIMEOUT_S, description=""):
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"register(): name must be a non-empty string, got {name!r}")
        if not callable(run):
            raise TypeError(f"register({name!r}): run must be callable, got {type(run).__name__}")
        if not _positive_number(timeout_s):
            raise TypeError(f"register({name!r}): timeout_s must be a positive number, "
                            f"got {timeout_s!r}")
        existing = registry.checks.get(name)
        if existing is not None:
            _problem(registry, plugin_name, f"check {name!r} is already registered by plugin "
                     f"{existing.plugin!r}; this one is ignored", advisory=True)
            return
        registry.checks[name] = Check(name=name, run=run, advisory=bool(advisory),
                                      timeout_s=float(timeout_s), description=str(description),
                                      plugin=plugin_name)

    return register


def _problem(registry: Registry, plugin_name: str, message: str, *, advisory: bool) -> None:
    key = f"plugin:{plugin_name}"
    previous = registry.problems.get(key)
    if previous is not None:  # keep every message, and block if any of them blocks
        message = f"{previous[0].details}; {message}"
        advisory = advisory and previous[1]
    registry.problems[key] = (CheckResult(check_name=key, passed=False, details=message,
                                          evidence={"plugin": plugin_name}), advisory)


def _positive_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


@dataclass
class PlannedCheck:
    """A check with its configuration applied: what actually runs."""

    check: Check
    advisory: bool
    timeout_s: float
    config: dict


def plan(registry: Registry, config) -> tuple[list[PlannedCheck], list[str]]:
    """Apply ``production_check``: per-check sections, ``enabled``, ``advisory``, ``timeout_s``.

    Returns the checks to run and the names of the disabled ones.
    """
    section = config.get("production_check") or {}
    advisory_list = set(section.get("advisory") or ())
    settings = section.get("checks") or {}
    planned, disabled = [], []
    for name, check in registry.checks.items():
        own = dict(settings.get(name) or {})
        if own.get("enabled", True) is False:
            disabled.append(name)
            continue
        advisory = name in advisory_list or bool(own.get("advisory", check.advisory))
        timeout_s = own.get("timeout_s", check.timeout_s)
        planned.append(PlannedCheck(check, advisory, float(timeout_s) if _positive_number(
            timeout_s) else check.timeout_s, own))
    return planned, disabled


# -- running -------------------------------------------------------------------------------

def run_checks(planned: list[PlannedCheck], root: Path, session: SessionResults | None,
               project_config) -> dict[str, CheckResult]:
    """Run every check in its own daemon thread, each under its own timeout.

    Threads, not processes: checks are mostly file reads and subprocesses, which release
    the GIL, and a process per check would cost more to start than most checks take.  Daemon
    threads, so a check that never returns cannot hold the interpreter at exit.
    """
    slots: list[tuple[PlannedCheck, dict, threading.Thread, float]] = []
    for item in planned:
        context = CheckContext(name=item.check.name, root=Path(root), config=item.config,
                               session=session, project_config=project_config)
        slot: dict = {}
        thread = threading.Thread(target=_run_one, args=(item.check, context, slot),
                                  name=f"tier1-check-{item.check.name}", daemon=True)
        started = time.monotonic()
        thread.start()
        slots.append((item, slot, thread, started))
    results = {}
    for item, slot, thread, started in slots:
        thread.join(max(0.0, started + item.timeout_s - time.monotonic()))
        name = item.check.name
        if thread.is_alive() or "done" not in slot:
            results[name] = CheckResult(
                check_name=name, passed=False,
                details=f"timed out after {item.timeout_s:g}s (the check did not return)",
                evidence={"error": "timeout", "timeout_s": item.timeout_s},
                duration_s=round(time.monotonic() - started, 3))
        else:
            results[name] = _validated(name, slot)
    return results


def _run_one(check: Check, context: CheckContext, slot: dict) -> None:
    started = time.perf_counter()
    try:
        slot["value"] = check.run(context)
    except BaseException as exc:  # noqa: BLE001 - SystemExit from a check is its failure too
        slot["error"] = exc
        slot["where"] = _where(exc)
    slot["duration_s"] = time.perf_counter() - started
    slot["done"] = True


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"


def _validated(name: str, slot: dict) -> CheckResult:
    """The check's own result, or a failed one saying what was wrong with it."""
    duration = round(slot.get("duration_s", 0.0), 3)
    if "error" in slot:
        exc = slot["error"]
        return CheckResult(check_name=name, passed=False,
                           details=f"check raised {type(exc).__name__}: {exc}",
                           evidence={"error": f"{type(exc).__name__}: {exc}",
                                     "where": slot.get("where", "")},
                           duration_s=duration)
    value = slot.get("value")
    problem = _garbage(value)
    if problem:
        return CheckResult(check_name=name, passed=False,
                           details=f"check returned an invalid result: {problem}",
                           evidence={"error": problem, "returned": _short_repr(value)},
                           duration_s=duration)
    return CheckResult(check_name=name, passed=value.passed, details=str(value.details or ""),
                       evidence=dict(value.evidence or {}), confidence=int(round(value.confidence)),
                       duration_s=duration)


def _garbage(value) -> str | None:
    import tier1_plugin

    # the class plugins get from ``tier1_plugin`` (cached there on first use) is the one to
    # accept; it is this module's own unless tier1_plugin.models was imported twice
    if not isinstance(value, (CheckResult, tier1_plugin.CheckResult)):
        return f"expected a CheckResult, got {type(value).__name__}"
    if not isinstance(value.passed, bool):
        return f"passed must be true or false, got {type(value.passed).__name__}"
    confidence = value.confidence
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool) or not (
            math.isfinite(confidence) and 0 <= confidence <= 100):
        return f"confidence must be a number in 0..100, got {confidence!r}"
    if not isinstance(value.evidence, (dict, type(None))):
        return f"evidence must be a dict, got {type(value.evidence).__name__}"
    try:
        json.dumps(value.evidence or {}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"evidence is not JSON-serialisable: {exc}"
    return None


def _short_repr(value, limit: int = 120) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ is garbage too
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- deciding ------------------------------------------------------------------------------

@dataclass
class GateReport:
    """The gate's outcome: what the terminal, the JSON report and the stored event show."""

    decision: str
    confidence: int
    reason: str
    results: dict[str, CheckResult]
    advisory: set[str]
    disabled: list[str]
    project_id: str
    started_at: datetime
    duration_s: float
    notes: list[str] = field(default_factory=list)
    event_id: int | None = None
    event_error: str | None = None

    def to_json(self) -> dict:
        """The JSON report (``--production-report``); the shape is documented in README."""
        return {
            "decision": self.decision,
            "confidence": self.confidence,
            "reason": self.reason,
            "checks": {name: {
                "passed": result.passed,
                "details": result.details,
                "evidence": result.evidence,
                "confidence": result.confidence,
                "duration_s": result.duration_s,
                "advisory": name in self.advisory,
            } for name, result in self.results.items()},
            "project_id": self.project_id,
            "started_at": self.started_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
        }


def decide(results: dict[str, CheckResult], config) -> tuple[str, int, str]:
    """Ask the ``tier1_decide`` hook; a policy plugin that breaks falls back to the built-in."""
    from tier1_plugin import decision as builtin

    try:
        from tier1_plugin.plugins import get_plugin_manager

        answer = get_plugin_manager().hook.tier1_decide(results=results, config=config)
    except Exception as exc:  # noqa: BLE001 - the gate must still decide
        answer, problem = None, f"tier1_decide raised {type(exc).__name__}: {exc}"
    else:
        problem = None if answer is None else _bad_decision(answer)
    if answer is None or problem:
        decision, confidence, reason = builtin.decide(results, builtin.advisory_names(config))
        if problem:
            reason = f"{reason} (built-in policy used: {problem})"
        return decision, confidence, reason
    decision, confidence, reason = answer
    return decision, int(round(confidence)), str(reason)


def _bad_decision(answer) -> str | None:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 3):
        return f"tier1_decide returned {_short_repr(answer)}, not (decision, confidence, reason)"
    decision, confidence, _ = answer
    if decision not in DECISIONS:
        return f"tier1_decide returned decision {decision!r}, not one of {', '.join(DECISIONS)}"
    if not (isinstance(confidence, (int, float)) and not isinstance(confidence, bool)
            and math.isfinite(confidence) and 0 <= confidence <= 100):
        return f"tier1_decide returned confidence {confidence!r}, not a number in 0..100"
    return None


def effective_config(config, planned: list[PlannedCheck], problems: dict) -> dict:
    """The config the decision hook sees: each check's resolved ``advisory`` written in.

    A check registered with ``advisory=True`` (and a plugin problem that only warns) is
    advisory without anyone listing it in ``production_check.advisory``; the decision hook
    only gets ``(results, config)``, so the resolved flags travel in the config.
    """
    data = copy.deepcopy(dict(config))
    section = data.setdefault("production_check", {})
    checks = section.setdefault("checks", {})
    for item in planned:
        checks.setdefault(item.check.name, {})
        checks[item.check.name] = {**(checks[item.check.name] or {}), "advisory": item.advisory}
    for name, (_, advisory) in problems.items():
        checks[name] = {"advisory": advisory}
    return data


def run_gate(config, session: SessionResults | None = None, *,
             started_at: datetime | None = None) -> GateReport:
    """Collect, run and decide; the caller renders, writes and stores the report."""
    started_at = started_at or datetime.now(timezone.utc)
    registry = collect_checks(config)
    planned, disabled = plan(registry, config)
    results = run_checks(planned, getattr(config, "root", Path.cwd()), session, config)
    for name, (result, _) in registry.problems.items():
        results[name] = result
    decided_config = effective_config(config, planned, registry.problems)
    from tier1_plugin.decision import advisory_names

    decision, confidence, reason = decide(results, decided_config)
    elapsed = (datetime.now(timezone.utc) - started_at).total_seconds()
    project_id = getattr(config, "project_id", None) or config.get("project_id") or Path.cwd().name
    return GateReport(decision=decision, confidence=confidence, reason=reason, results=results,
                      advisory=advisory_names(decided_config) & set(results), disabled=disabled,
                      project_id=project_id, started_at=started_at, duration_s=elapsed,
                      notes=registry.notes)


# -- writing the outcome -------------------------------------------------------------------

def event_for(report: GateReport):
    """The ``production_check`` event, in the seed's evidence shape plus the reason."""
    from tier1_plugin.models import AutomationEvent

    return AutomationEvent(
        event_type="production_check",
        project_id=report.project_id,
        status="failed" if report.decision == "no_go" else "success",
        evidence={
            "checks": {name: {"passed": result.passed, "details": result.details,
                              "confidence": result.confidence,
                              "advisory": name in report.advisory}
                       for name, result in report.results.items()},
            "decision": report.decision,
            "confidence": report.confidence,
            "reason": report.reason,
        },
        detected_from="pytest --production-check",
        metadata={"skill": "/production-check", "timestamp": report.started_at.isoformat(),
                  "duration_s": round(report.duration_s, 3), "disabled": report.disabled},
    )


def store_event(report: GateReport, config) -> None:
    """Store the event; a store that fails is noted on the report, never raised."""
    try:
        from tier1_plugin.hub import AutomationHub

        with AutomationHub(config=config) as hub:
            report.event_id = hub.store_event(event_for(report))
    except Exception as exc:  # noqa: BLE001 - the decision stands without its audit row
        report.event_error = f"{type(exc).__name__}: {exc}"


def write_json(report: GateReport, path, config=None) -> None:
    """Write the JSON report; strings are redacted like stored events (not truncated)."""
    from tier1_plugin.redact import redact, secret_values

    secrets = secret_values(((config or {}).get("database") or {}).get("secret_env", ()))
    data = _redacted(report.to_json(), lambda text: redact(text, secrets))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _redacted(value, redact):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, redact) for item in value]
    return value


def write_step_summary(report: GateReport, path=None) -> bool:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    path = path or os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    from tier1_plugin.report import markdown

    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown(report) + "\n")
    return True
