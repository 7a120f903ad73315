"""GO, WARNING and NO-GO through ``pytest --production-check``, driven with pytester."""

from __future__ import annotations

import pytest

from support.gate import planted_secret_line

FAILING_BENCHMARK = "import sys\nprint('p95 latency 900 ms > 200 ms budget')\nsys.exit(1)\n"


def test_go_when_every_check_passes(gate_project):
    result = gate_project.run()

    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "*= production check: GO =*",
        "PASS tests *1 passed*",
        "PASS integration_tests *1 passed*",
        "PASS documentation *README.md*",
        "PASS rollback_plan *ROLLBACK.md found*",
        "decision: GO (confidence *) - all * checks passed",
    ])
    report = gate_project.report()
    assert report["decision"] == "go"
    assert all(check["passed"] for check in report["checks"].values())


def test_warning_when_only_the_performance_check_fails(gate_project):
    gate_project.write("benchmarks.py", FAILING_BENCHMARK)

    result = gate_project.run()

    assert result.ret == 0  # WARNING leaves pytest's own (green) exit status
    result.stdout.fnmatch_lines([
        "WARN performance *`python benchmarks.py` exited with 1 (advisory)*",
        "decision: WARNING * - only advisory checks failed: performance*",
    ])
    report = gate_project.report()
    assert report["decision"] == "warning"
    assert report["checks"]["performance"]["advisory"] is True
    assert "p95 latency 900 ms > 200 ms budget" in report["checks"]["performance"]["evidence"]["output_tail"]


def test_no_go_when_a_test_fails(gate_project):
    gate_project.write("tests/test_unit.py", """\
        def test_adds():
            assert 1 + 1 == 2

        def test_subtracts():
            assert 2 - 1 == 0
        """)

    result = gate_project.run()

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL tests *1 failed, 1 passed*",
                                 "decision: NO-GO * - 1 blocking check failed: tests*"])
    tests = gate_project.report()["checks"]["tests"]
    assert tests["passed"] is False
    assert tests["evidence"]["failed_tests"] == ["tests/test_unit.py::test_subtracts"]
    assert (tests["evidence"]["passed"], tests["evidence"]["failed"]) == (1, 1)


def test_no_go_by_security_makes_pytest_fail_although_every_test_passed(gate_project):
    gate_project.write("service/settings.py", planted_secret_line())

    result = gate_project.run()

    result.assert_outcomes(passed=2)  # pytest itself saw nothing wrong...
    assert result.ret != 0  # ...but the gate's NO-GO fails the run
    report = gate_project.report()
    assert report["decision"] == "no_go"
    assert report["checks"]["security"]["passed"] is False
    assert report["checks"]["tests"]["passed"] is True
    assert "security" in report["reason"]


# The seed's decision matrix, row by row, plus the case it left open (one blocking failure).
MATRIX = [
    pytest.param([], "go", id="0 failed -> GO"),
    pytest.param(["performance"], "warning", id="1 failed, performance only -> WARNING"),
    pytest.param(["documentation"], "no_go", id="1 failed, not advisory -> NO-GO"),
    pytest.param(["performance", "documentation"], "no_go", id="2 failed -> NO-GO"),
    pytest.param(["tests", "rollback_plan", "performance"], "no_go", id="3 failed -> NO-GO"),
]


def _break(project, check: str) -> None:
    if check == "performance":
        project.write("benchmarks.py", FAILING_BENCHMARK)
    elif check == "documentation":
        (project.path / "README.md").unlink()
    elif check == "rollback_plan":
        (project.path / "ROLLBACK.md").unlink()  # and the folder is no git repository
    elif check == "tests":
        project.write("tests/test_unit.py", "def test_adds():\n    assert 1 + 1 == 3\n")


@pytest.mark.parametrize(("broken", "decision"), MATRIX)
def test_decision_matrix(gate_project, broken, decision):
    for check in broken:
        _break(gate_project, check)

    result = gate_project.run()

    report = gate_project.report()
    assert sorted(name for name, check in report["checks"].items() if not check["passed"]) == sorted(broken)
    assert report["decision"] == decision
    assert (result.ret == 0) == (decision != "no_go")


def test_config_makes_a_check_advisory_or_turns_it_off(gate_project):
    (gate_project.path / "README.md").unlink()
    (gate_project.path / "ROLLBACK.md").unlink()
    gate_project.config("""\
        production_check:
          checks:
            documentation: {advisory: true}
            rollback_plan: {enabled: false}
        """)

    result = gate_project.run()

    assert result.ret == 0
    report = gate_project.report()
    assert report["decision"] == "warning"
    assert report["checks"]["documentation"]["advisory"] is True
    assert "rollback_plan" not in report["checks"]
    result.stdout.fnmatch_lines(["disabled: rollback_plan"])


def test_confidence_is_the_lowest_of_the_deciding_checks(gate_project):
    # no benchmarks.py: performance passes with lowered confidence and decides a GO's confidence
    result = gate_project.run()

    report = gate_project.report()
    assert report["decision"] == "go"
    assert report["checks"]["performance"]["confidence"] < 100
    assert report["confidence"] == min(check["confidence"] for check in report["checks"].values())
    result.stdout.fnmatch_lines(["PASS performance *no benchmark*"])


def test_integration_tests_are_counted_by_marker_as_well_as_by_path(gate_project):
    (gate_project.path / "tests" / "integration_api.py").unlink()
    gate_project.write("tests/test_service.py", """\
        import pytest

        @pytest.mark.integration
        def test_against_the_database():
            pass

        def test_plain():
            pass
        """)

    gate_project.run()

    checks = gate_project.report()["checks"]
    assert checks["integration_tests"]["evidence"]["passed"] == 1
    assert checks["tests"]["evidence"]["passed"] == 2


def test_no_integration_tests_fails_the_check_and_says_so(gate_project):
    (gate_project.path / "tests" / "integration_api.py").unlink()

    result = gate_project.run()

    assert result.ret != 0
    result.stdout.fnmatch_lines(["FAIL integration_tests *no integration tests in this session*"])


def test_without_the_option_the_gate_stays_out_of_the_way(gate_project):
    result = gate_project.pytester.runpytest("tests/test_unit.py")

    assert result.ret == 0
    assert "production check" not in result.stdout.str()
    assert not gate_project.report_path.exists()
    assert not gate_project.database.exists()


def test_a_broken_config_is_a_usage_error_naming_the_line(gate_project):
    gate_project.config("production_check:\n  checks:\n    documentation: {min_found: many}\n")

    result = gate_project.run()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*tier1.yaml:3: production_check.checks.documentation.min_found: "
                                 "expected an integer*"])


def test_a_collection_error_is_a_no_go_with_a_report(gate_project):
    gate_project.write("tests/test_broken.py", "def test_x(:\n    pass\n")

    result = gate_project.run()

    assert result.ret == pytest.ExitCode.INTERRUPTED  # pytest's own status is kept
    tests = gate_project.report()["checks"]["tests"]
    assert tests["passed"] is False
    assert tests["evidence"]["collection_errors"] == ["tests/test_broken.py"]
    result.stdout.fnmatch_lines(["FAIL tests *1 collection error(s)*", "decision: NO-GO *"])
