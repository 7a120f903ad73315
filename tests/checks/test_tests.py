from tier1_plugin.checks.integration_tests import run as run_integration
from tier1_plugin.checks.tests import run
from tier1_plugin.gate import SessionResults, TestCounts


def session(**kwargs):
    return SessionResults(integration_paths=["tests/integration_*.py"],
                          integration_markers=["integration"], **kwargs)


def test_a_green_session_passes(context):
    result = run(context("tests", session=session(tests=TestCounts(passed=8, duration_s=1.5))))

    assert result.passed and result.confidence == 100
    assert result.details == "8 passed in 1.50s"


def test_failures_errors_and_collection_errors_fail(context):
    counts = TestCounts(passed=3, failed=1, errors=1, failures=["t.py::a", "t.py::b"])

    result = run(context("tests", session=session(tests=counts, collection_errors=["bad.py"])))

    assert not result.passed
    assert result.details == "1 failed, 3 passed, 1 error in 0.00s; 1 collection error(s)"
    assert result.evidence["failed_tests"] == ["t.py::a", "t.py::b"]
    assert result.evidence["collection_errors"] == ["bad.py"]


def test_only_the_first_twenty_failed_tests_are_listed(context):
    failures = [f"t.py::test_{i:02d}" for i in range(30)]
    counts = TestCounts(failed=30, failures=failures)

    result = run(context("tests", session=session(tests=counts)))

    assert result.evidence["failed"] == 30
    assert result.evidence["failed_tests"] == failures[:20]


def test_a_session_that_ran_nothing_fails(context):
    result = run(context("tests", session=session(tests=TestCounts(skipped=4))))

    assert not result.passed
    assert result.details == "no tests ran (4 skipped in 0.00s)"


def test_skipping_much_lowers_confidence(context):
    result = run(context("tests", session=session(tests=TestCounts(passed=3, skipped=1))))

    assert result.passed and result.confidence == 75


def test_without_a_pytest_session_the_check_fails(context):
    assert not run(context("tests")).passed


def test_integration_tests_count_their_own_subset(context):
    recorded = session(tests=TestCounts(failed=1), integration=TestCounts(passed=2))

    result = run_integration(context("integration_tests", session=recorded))

    assert result.passed
    assert result.details == "2 passed in 0.00s"


def test_no_integration_tests_fails_unless_configured_to_pass(context):
    result = run_integration(context("integration_tests", session=session()))
    assert not result.passed
    assert "no integration tests in this session (tests/integration_*.py, " \
           "@pytest.mark.integration)" == result.details

    lenient = run_integration(context("integration_tests", {"pass_when_none": True}, session()))
    assert lenient.passed and lenient.confidence == 50
