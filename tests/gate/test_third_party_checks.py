"""Third-party checks from a real, pip-installed distribution's ``tier1`` entry points.

The distribution (built in ``conftest.py``) holds the README's ``license`` check, a plugin
whose checks raise, hang past their timeout and return garbage next to one that works, and
a plugin whose registration itself raises.  pytest runs in a subprocess with the install
folder on ``PYTHONPATH`` and ``TIER1_LOAD_ENTRYPOINTS=1``, as on a developer's machine.
"""

from __future__ import annotations

import os

import pytest


def only_license(monkeypatch):
    """Leave the deliberately broken plugins out (keeping any selection already made)."""
    earlier = os.environ.get("TIER1_DISABLE_PLUGINS", "")
    monkeypatch.setenv("TIER1_DISABLE_PLUGINS", ",".join(filter(None, [earlier, "broken",
                                                                       "broken_registration"])))


def test_an_installed_check_runs_and_can_block(gate_project, with_third_party_checks, monkeypatch):
    only_license(monkeypatch)

    result = gate_project.run(subprocess_run=True)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL license *no LICENSE file*",
                                 "decision: NO-GO * - 1 blocking check failed: license (no LICENSE file)"])

    gate_project.write("LICENSE", "MIT License\n")
    result = gate_project.run(subprocess_run=True)

    assert result.ret == 0
    result.stdout.fnmatch_lines(["PASS license *LICENSE found*", "decision: GO *"])


def test_config_turns_a_third_party_check_off_or_makes_it_advisory(
        gate_project, with_third_party_checks, monkeypatch):
    only_license(monkeypatch)
    gate_project.config("production_check:\n  checks:\n    license: {advisory: true}\n")

    result = gate_project.run(subprocess_run=True)

    assert result.ret == 0
    assert gate_project.report()["decision"] == "warning"
    result.stdout.fnmatch_lines(["WARN license *no LICENSE file (advisory)*"])

    gate_project.config("production_check:\n  checks:\n    license: {enabled: false}\n")
    result = gate_project.run(subprocess_run=True)

    assert result.ret == 0
    assert "license" not in gate_project.report()["checks"]
    result.stdout.fnmatch_lines(["disabled: license"])


def test_checks_that_raise_hang_or_return_garbage_fail_alone(gate_project, with_third_party_checks):
    gate_project.write("LICENSE", "MIT License\n")

    result = gate_project.run(subprocess_run=True)

    checks = gate_project.report()["checks"]
    assert checks["raises"]["passed"] is False
    assert checks["raises"]["details"] == "check raised RuntimeError: the check's own bug"
    assert "broken_checks.py" in checks["raises"]["evidence"]["where"]
    assert checks["hangs"]["passed"] is False
    assert checks["hangs"]["details"].startswith("timed out after 1s")
    assert checks["garbage"]["passed"] is False
    assert checks["garbage"]["details"] == (
        "check returned an invalid result: expected a CheckResult, got dict")
    assert checks["plugin:broken_registration"]["passed"] is False
    assert "ValueError: cannot register" in checks["plugin:broken_registration"]["details"]
    # ...and nothing else suffered: the working checks ran and passed
    for name in ("fine", "license", "tests", "integration_tests", "documentation", "rollback_plan"):
        assert checks[name]["passed"] is True, (name, checks[name])
    assert gate_project.report()["decision"] == "no_go"
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL hangs *timed out after 1s*"])


def test_a_policy_plugin_overrides_the_built_in_decision(gate_project, with_third_party_checks,
                                                         monkeypatch):
    only_license(monkeypatch)
    gate_project.write("LICENSE", "MIT License\n")
    gate_project.write("benchmarks.py", "raise SystemExit(1)\n")

    result = gate_project.run(subprocess_run=True)
    assert gate_project.report()["decision"] == "warning"  # the built-in policy
    assert result.ret == 0

    monkeypatch.setenv("STRICT_POLICY", "1")
    result = gate_project.run(subprocess_run=True)

    assert gate_project.report()["decision"] == "no_go"
    assert gate_project.report()["reason"] == "strict policy: performance failed"
    assert result.ret == pytest.ExitCode.TESTS_FAILED
