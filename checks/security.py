"""The ``security`` check: no hard-coded secrets in the project (the secret scanner).

It scans ``context.root`` exactly as ``tier1 scan-secrets`` does, with the
``production_check.checks.security`` section, and fails on any finding that is not in the
baseline file.  Evidence lists findings as ``path:line rule-id masked`` (never the secret).
"""

from __future__ import annotations

from pathlib import Path

from tier1_plugin import CheckResult, hookimpl

#: Findings listed in the evidence (the count is always complete).
MAX_LISTED = 50

#: The built-in detections of literals assigned to secret-named keys; every other rule is a
#: vendor's key format, whose findings are near-certain (the confidence says so).
ASSIGNMENT_RULES = ("password-assignment", "secret-assignment")


def run(context) -> CheckResult:
    from tier1_plugin.secret_scanner import SecretScanner, load_baseline

    section = dict(context.config or {})
    root = Path(context.root)
    scanner = SecretScanner(section, root, getattr(context, "project_config", None))
    baseline_name = section.get("baseline")
    try:
        accepted = load_baseline(root / baseline_name) if baseline_name else set()
    except ValueError as exc:
        return CheckResult(check_name="security", passed=False, confidence=50,
                           details=f"cannot read the secrets baseline: {exc}",
                           evidence={"baseline": str(baseline_name)})
    report = scanner.scan(root, accepted)
    new = report.new_findings
    evidence = {
        "findings": [f"{f.path}:{f.line} {f.rule_id} {f.masked}" for f in new[:MAX_LISTED]],
        "findings_total": len(new),
        "baselined": len(report.baselined),
        "files_scanned": report.files_scanned,
        "skipped_binary": report.skipped_binary,
        "skipped_large": report.skipped_large,
        "rules": len(scanner.rules) + len(ASSIGNMENT_RULES),
        "errors": report.errors[:10],
    }
    if new:
        listed = ", ".join(f"{f.path}:{f.line} {f.rule_id}" for f in new[:5])
        more = f" and {len(new) - 5} more" if len(new) > 5 else ""
        details = (f"{len(new)} possible hard-coded secret{'s' if len(new) != 1 else ''}: "
                   f"{listed}{more} (accept with `tier1 scan-secrets --update-baseline`, or "
                   f"mark a line `pragma: allowlist secret`)")
        # a vendor key format is near-certain; a secret-named assignment a little less so
        confidence = 95 if any(f.rule_id not in ASSIGNMENT_RULES for f in new) else 85
    else:
        details = f"no hard-coded secrets in {report.files_scanned} files"
        if report.baselined:
            details += f" ({len(report.baselined)} accepted by the baseline)"
        confidence = 90
    if report.errors:
        details += f"; {len(report.errors)} problem(s): {report.errors[0]}"
        confidence = min(confidence, 70)
    return CheckResult(check_name="security", passed=not new, details=details,
                       evidence=evidence, confidence=confidence)


@hookimpl
def tier1_register_checks(register):
    register(name="security", run=run, timeout_s=120,
             description="no hard-coded secrets (tier1 scan-secrets) outside the baseline")
