"""Numbered schema migrations from ``sql/<dialect>/NNNN_name.sql``, recorded in a version table.

Other components add their tables the same way (a new numbered file), so one
``tier1 db upgrade`` brings the whole store up to date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VERSION_TABLE = "tier1_schema_version"
_NAME = re.compile(r"^(\d{4})_([\w-]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def sql_folder() -> Path:
    import tier1_plugin.sql

    return Path(tier1_plugin.sql.__file__).parent


def migrations(dialect: str) -> list[Migration]:
    found = []
    for path in sorted((sql_folder() / dialect).glob("*.sql")):
        match = _NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path))
    return found


def latest_version(dialect: str) -> int:
    return max((m.version for m in migrations(dialect)), default=0)


def split_statements(sql: str) -> list[str]:
    """Split a SQLite script into statements (``sqlite3.complete_statement`` knows triggers)."""
    import sqlite3

    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip() and not all(l.strip().startswith("--") or not l.strip()
                                   for l in current.splitlines()):
        statements.append(current.strip())
    return statements
