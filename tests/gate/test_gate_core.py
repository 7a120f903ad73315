"""The gate's core without pytest around it: running checks, validating results, deciding."""

from __future__ import annotations

import threading

import pytest

from tier1_plugin import CheckResult
from tier1_plugin.decision import advisory_names, decide
from tier1_plugin.gate import Check, PlannedCheck, Registry, plan, run_checks


def planned(name, run, timeout_s=5.0):
    return PlannedCheck(Check(name=name, run=run), advisory=False, timeout_s=timeout_s, config={})


def ok(name="ok", **kwargs):
    return CheckResult(check_name=name, passed=True, details="fine", **kwargs)


def test_checks_run_concurrently(tmp_path):
    # each check waits for the other: only concurrent runs can both pass
    both = threading.Barrier(2, timeout=5)

    def meet(context):
        both.wait()
        return ok(context.name)

    results = run_checks([planned("a", meet), planned("b", meet)], tmp_path, None, {})

    assert [r.passed for r in results.values()] == [True, True]


@pytest.mark.parametrize(("returned", "problem"), [
    (None, "expected a CheckResult, got NoneType"),
    ((True, "fine"), "expected a CheckResult, got tuple"),
    (CheckResult("x", passed="yes"), "passed must be true or false, got str"),
    (CheckResult("x", passed=True, confidence=150), "confidence must be a number in 0..100, got 150"),
    (CheckResult("x", passed=True, evidence={"seen": {1, 2}}), "evidence is not JSON-serialisable"),
    (CheckResult("x", passed=True, evidence=["a"]), "evidence must be a dict, got list"),
])
def test_garbage_becomes_a_failed_result_saying_what_was_wrong(tmp_path, returned, problem):
    results = run_checks([planned("x", lambda context: returned)], tmp_path, None, {})

    assert results["x"].passed is False
    assert results["x"].details.startswith("check returned an invalid result: " + problem)


def test_a_raising_or_hanging_check_does_not_touch_the_others(tmp_path):
    release = threading.Event()

    def hangs(context):
        release.wait(30)

    def raises(context):
        raise KeyError("missing")

    try:
        results = run_checks([planned("hangs", hangs, timeout_s=0.2),
                              planned("raises", raises),
                              planned("fine", lambda context: ok("fine"))], tmp_path, None, {})
    finally:
        release.set()

    assert results["hangs"].details == "timed out after 0.2s (the check did not return)"
    assert results["raises"].details == "check raised KeyError: 'missing'"
    assert results["fine"].passed and results["fine"].check_name == "fine"


def test_the_gate_names_the_result_after_the_registered_check(tmp_path):
    results = run_checks([planned("docs", lambda context: ok("something else"))], tmp_path, None, {})

    assert results["docs"].check_name == "docs"


def test_plan_applies_enabled_advisory_and_timeout_from_config():
    registry = Registry(checks={
        "a": Check("a", run=print), "b": Check("b", run=print, advisory=True),
        "c": Check("c", run=print), "d": Check("d", run=print, timeout_s=9)})
    config = {"production_check": {"advisory": ["c"], "checks": {
        "a": {"enabled": False}, "b": {"advisory": False}, "d": {"timeout_s": 2}}}}

    runs, disabled = plan(registry, config)

    assert disabled == ["a"]
    assert {p.check.name: (p.advisory, p.timeout_s) for p in runs} == {
        "b": (False, 60.0), "c": (True, 60.0), "d": (False, 2.0)}


def results(**passed):
    return {name: CheckResult(name, passed=value[0], details=name, confidence=value[1])
            for name, value in passed.items()}


def test_decision_policy_and_its_confidence():
    advisory = {"performance"}
    assert decide(results(tests=(True, 90), performance=(True, 60)), advisory) == (
        "go", 60, "all 2 checks passed")
    assert decide(results(tests=(True, 90), performance=(False, 80)), advisory) == (
        "warning", 80, "only advisory checks failed: performance (performance)")
    assert decide(results(tests=(False, 70), docs=(False, 100), performance=(False, 10)),
                  advisory) == ("no_go", 70, "2 blocking checks failed: tests, docs")
    assert decide({}, advisory)[0] == "no_go"


def test_advisory_names_come_from_the_list_and_per_check_flags():
    config = {"production_check": {"advisory": ["performance"],
                                   "checks": {"docs": {"advisory": True}, "tests": {}}}}

    assert advisory_names(config) == {"performance", "docs"}


def test_the_json_report_redacts_what_a_check_leaked(tmp_path, monkeypatch):
    import json
    from datetime import datetime, timezone

    from tier1_plugin.gate import GateReport, write_json

    monkeypatch.setenv("N8N_API_KEY", "n8n-value-0123456789")
    leaky = CheckResult("deploy", passed=False, details="POST failed with key n8n-value-0123456789",
                        evidence={"command": "curl -H 'Authorization: Bearer abcdefghijklmnop0123'"})
    report = GateReport(decision="no_go", confidence=100, reason="deploy failed",
                        results={"deploy": leaky}, advisory=set(), disabled=[], project_id="p",
                        started_at=datetime.now(timezone.utc), duration_s=1.0)

    write_json(report, tmp_path / "out" / "report.json")

    text = (tmp_path / "out" / "report.json").read_text()
    assert "n8n-value-0123456789" not in text and "abcdefghijklmnop0123" not in text
    assert json.loads(text)["checks"]["deploy"]["details"] == "POST failed with key [REDACTED]"
