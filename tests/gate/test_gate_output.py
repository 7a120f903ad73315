"""What the gate leaves behind: the JSON report, the stored event, the GitHub step summary."""

from __future__ import annotations

from support.gate import planted_secret_line

CHECK_KEYS = {"passed", "details", "evidence", "confidence", "duration_s", "advisory"}
BUILT_IN = {"tests", "integration_tests", "security", "documentation", "performance", "rollback_plan"}


def test_the_json_report_has_the_documented_shape(gate_project):
    gate_project.run()

    report = gate_project.report()
    assert set(report) == {"decision", "confidence", "reason", "checks", "project_id",
                           "started_at", "duration_s"}
    assert report["decision"] in ("go", "warning", "no_go")
    assert isinstance(report["confidence"], int) and 0 <= report["confidence"] <= 100
    assert isinstance(report["reason"], str) and report["reason"]
    assert report["project_id"] == gate_project.path.name
    assert report["started_at"].endswith("+00:00")
    assert report["duration_s"] >= 0
    assert BUILT_IN <= set(report["checks"])
    for name, check in report["checks"].items():
        assert set(check) == CHECK_KEYS, name
        assert isinstance(check["passed"], bool) and isinstance(check["evidence"], dict)
        assert 0 <= check["confidence"] <= 100 and check["duration_s"] >= 0
    tests = report["checks"]["tests"]["evidence"]
    assert {"passed", "failed", "errors", "skipped", "xfailed", "duration_s",
            "failed_tests"} <= set(tests)


def test_one_production_check_event_is_stored_in_the_seed_shape(gate_project):
    gate_project.run()
    gate_project.write("service/settings.py", planted_secret_line())
    gate_project.run()

    newest, older = gate_project.events()
    assert (older.status, older.evidence["decision"]) == ("success", "go")
    assert (newest.status, newest.evidence["decision"]) == ("failed", "no_go")
    assert newest.event_type == "production_check"
    assert newest.project_id == gate_project.path.name
    assert set(newest.evidence) >= {"checks", "decision", "confidence"}
    assert newest.evidence["checks"]["security"]["passed"] is False
    assert {"passed", "details"} <= set(newest.evidence["checks"]["tests"])
    assert newest.evidence["confidence"] == gate_project.report()["confidence"]
    # the secret planted in the project never reaches the audit trail
    secret = planted_secret_line().split('"')[1]
    assert secret not in str(newest.evidence)


def test_the_terminal_summary_names_the_stored_event(gate_project):
    result = gate_project.run()

    (event,) = gate_project.events()
    result.stdout.fnmatch_lines([f"stored production_check event #{event.id}"])


def test_markdown_summary_goes_to_github_step_summary(gate_project, monkeypatch):
    summary = gate_project.path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    gate_project.write("benchmarks.py", "raise SystemExit(3)\n")

    gate_project.run()

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")  # appended, as GitHub expects
    assert "## ⚠️ Production check: WARNING" in text
    assert "| WARN | performance | `python benchmarks.py` exited with 3 |" in text
    assert "| PASS | tests |" in text
