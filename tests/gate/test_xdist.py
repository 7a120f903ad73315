"""Under pytest-xdist the controller counts every worker's tests exactly once."""

from __future__ import annotations

SUITE = """\
import pytest

@pytest.mark.parametrize("n", range(12))
def test_many(n):
    assert n != 7

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass

@pytest.mark.xfail(reason="a known bug the gate must count as xfailed")
def test_known_bug():
    assert False

@pytest.fixture
def broken():
    raise RuntimeError("setup failed")

def test_needs_broken(broken):
    pass

@pytest.mark.integration
def test_marked_integration():
    pass
"""


def test_two_workers_count_what_a_serial_run_counts(gate_project):
    gate_project.write("tests/test_suite.py", SUITE)

    gate_project.run(subprocess_run=True)
    serial = gate_project.report()["checks"]
    result = gate_project.run("-n", "2", subprocess_run=True)
    parallel = gate_project.report()["checks"]

    result.stdout.fnmatch_lines(["*2 workers*"])
    for name in ("tests", "integration_tests"):
        serial_counts = {k: v for k, v in serial[name]["evidence"].items() if k != "duration_s"}
        parallel_counts = {k: v for k, v in parallel[name]["evidence"].items() if k != "duration_s"}
        assert parallel_counts == serial_counts, name
    assert serial["tests"]["evidence"]["passed"] == 12  # 11 + test_adds
    assert serial["tests"]["evidence"]["failed"] == 1
    assert serial["tests"]["evidence"]["errors"] == 1
    assert serial["tests"]["evidence"]["skipped"] == 1
    assert serial["tests"]["evidence"]["xfailed"] == 1
    assert serial["integration_tests"]["evidence"]["passed"] == 2  # by path and by marker
    assert serial["tests"]["evidence"]["failed_tests"] == [
        "tests/test_suite.py::test_many[7]", "tests/test_suite.py::test_needs_broken"]
