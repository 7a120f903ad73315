"""Terminal output helpers shared by the commands: aligned tables, one-line summaries."""

from __future__ import annotations


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Left-aligned columns separated by two spaces; the last column is never padded."""
    cells = [headers, *rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [str(value).ljust(widths[i]) for i, value in enumerate(row[:-1])]
        lines.append("  ".join([*parts, str(row[-1])]).rstrip())
    return "\n".join(lines)


def one_line(text: str, width: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
