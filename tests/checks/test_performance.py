import sys

from tier1_plugin.checks.performance import NO_BENCHMARK_CONFIDENCE, command_of, run


def test_no_benchmark_passes_with_lowered_confidence(project, context):
    result = run(context("performance"))

    assert result.passed
    assert result.confidence == NO_BENCHMARK_CONFIDENCE < 100
    assert "no benchmark (benchmarks.py not found)" in result.details
    assert result.evidence["ran"] is False


def test_a_passing_benchmark_passes_with_its_output(project, context):
    (project / "benchmarks.py").write_text("print('p95 12 ms')\n")

    result = run(context("performance"))

    assert result.passed and result.confidence == 100
    assert result.evidence["exit_code"] == 0
    assert result.evidence["output_tail"] == ["p95 12 ms"]


def test_a_failing_benchmark_fails(project, context):
    (project / "benchmarks.py").write_text("import sys\nprint('too slow', file=sys.stderr)\nsys.exit(4)\n")

    result = run(context("performance"))

    assert not result.passed
    assert result.details == "`python benchmarks.py` exited with 4"
    assert result.evidence["output_tail"] == ["too slow"]


def test_a_benchmark_over_its_timeout_fails(project, context):
    (project / "bench_slow.py").write_text("import time\ntime.sleep(30)\n")

    result = run(context("performance", {"command": ["python", "bench_slow.py"], "timeout": 0.5}))

    assert not result.passed
    assert result.details == "`python bench_slow.py` timed out after 0.5s"


def test_python_means_the_interpreter_running_the_gate():
    assert command_of({"command": "python -X dev benchmarks.py"}) == [
        sys.executable, "-X", "dev", "benchmarks.py"]
    assert command_of({"command": ["make", "bench"]}) == ["make", "bench"]
