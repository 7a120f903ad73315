"""The pytest plugin (entry point ``pytest11``): ``--production-check`` turns the gate on.

Without the option this module costs one ``getoption`` per session and nothing per test.  With
it, a :class:`ProductionGate` is registered on the controller only (never on a pytest-xdist
worker: xdist replays every worker report into the controller's ``pytest_runtest_logreport``,
so recording there counts each test exactly once).  It records every test report while the
session runs, and in a ``trylast`` ``pytest_sessionfinish`` runs the other checks, decides and
sets ``session.exitstatus`` for NO-GO.  None of its hooks raises: a gate that breaks is a NO-GO
that says why, never a traceback in the middle of someone's test run.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

PLUGIN_NAME = "tier1-production-gate"


def pytest_addoption(parser):
    group = parser.getgroup("tier1", "Tier 1 production gate")
    group.addoption("--production-check", action="store_true", default=False,
                    help="record this session's results and decide GO / WARNING / NO-GO")
    group.addoption("--production-report", metavar="PATH", default=None,
                    help="write the gate's JSON report to PATH (implies --production-check)")


def pytest_configure(config):
    wanted = config.getoption("production_check", False) or config.getoption(
        "production_report", None)
    if not wanted or hasattr(config, "workerinput"):
        return
    from tier1_plugin.config import ConfigError, load_config

    try:
        project_config = load_config(start=Path(str(config.rootpath)))
    except ConfigError as exc:
        raise pytest.UsageError(f"tier1: {exc}") from None
    config.pluginmanager.register(ProductionGate(config, project_config), PLUGIN_NAME)


class ProductionGate:
    """Records the session's test results, then runs the gate at session end."""

    def __init__(self, config, project_config):
        from tier1_plugin.gate import IntegrationSelector, SessionResults

        self.config = config
        self.project_config = project_config
        settings = ((project_config.get("production_check") or {}).get("checks") or {}).get(
            "integration_tests") or {}
        paths, markers = settings.get("paths") or [], settings.get("markers") or []
        self.results = SessionResults(integration_paths=list(paths),
                                      integration_markers=list(markers))
        self.is_integration = IntegrationSelector(project_config.root, Path(str(config.rootpath)),
                                                  paths, markers)
        self.started_at = datetime.now(timezone.utc)
        self._started = time.monotonic()
        self.report = None
        #: why the gate could not be trusted (recording or deciding broke): it then blocks
        self.crash: str | None = None
        self.skipped_reason: str | None = None

    # -- recording ---------------------------------------------------------------------------

    def pytest_sessionstart(self, session):
        self.started_at = datetime.now(timezone.utc)
        self._started = time.monotonic()

    def pytest_collectreport(self, report):
        if report.failed:
            self.results.collection_errors.append(report.nodeid or "<session>")

    def pytest_runtest_logreport(self, report):
        try:
            self._record(report)
        except Exception as exc:  # noqa: BLE001 - recording must never break the run
            self.crash = self.crash or f"recording failed: {type(exc).__name__}: {exc}"

    def _record(self, report):
        outcome = report.outcome
        if outcome not in ("passed", "failed", "skipped"):
            return  # e.g. "rerun" from pytest-rerunfailures: the final attempt counts
        counts = (self.results.integration if self.is_integration(report.nodeid, report.keywords)
                  else self.results.tests)
        counts.duration_s += report.duration or 0.0
        xfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if outcome == "passed":
                if xfail:
                    counts.xpassed += 1
                else:
                    counts.passed += 1
            elif outcome == "failed":
                counts.failed += 1  # a strict xpass arrives here too, as pytest counts it
                counts.add_failure(report.nodeid)
            elif xfail:
                counts.xfailed += 1
            else:
                counts.skipped += 1
        elif outcome == "failed":  # setup or teardown error
            counts.errors += 1
            counts.add_failure(report.nodeid)
        elif outcome == "skipped":  # skipped (or xfail(run=False)) before the body ran
            if xfail:
                counts.xfailed += 1
            else:
                counts.skipped += 1

    # -- deciding ----------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if int(exitstatus) == int(pytest.ExitCode.INTERRUPTED) and not self.results.collection_errors:
            # Ctrl-C: nobody waits for a verdict.  (Collection errors also end a session as
            # "interrupted"; those get their NO-GO, report and event like any failure.)
            self.skipped_reason = "the session was interrupted"
            return
        try:
            self._decide(session, exitstatus)
        except Exception as exc:  # noqa: BLE001 - a broken gate must block, not crash pytest
            self.crash = f"{type(exc).__name__}: {exc}"
        if self.crash is not None or self.report is None or self.report.decision == "no_go":
            session.exitstatus = _failing(session.exitstatus)

    def _decide(self, session, exitstatus):
        from tier1_plugin import gate

        self.results.exitstatus = int(exitstatus)
        self.results.duration_s = time.monotonic() - self._started
        report = gate.run_gate(self.project_config, self.results, started_at=self.started_at)
        gate.store_event(report, self.project_config)
        self.report = report
        path = self.config.getoption("production_report", None)
        if path:
            try:
                gate.write_json(report, path, self.project_config)
            except OSError as exc:
                self.crash = f"could not write {path}: {exc}"
        try:
            gate.write_step_summary(report)
        except OSError as exc:
            print(f"tier1: could not write $GITHUB_STEP_SUMMARY: {exc}", file=sys.stderr)

    def pytest_terminal_summary(self, terminalreporter):
        try:
            self._summary(terminalreporter)
        except Exception as exc:  # noqa: BLE001
            terminalreporter.write_line(f"tier1: could not print the production check: {exc}")

    def _summary(self, terminalreporter):
        skipped = self.skipped_reason
        if skipped:
            terminalreporter.write_sep("=", "production check skipped")
            terminalreporter.write_line(f"no decision: {skipped}")
            return
        if self.report is None:
            terminalreporter.write_sep("=", "production check: NO-GO", red=True, bold=True)
            terminalreporter.write_line(f"decision: NO-GO - the gate itself failed: {self.crash}",
                                        red=True)
            return
        from tier1_plugin.report import COLOURS, LABELS, terminal_lines

        decision = self.report.decision
        terminalreporter.write_sep("=", f"production check: {LABELS[decision]}",
                                   **{COLOURS[decision]: True, "bold": True})
        for text, markup in terminal_lines(self.report):
            terminalreporter.write_line(text, **markup)
        if self.crash:
            terminalreporter.write_line(f"tier1: {self.crash}", red=True)


def _failing(exitstatus) -> int:
    """NO-GO keeps a failing status as it is and turns success into TESTS_FAILED."""
    return exitstatus if int(exitstatus) != 0 else pytest.ExitCode.TESTS_FAILED
