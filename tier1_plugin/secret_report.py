"""Render a secret scan as text, JSON or SARIF 2.1.0.  Every form shows masked secrets only.

SARIF is what GitHub code scanning and editors read: each result points at
``artifactLocation.uri`` (relative to the scanned root, with ``uriBaseId: "%SRCROOT%"``) and
``region.startLine``, and carries the finding's fingerprint in ``partialFingerprints`` so a
moved line is still the same alert.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from tier1_plugin.secret_scanner import ScanReport, SecretScanner

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/tier1-automation/tier1-automation#secret-scanner"

#: The built-in (code, not regex) detections, described for SARIF's rule list.
ASSIGNMENT_RULES = {
    "password-assignment": "a password assigned as a literal to a password-named key, "
                           "variable, field or flag",
    "secret-assignment": "a secret (token, API key, private key, credential) assigned as a "
                         "literal to a secret-named key, variable, field or flag",
}


def to_text(report: ScanReport, *, include_baselined: bool = False) -> str:
    """One line per finding: ``path:line: rule-id description [masked]``."""
    shown = report.findings if include_baselined else report.new_findings
    return "".join(f"{f.path}:{f.line}: {f.rule_id} {f.description} [{f.masked}]\n"
                   for f in shown)


def summary(report: ScanReport) -> str:
    new = len(report.new_findings)
    parts = [f"{new} secret{'s' if new != 1 else ''} found" if new else "no secrets found",
             f"in {report.files_scanned} files"]
    if report.baselined:
        parts.append(f"({len(report.baselined)} accepted by the baseline)")
    skipped = report.skipped_binary + report.skipped_large
    if skipped:
        parts.append(f"({report.skipped_binary} binary and {report.skipped_large} oversized "
                     f"files skipped)")
    return " ".join(parts)


def to_json(report: ScanReport) -> str:
    accepted = {id(f) for f in report.baselined}
    data = {
        "root": str(report.root),
        "files_scanned": report.files_scanned,
        "skipped_binary": report.skipped_binary,
        "skipped_large": report.skipped_large,
        "new": len(report.new_findings),
        "baselined": len(report.baselined),
        "errors": report.errors,
        "findings": [{**f.to_dict(), "baselined": id(f) in accepted} for f in report.findings],
    }
    return json.dumps(data, indent=2) + "\n"


def to_sarif(report: ScanReport, scanner: SecretScanner, version: str = "0") -> str:
    """A SARIF 2.1.0 log with one run; baselined findings are marked ``baselineState:
    unchanged`` and suppressed, new ones ``new``."""
    descriptions = {rule.id: rule.description for rule in scanner.rules}
    descriptions.update(ASSIGNMENT_RULES)
    used = sorted({f.rule_id for f in report.findings} | set(descriptions))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    rules = [{
        "id": rule_id,
        "name": "".join(part.title() for part in rule_id.split("-")),
        "shortDescription": {"text": descriptions.get(rule_id, rule_id)},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "secret"]},
    } for rule_id in used]
    accepted = {id(f) for f in report.baselined}
    results = []
    for finding in report.findings:
        result = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": "error",
            "message": {"text": f"{finding.description}: {finding.masked}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(finding.path), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": finding.line, "startColumn": finding.column},
            }}],
            "partialFingerprints": {"tier1SecretFingerprint/v1": finding.fingerprint},
            "baselineState": "unchanged" if id(finding) in accepted else "new",
        }
        if id(finding) in accepted:
            result["suppressions"] = [{"kind": "external",
                                       "justification": "accepted in the secrets baseline"}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "tier1 scan-secrets", "version": version,
                                "informationUri": TOOL_URI, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": report.root.as_uri() + "/"}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2) + "\n"
