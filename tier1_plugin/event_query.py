"""The one SELECT both SQL backends run for ``get_events`` and the timeline."""

from __future__ import annotations

COLUMNS = ("event_uuid", "event_type", "project_id", "status", "evidence", "detected_from",
           "metadata", "correlation_id", "created_at", "resolved_at")
SELECT = "SELECT id, " + ", ".join(COLUMNS) + " FROM automation_events"


def select_events(placeholder: str, to_db_time, *, event_type=None, status=None, project_id=None,
                  since=None, until=None, correlation_id=None, limit=100,
                  oldest_first=False) -> tuple[str, list]:
    """``(sql, params)`` for events matching every given filter, newest (or oldest) first.

    ``placeholder`` is the driver's (``?`` or ``%s``); ``to_db_time`` turns a datetime into what
    the backend compares ``created_at`` with.
    """
    clauses, params = [], []
    for column, value in (("event_type", event_type), ("status", status),
                          ("project_id", project_id), ("correlation_id", correlation_id)):
        if value is not None:
            clauses.append(f"{column} = {placeholder}")
            params.append(value)
    for operator, moment in ((">=", since), ("<", until)):
        if moment is not None:
            clauses.append(f"created_at {operator} {placeholder}")
            params.append(to_db_time(moment))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    order = "ASC" if oldest_first else "DESC"
    sql = f"{SELECT}{where} ORDER BY created_at {order}, id {order}"
    if limit is not None:
        sql += f" LIMIT {placeholder}"
        params.append(int(limit))
    return sql, params
