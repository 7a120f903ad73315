"""``tier1 todos``: the todo list the Claude Code hook keeps.

``tier1 todos [--session S] [--all] [--json]`` lists open items (every session, or session S
plus the items for every session; ``--all`` adds completed and cancelled ones);
``tier1 todos add TEXT [--session S] [--start]`` adds one (``--start``: in progress);
``tier1 todos done ID`` completes one, ``tier1 todos reopen ID`` puts it back to pending.

``--json`` prints a list of objects with the keys ``id``, ``project_id``, ``session_id``,
``content``, ``active_form``, ``status``, ``source``, ``external_id``, ``position``,
``claude_status``, ``confidence``, ``evidence``, ``created_at``, ``updated_at``,
``updated_by``.
"""

from __future__ import annotations

import json
import sys


def configure(parser):
    parser.add_argument("--session", help="a Claude Code session id")
    parser.add_argument("--all", action="store_true", help="also completed and cancelled items")
    parser.add_argument("--json", action="store_true", help="print JSON (keys: see `tier1 todos --help`)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser("add", help="add a todo")
    add.add_argument("text", nargs="+", help="what is to be done")
    add.add_argument("--session", dest="add_session", help="only for this Claude Code session")
    add.add_argument("--start", action="store_true", help="mark it in progress")
    for name, help_text in (("done", "complete a todo"), ("reopen", "put a todo back to pending")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("todo_id", type=int, metavar="ID")


def _store():
    from tier1_plugin.hooks.todos import TodoStore
    from tier1_plugin.hub import AutomationHub

    return TodoStore(AutomationHub())


def run(args) -> int:
    store = _store()
    if args.action == "add":
        todo = store.add(" ".join(args.text), session_id=args.add_session or args.session,
                         status="in_progress" if args.start else "pending")
        _print(args, todo.to_dict(), f"added todo #{todo.id}: {todo.content}")
        return 0
    if args.action in ("done", "reopen"):
        status = "completed" if args.action == "done" else "pending"
        todo = store.set_status(args.todo_id, status, updated_by="cli")
        if todo is None:
            print(f"tier1 todos: no todo #{args.todo_id} in project {store.project_id}", file=sys.stderr)
            return 1
        _print(args, todo.to_dict(), f"todo #{todo.id} is {todo.status}: {todo.content}")
        return 0
    todos = store.list(args.session, include_closed=args.all, every_session=args.session is None)
    if args.json:
        print(json.dumps([todo.to_dict() for todo in todos], indent=2))
        return 0
    if not todos:
        print("no open todos" if not args.all else "no todos")
        return 0
    for todo in todos:
        session = (todo.session_id or "any session")[:12]
        extra = f"  ({todo.confidence}% by {todo.updated_by})" if todo.confidence is not None else ""
        print(f"#{todo.id:<4} {todo.status:<14} {session:<12}  {todo.content}{extra}")
    return 0


def _print(args, data, text):
    print(json.dumps(data, indent=2) if args.json else text)
