"""How the gate's outcome reads: pytest's terminal summary and GitHub's step summary.

Plain text first: every line says PASS / FAIL / WARN in words, so it reads the same without
colour (CI logs, ``NO_COLOR``); colour is only added on top.
"""

from __future__ import annotations

LABELS = {"go": "GO", "warning": "WARNING", "no_go": "NO-GO"}
COLOURS = {"go": "green", "warning": "yellow", "no_go": "red"}


def mark(name: str, result, advisory: set[str]) -> str:
    if result.passed:
        return "PASS"
    return "WARN" if name in advisory else "FAIL"


def terminal_lines(report) -> list[tuple[str, dict]]:
    """``(text, markup)`` lines for pytest's terminal summary, one per check then the decision."""
    names = list(report.results)
    width = max((len(name) for name in names), default=0)
    lines = []
    for name in names:
        result = report.results[name]
        label = mark(name, result, report.advisory)
        colour = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}[label]
        advisory = " (advisory)" if name in report.advisory and not result.passed else ""
        details = " ".join(str(result.details).split()) or "-"
        lines.append((f"{label} {name.ljust(width)}  {details}{advisory}  "
                      f"[{result.duration_s:.2f}s, confidence {result.confidence}]", {colour: True}))
    if report.disabled:
        lines.append((f"disabled: {', '.join(report.disabled)}", {}))
    label = LABELS[report.decision]
    lines.append((f"decision: {label} (confidence {report.confidence}) - {report.reason}",
                  {COLOURS[report.decision]: True, "bold": True}))
    lines += [(f"note: {note}", {}) for note in report.notes]
    if report.event_id is not None:
        lines.append((f"stored production_check event #{report.event_id}", {}))
    elif report.event_error:
        lines.append((f"event not stored: {report.event_error}", {"yellow": True}))
    return lines


def markdown(report) -> str:
    """A Markdown summary (``$GITHUB_STEP_SUMMARY``)."""
    icon = {"go": "✅", "warning": "⚠️", "no_go": "❌"}[report.decision]
    out = [f"## {icon} Production check: {LABELS[report.decision]} "
           f"(confidence {report.confidence})", "", _cell(report.reason), "",
           "| | check | details | confidence | time |", "| --- | --- | --- | ---: | ---: |"]
    for name, result in report.results.items():
        label = mark(name, result, report.advisory)
        out.append(f"| {label} | {_cell(name)} | {_cell(result.details)} | "
                   f"{result.confidence} | {result.duration_s:.2f}s |")
    if report.disabled:
        out += ["", f"Disabled: {', '.join(report.disabled)}"]
    return "\n".join(out)


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
