"""The ``documentation`` check: the configured documents exist and are not empty."""

from __future__ import annotations

from tier1_plugin import CheckResult, hookimpl

DEFAULT_FILES = ("README.md", "IMPLEMENTATION_SUMMARY.md")


def run(context) -> CheckResult:
    files = list(context.config.get("files") or DEFAULT_FILES)
    min_found = int(context.config.get("min_found", 1))
    found, empty, missing = [], [], []
    for name in files:
        path = context.root / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        except OSError:
            text = None
        if text is None:
            missing.append(name)
        elif not text.strip():
            empty.append(name)
        else:
            found.append(name)
    passed = len(found) >= min_found
    details = f"{len(found)} of {len(files)} documents found (need {min_found})"
    if found:
        details += f": {', '.join(found)}"
    if empty:
        details += f"; empty: {', '.join(empty)}"
    return CheckResult(check_name="documentation", passed=passed, details=details,
                       evidence={"found": found, "empty": empty, "missing": missing,
                                 "min_found": min_found})


@hookimpl
def tier1_register_checks(register):
    register(name="documentation", run=run, timeout_s=10,
             description="at least min_found of the configured documents exist and are not empty")
