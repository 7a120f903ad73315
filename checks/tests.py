"""The ``tests`` check: this pytest session's own results (the suite is never run again).

Passes when the session had no failures, no errors (collection errors included) and ran at
least one test.  Tests that count for ``integration_tests`` are left to that check.
Confidence when passing drops with the share of tests skipped: a suite that skips half of
itself proves less.
"""

from __future__ import annotations

from tier1_plugin import CheckResult, hookimpl


def counts_result(name: str, counts, collection_errors=()) -> CheckResult:
    """A check result for one set of recorded tests (shared with ``integration_tests``)."""
    evidence = counts.evidence()
    if collection_errors:
        evidence["collection_errors"] = list(collection_errors)[:20]
    problems = counts.failed + counts.errors + len(collection_errors)
    if problems:
        details = counts.summary()
        if collection_errors:
            details += f"; {len(collection_errors)} collection error(s)"
        return CheckResult(check_name=name, passed=False, details=details, evidence=evidence)
    if counts.ran == 0:
        return CheckResult(check_name=name, passed=False,
                           details=f"no tests ran ({counts.summary()})", evidence=evidence)
    confidence = round(100 * counts.ran / (counts.ran + counts.skipped))
    return CheckResult(check_name=name, passed=True, details=counts.summary(), evidence=evidence,
                       confidence=max(50, confidence))


def run(context) -> CheckResult:
    if context.session is None:
        return CheckResult(check_name="tests", passed=False,
                           details="no pytest session was recorded (run pytest --production-check)")
    return counts_result("tests", context.session.tests, context.session.collection_errors)


@hookimpl
def tier1_register_checks(register):
    register(name="tests", run=run, timeout_s=10,
             description="this pytest session had no failures or errors and ran tests")
