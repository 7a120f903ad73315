"""The todo list Tier 1 keeps (the seed's "memory system") and the updater that ticks it.

Claude Code's own todo list cannot be written by a hook (and its todo tools may be off), so
the list lives in the event store's database, table ``todos`` (``sql/*/0002_todos.sql``).  It
is learnt from Claude's todo tools (``TodoWrite``'s full list, ``TaskCreate``/``TaskUpdate``
and the ``TaskCreated``/``TaskCompleted`` events) and from people (``tier1 todos add``).

Several hook processes run at once when Claude makes parallel tool calls, so every
read-modify-write happens in one transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL row locks
via ``FOR UPDATE``), and status changes are compare-and-set on the old status.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

STATUSES = ("pending", "in_progress", "pending_review", "completed", "cancelled")
OPEN = ("in_progress", "pending_review", "pending")
CLAUDE_STATUSES = {"pending", "in_progress", "completed"}

#: Who changed a todo last (``updated_by``).
BY_HOOK = "tier1"
BY_CLI = "cli"

_COLUMNS = ("id", "project_id", "session_id", "content", "active_form", "status", "source",
            "external_id", "position", "claude_status", "confidence", "evidence", "created_at",
            "updated_at", "updated_by")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM todos"

_STOPWORDS = frozenset("""a an the to of and or for in on at by with from into onto up it its is
are be been this that these those all any some run make do does done get got new old our my
your we i you then than so as via per after before again also just now task todo item""".split())


@dataclass
class Todo:
    id: int
    project_id: str
    session_id: str | None
    content: str
    active_form: str | None
    status: str
    source: str
    external_id: str | None
    position: int | None
    claude_status: str | None
    confidence: int | None
    evidence: dict | None
    created_at: str
    updated_at: str
    updated_by: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class UpdateResult:
    """The seed's result of ``update_todo_from_detection``, plus what a caller needs to say it.

    ``success`` is true when a todo changed; ``action`` is ``completed``, ``pending_review`` or
    ``skipped``; ``todo`` is the matched todo after the change (``None`` when none matched).
    """

    success: bool
    todo_id: int | None
    old_status: str | None
    new_status: str | None
    message: str
    action: str = "skipped"
    todo: Todo | None = None
    match_reason: str = ""


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class TodoStore:
    """The ``todos`` table of ``hub``'s database, for one project."""

    def __init__(self, hub, project_id: str | None = None):
        self.hub = hub
        self.project_id = project_id or hub.project_id
        self._for_update = " FOR UPDATE" if getattr(hub, "store_name", "") in ("postgresql", "postgres") else ""

    # -- reading ----------------------------------------------------------------------------

    def get(self, todo_id: int) -> Todo | None:
        rows = self.hub.execute(f"{_SELECT} WHERE project_id = ? AND id = ?", (self.project_id, int(todo_id)))
        return _todo(rows[0]) if rows else None

    def list(self, session_id: str | None = None, *, include_closed: bool = False,
             every_session: bool = False) -> list[Todo]:
        """Todos of ``session_id`` plus those for every session (or all, ``every_session``)."""
        sql, params = f"{_SELECT} WHERE project_id = ?", [self.project_id]
        if not every_session:
            if session_id is None:
                sql += " AND session_id IS NULL"
            else:
                sql += " AND (session_id = ? OR session_id IS NULL)"
                params.append(session_id)
        if not include_closed:
            sql += " AND status IN (?, ?, ?)"
            params += list(OPEN)
        sql += " ORDER BY session_id, position, id"
        return [_todo(row) for row in self.hub.execute(sql, params)]

    def _open_in(self, execute, session_id: str | None) -> list[Todo]:
        sql = f"{_SELECT} WHERE project_id = ? AND status IN (?, ?, ?) AND "
        params = [self.project_id, *OPEN]
        if session_id is None:
            sql += "session_id IS NULL"
        else:
            sql += "(session_id = ? OR session_id IS NULL)"
            params.append(session_id)
        return [_todo(row) for row in execute(sql + " ORDER BY id" + self._for_update, params)]

    # -- writing ----------------------------------------------------------------------------

    def add(self, content: str, *, session_id: str | None = None, source: str = BY_CLI,
            status: str = "pending", active_form: str | None = None,
            external_id: str | None = None, updated_by: str = BY_CLI) -> Todo:
        content = _clean(content)
        if not content:
            raise ValueError("a todo needs some text")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (use one of {', '.join(STATUSES)})")
        with self.hub.transaction() as execute:
            return self._insert(execute, content=content, session_id=session_id, source=source,
                                status=status, active_form=active_form, external_id=external_id,
                                updated_by=updated_by)

    def _insert(self, execute, *, content, session_id, source, status, active_form=None,
                external_id=None, position=None, claude_status=None, updated_by) -> Todo:
        stamp = now_text()
        rows = execute(
            "INSERT INTO todos (project_id, session_id, content, active_form, status, source, "
            "external_id, position, claude_status, created_at, updated_at, updated_by) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {', '.join(_COLUMNS)}",
            (self.project_id, session_id, content, active_form, status, source, external_id,
             position, claude_status, stamp, stamp, updated_by))
        return _todo(rows[0])

    def set_status(self, todo_id: int, status: str, *, updated_by: str = BY_CLI,
                   expect: str | None = None) -> Todo | None:
        """Change a todo's status (only from ``expect`` when given); the todo, or ``None``."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (use one of {', '.join(STATUSES)})")
        sql = "UPDATE todos SET status = ?, updated_at = ?, updated_by = ? WHERE project_id = ? AND id = ?"
        params = [status, now_text(), updated_by, self.project_id, int(todo_id)]
        if expect is not None:
            sql += " AND status = ?"
            params.append(expect)
        rows = self.hub.execute(sql + f" RETURNING {', '.join(_COLUMNS)}", params)
        return _todo(rows[0]) if rows else None

    def sync_todowrite(self, session_id: str | None, items: list) -> int:
        """Make the session's ``TodoWrite`` items equal Claude's full list; returns how many changed.

        Items are keyed by their ``id`` (older Claude Code) or their text.  An item missing from
        the new list is cancelled (completed ones are kept).  When Claude repeats the status it
        reported before, a completion Tier 1 made since is kept: Claude has not seen it yet.
        """
        wanted = []
        for position, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            content = _clean(item.get("content") or item.get("subject") or "")
            if not content:
                continue
            status = item.get("status") if item.get("status") in CLAUDE_STATUSES else "pending"
            key = str(item["id"]) if isinstance(item.get("id"), (str, int)) and item.get("id") != "" else content.lower()
            active = item.get("activeForm") if isinstance(item.get("activeForm"), str) else None
            wanted.append((key, content, status, active, position))
        changed = 0
        with self.hub.transaction() as execute:
            existing = {todo.external_id: todo for todo in (_todo(row) for row in execute(
                f"{_SELECT} WHERE project_id = ? AND session_id = ? AND source = ?" + self._for_update,
                (self.project_id, session_id, "todowrite")))}
            seen = set()
            for key, content, status, active, position in wanted:
                if key in seen:
                    continue
                seen.add(key)
                todo = existing.get(key)
                if todo is None:
                    self._insert(execute, content=content, session_id=session_id, source="todowrite",
                                 status=status, active_form=active, external_id=key,
                                 position=position, claude_status=status, updated_by="claude:TodoWrite")
                    changed += 1
                    continue
                new_status = self._merged_status(todo, status)
                if (new_status, content, active, position, status) != (
                        todo.status, todo.content, todo.active_form, todo.position, todo.claude_status):
                    by = "claude:TodoWrite" if new_status != todo.status else todo.updated_by
                    execute("UPDATE todos SET status = ?, content = ?, active_form = ?, position = ?, "
                            "claude_status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                            (new_status, content, active, position, status, now_text(), by, todo.id))
                    changed += 1
            for key, todo in existing.items():
                if key not in seen and todo.status in OPEN:
                    execute("UPDATE todos SET status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                            ("cancelled", now_text(), "claude:TodoWrite", todo.id))
                    changed += 1
        return changed

    @staticmethod
    def _merged_status(todo: Todo, claude_status: str) -> str:
        if (todo.updated_by == BY_HOOK and todo.status in ("completed", "pending_review")
                and claude_status == todo.claude_status):
            return todo.status  # Claude repeats its old view; keep what Tier 1 found since
        return claude_status

    def upsert_task(self, session_id: str | None, task_id, *, subject=None, description=None,
                    status=None, active_form=None, by: str = "claude:Task") -> Todo | None:
        """Record a Claude Code task (``TaskCreate``/``TaskUpdate``/``TaskCreated``/``TaskCompleted``)."""
        if task_id is None or task_id == "":
            return None
        key = str(task_id)
        if status == "deleted":
            status = "cancelled"
        if status is not None and status not in STATUSES:
            status = None
        subject = _clean(subject) if isinstance(subject, str) else None
        with self.hub.transaction() as execute:
            rows = execute(f"{_SELECT} WHERE project_id = ? AND session_id = ? AND source = ? AND external_id = ?"
                           + self._for_update, (self.project_id, session_id, "task", key))
            if not rows:
                if not subject:
                    return None  # an update for a task made before Tier 1 was installed
                return self._insert(execute, content=subject, session_id=session_id, source="task",
                                    status=status or "pending", active_form=active_form,
                                    external_id=key, claude_status=status or "pending", updated_by=by)
            todo = _todo(rows[0])
            new_status = todo.status if status is None else self._merged_status(todo, status)
            rows = execute(
                "UPDATE todos SET content = ?, active_form = ?, status = ?, claude_status = ?, "
                f"updated_at = ?, updated_by = ? WHERE id = ? RETURNING {', '.join(_COLUMNS)}",
                (subject or todo.content, active_form or todo.active_form, new_status,
                 status or todo.claude_status, now_text(),
                 by if new_status != todo.status or subject else todo.updated_by, todo.id))
            return _todo(rows[0])


class TodoUpdater:
    """Match a detection to the right open todo and complete it or mark it for review."""

    def __init__(self, store: TodoStore, *, complete: int = 80, review: int = 60,
                 todo_words: dict[str, list[str]] | None = None):
        self.store = store
        self.complete = complete
        self.review = review
        self.todo_words = {name: {_stem(w) for w in words} for name, words in (todo_words or {}).items()}

    @classmethod
    def from_config(cls, store: TodoStore, config, detector=None) -> "TodoUpdater":
        section = (config or {}).get("action_items") or {}
        thresholds = section.get("thresholds") or {}
        if detector is not None:
            words = {name: c.todo_words for name, c in detector.categories.items()}
        else:
            words = {name: spec.get("todo_words", []) for name, spec in (section.get("categories") or {}).items()}
        return cls(store, complete=int(thresholds.get("complete", 80)),
                   review=int(thresholds.get("review", 60)), todo_words=words)

    def update_todo_from_detection(self, detection, session_id: str | None = None, *,
                                   command: str | None = None, tool_name: str | None = None) -> UpdateResult:
        """Complete (confidence >= complete) or mark for review (>= review) the matching todo."""
        if not detection.keyword_found or not detection.category:
            return UpdateResult(False, None, None, None, "no evidence of finished work")
        if detection.confidence < self.review:
            return UpdateResult(False, None, None, None,
                                f"confidence {detection.confidence} is below the review threshold {self.review}")
        new_status = "completed" if detection.confidence >= self.complete else "pending_review"
        evidence_words = _words(" ".join(filter(None, [command, detection.detected_keyword])))
        with self.store.hub.transaction() as execute:
            candidates = self.store._open_in(execute, session_id)
            todo, reason = self.best_match(candidates, detection.category, evidence_words)
            if todo is None:
                return UpdateResult(False, None, None, None,
                                    f"no open todo fits {detection.category} evidence ({reason})")
            if todo.status == new_status:
                return UpdateResult(False, todo.id, todo.status, todo.status,
                                    f"todo #{todo.id} is already {new_status}", todo=todo, match_reason=reason)
            evidence = json.dumps(_redacted(self.store.hub, {
                "category": detection.category, "keyword": detection.detected_keyword,
                "confidence": detection.confidence, "tool_name": tool_name,
                "snippet": detection.context_snippet or ""}))
            rows = execute(
                "UPDATE todos SET status = ?, confidence = ?, evidence = ?, updated_at = ?, updated_by = ? "
                f"WHERE id = ? AND status = ? RETURNING {', '.join(_COLUMNS)}",
                (new_status, detection.confidence, evidence, now_text(), BY_HOOK, todo.id, todo.status))
        if not rows:  # another hook changed it between our read and write (PostgreSQL only)
            return UpdateResult(False, todo.id, todo.status, todo.status,
                                f"todo #{todo.id} changed meanwhile; left alone", match_reason=reason)
        updated = _todo(rows[0])
        verb = "completed" if new_status == "completed" else "marked for review"
        return UpdateResult(True, todo.id, todo.status, new_status,
                            f"todo #{todo.id} {verb}: {todo.content}", action=new_status,
                            todo=updated, match_reason=reason)

    def best_match(self, todos: list[Todo], category: str, evidence_words: set[str]):
        """The open todo that fits ``category`` and the evidence best: ``(todo, reason)``.

        In progress items come first.  An in-progress item fits when its text names the
        category ("commit", "test" ...) or shares two words with the command; a pending one
        only when the fit is strong: it names the category and shares a word with the command
        (or is the only open item that names it), or shares three words.
        """
        category_words = self.todo_words.get(category, set())
        # words that name a kind of evidence ("push", "test", "deploy") count only through
        # names_category: "Push the branch" must not fit a commit because the same command
        # line also says "git push"
        kind_words = set().union(*self.todo_words.values()) if self.todo_words else set()
        scored = []
        naming = []
        for todo in todos:
            words = _words(f"{todo.content} {todo.active_form or ''}")
            names_category = bool(words & category_words)
            overlap = len((words - kind_words) & evidence_words)
            if names_category:
                naming.append(todo)
            scored.append((todo, names_category, overlap))
        fits = []
        for todo, names_category, overlap in scored:
            if todo.status == "in_progress":
                fit = names_category or overlap >= 2
            else:
                fit = (names_category and (overlap >= 1 or len(naming) == 1)) or overlap >= 3
            if fit:
                rank = {"in_progress": 2, "pending_review": 1}.get(todo.status, 0)
                fits.append(((rank, 3 * names_category + overlap, todo.updated_at, todo.id), todo,
                             f"{todo.status} todo, " + (f"names {category}" if names_category else "")
                             + (", " if names_category and overlap else "")
                             + (f"{overlap} word(s) shared with the command" if overlap else "")))
        if not fits:
            return None, f"{len(todos)} open todo(s), none fits"
        fits.sort(key=lambda item: item[0], reverse=True)
        _, todo, reason = fits[0]
        return todo, reason


def _redacted(hub, evidence: dict) -> dict:
    """Evidence as the event store keeps it: secrets redacted, strings cut to 200 characters."""
    from tier1_plugin.redact import sanitise, secret_values

    database = (getattr(hub, "config", None) or {}).get("database") or {}
    return sanitise(evidence, secret_values(tuple(database.get("secret_env") or ())))


def _todo(row) -> Todo:
    data = dict(zip(_COLUMNS, row))
    for key in ("created_at", "updated_at"):
        if isinstance(data[key], datetime):
            data[key] = data[key].isoformat()
    try:
        data["evidence"] = json.loads(data["evidence"]) if data["evidence"] else None
    except ValueError:
        data["evidence"] = None
    return Todo(**data)


def _clean(text) -> str:
    return " ".join(str(text or "").split())[:500]


_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall((text or "").lower()) if len(w) > 1 and w not in _STOPWORDS}
