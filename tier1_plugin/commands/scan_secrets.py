"""``tier1 scan-secrets [PATH]``: the security check's secret scanner on its own.

Exit codes: 0 clean (or every finding is in the baseline), 1 new findings, 2 usage or
configuration error.  ``--update-baseline`` records the current findings as accepted
(fingerprints only) and exits 0.  Findings go to stdout; the one-line summary to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path


def configure(parser):
    parser.add_argument("path", nargs="?", default=".", metavar="PATH",
                        help="folder (or file) to scan (default: the current folder)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="text lines path:line: rule-id description [masked] (default), "
                             "JSON, or SARIF 2.1.0 for code scanning")
    parser.add_argument("--baseline", metavar="FILE",
                        help="accepted findings (default: production_check.checks.security."
                             "baseline, relative to the project root)")
    parser.add_argument("--update-baseline", action="store_true",
                        help="write every current finding to the baseline as accepted")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report here, not stdout")


def run(args) -> int:
    from tier1_plugin.config import load_config
    from tier1_plugin.secret_scanner import SecretScanner, load_baseline, security_section, write_baseline

    target = Path(args.path)
    if not target.exists():
        print(f"tier1 scan-secrets: {args.path}: no such file or folder", file=sys.stderr)
        return 2
    config = load_config(start=(target if target.is_dir() else target.parent).resolve())
    section = security_section(config)
    if args.baseline:
        baseline = Path(args.baseline)
    elif section.get("baseline"):
        baseline = config.root / section["baseline"]
    else:
        baseline = None
    try:
        accepted = load_baseline(baseline) if baseline and not args.update_baseline else set()
    except ValueError as exc:
        print(f"tier1 scan-secrets: {exc}", file=sys.stderr)
        return 2
    scanner = SecretScanner(section, config.root, config)
    report = scanner.scan(target, accepted)
    for problem in report.errors:
        print(f"tier1 scan-secrets: {problem}", file=sys.stderr)

    from tier1_plugin import secret_report

    if args.update_baseline:
        if baseline is None:
            print("tier1 scan-secrets: no baseline file: pass --baseline FILE", file=sys.stderr)
            return 2
        write_baseline(baseline, report.findings)
        print(f"tier1 scan-secrets: {len(report.findings)} finding(s) written to {baseline} "
              f"as accepted", file=sys.stderr)
        return 0
    if args.format == "json":
        text = secret_report.to_json(report)
    elif args.format == "sarif":
        text = secret_report.to_sarif(report, scanner, _version())
    else:
        text = secret_report.to_text(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"tier1 scan-secrets: {secret_report.summary(report)}", file=sys.stderr)
    return 1 if report.new_findings else 0


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tier1-automation")
    except Exception:  # noqa: BLE001 - a source checkout without metadata
        return "0"
