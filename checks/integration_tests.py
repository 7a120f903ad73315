"""The ``integration_tests`` check: the session's tests that are integration tests.

A test counts when its file matches ``paths`` (globs relative to the project root) or it
carries one of ``markers``.  With none at all the check fails and says so, unless
``pass_when_none`` is set (then it passes with confidence 50).
"""

from __future__ import annotations

from tier1_plugin import CheckResult, hookimpl
from tier1_plugin.checks.tests import counts_result


def run(context) -> CheckResult:
    session = context.session
    if session is None:
        return CheckResult(check_name="integration_tests", passed=False,
                           details="no pytest session was recorded (run pytest --production-check)")
    counts = session.integration
    if counts.total == 0:
        where = ", ".join([*session.integration_paths,
                           *(f"@pytest.mark.{marker}" for marker in session.integration_markers)])
        evidence = {**counts.evidence(), "paths": session.integration_paths,
                    "markers": session.integration_markers}
        passes = bool(context.config.get("pass_when_none", False))
        return CheckResult(check_name="integration_tests", passed=passes,
                           details=f"no integration tests in this session ({where or 'nothing configured'})",
                           evidence=evidence, confidence=50 if passes else 100)
    return counts_result("integration_tests", counts)


@hookimpl
def tier1_register_checks(register):
    register(name="integration_tests", run=run, timeout_s=10,
             description="the session's integration tests (by path or marker) passed")
