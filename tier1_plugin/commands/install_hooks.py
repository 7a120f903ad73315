"""``tier1 install-hooks``: register ``tier1 hook`` with Claude Code, and ``/production-check``.

Merges Tier 1's entries into ``.claude/settings.json`` of the project (``--user``:
``~/.claude/settings.json``) and writes ``.claude/commands/production-check.md``.  What users
of other hook installers complain about, and what this one does instead:

* duplicates on re-run: Tier 1's handlers are recognised by their command (``... tier1 hook``)
  and updated in place, so running it twice installs once;
* whole hook arrays replaced, other tools' hooks deleted on uninstall: only Tier 1's own
  matcher groups are added or removed; every other key, event, group and handler is kept, in
  order;
* a missing command path silently disabling the hook (exit 127): the command is an absolute
  path to this environment's ``tier1`` (or ``"$CLAUDE_PROJECT_DIR"/...`` when the environment
  lives inside the project, so a committed settings file works for every clone), and it is run
  once before anything is written.

``--uninstall`` removes exactly Tier 1's handlers (and the groups, event lists and ``hooks``
key that become empty because of it), and the command file if Tier 1 wrote it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

TIMEOUT_S = 30
TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure")
TASK_EVENTS = ("TaskCreated", "TaskCompleted")
TODO_TOOLS = ("TodoWrite", "TaskCreate", "TaskUpdate")
COMMAND_FILE = Path("commands") / "production-check.md"
MARKER = "<!-- written by `tier1 install-hooks`; `tier1 install-hooks --uninstall` removes it -->"
_OURS = re.compile(r"""(?:^|[/\s"'])tier1["']?\s+hook$|-m\s+tier1_plugin\s+hook$""")


def configure(parser):
    parser.add_argument("--user", action="store_true",
                        help="install into ~/.claude (every project) instead of the project's .claude/")
    parser.add_argument("--uninstall", action="store_true", help="remove what install-hooks added")
    parser.add_argument("--dry-run", action="store_true", help="print the resulting settings, write nothing")


def run(args) -> int:
    from tier1_plugin.config import load_config

    config = load_config()
    claude_dir = (Path.home() if args.user else Path(config.root)) / ".claude"
    settings_path = claude_dir / "settings.json"
    try:
        settings = read_settings(settings_path)
    except ValueError as exc:
        print(f"tier1 install-hooks: {settings_path}: {exc}; nothing changed", file=sys.stderr)
        return 1
    if args.uninstall:
        changed = uninstall(settings)
        return _finish(args, settings_path, settings, changed, _remove_command_file(claude_dir, args.dry_run))
    executable = tier1_executable(Path(config.root), project_relative=not args.user)
    problem = verify(executable, Path(config.root))
    if problem:
        print(f"tier1 install-hooks: `{executable} hook` does not run ({problem}); nothing changed",
              file=sys.stderr)
        return 1
    changed = install(settings, f"{executable} hook", matcher(config))
    note = _write_command_file(claude_dir, executable, args.dry_run)
    return _finish(args, settings_path, settings, changed, note)


def _finish(args, path: Path, settings: dict, changed: bool, note: str) -> int:
    if args.dry_run:
        print(json.dumps(settings, indent=2))
        return 0
    if changed:
        write_settings(path, settings)
    verb = "removed Tier 1's hooks from" if args.uninstall else "installed Tier 1's hooks in"
    print(f"{verb} {path}" if changed else f"{path}: already up to date")
    if note:
        print(note)
    return 0


# -- the settings file --------------------------------------------------------------------

def read_settings(path: Path) -> dict:
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    if "hooks" in data and not isinstance(data["hooks"], dict):
        raise ValueError('"hooks" is not an object')
    return data


def write_settings(path: Path, settings: dict) -> None:
    """Write atomically; an empty result removes a file that held nothing else."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not settings:
        if path.exists():
            path.unlink()
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def is_ours(handler) -> bool:
    return (isinstance(handler, dict) and isinstance(handler.get("command"), str)
            and bool(_OURS.search(handler["command"].strip())))


def install(settings: dict, command: str, tool_matcher: str) -> bool:
    """Add or update Tier 1's handler for every event; returns whether anything changed."""
    before = json.dumps(settings, sort_keys=True)
    hooks = settings.setdefault("hooks", {})
    for event in (*TOOL_EVENTS, *TASK_EVENTS):
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise ValueError(f"hooks.{event} is not a list")
        group = {"matcher": tool_matcher} if event in TOOL_EVENTS else {}
        group["hooks"] = [{"type": "command", "command": command, "timeout": TIMEOUT_S}]
        ours = [i for i, g in enumerate(groups) if isinstance(g, dict)
                and any(is_ours(h) for h in g.get("hooks") or [])]
        if not ours:
            groups.append(group)
            continue
        first = groups[ours[0]]
        others = [h for h in first.get("hooks") or [] if not is_ours(h)]
        if others:  # a group the user shares with us: update our handler only
            first["hooks"] = [group["hooks"][0] if is_ours(h) else h for h in first["hooks"]]
            first["hooks"] = _dedupe(first["hooks"])
        else:
            groups[ours[0]] = group
        for index in reversed(ours[1:]):  # earlier duplicate installs
            rest = [h for h in groups[index].get("hooks") or [] if not is_ours(h)]
            if rest:
                groups[index]["hooks"] = rest
            else:
                del groups[index]
    return json.dumps(settings, sort_keys=True) != before


def _dedupe(handlers):
    seen, result = False, []
    for handler in handlers:
        if is_ours(handler):
            if seen:
                continue
            seen = True
        result.append(handler)
    return result


def uninstall(settings: dict) -> bool:
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return False
    changed = False
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(handlers, list) or not any(is_ours(h) for h in handlers):
                kept.append(group)
                continue
            changed = True
            rest = [h for h in handlers if not is_ours(h)]
            if rest:
                kept.append({**group, "hooks": rest})
        if len(kept) != len(groups) or changed:
            if kept:
                hooks[event] = kept
            elif groups:  # it held only Tier 1's groups
                del hooks[event]
    if changed and not hooks:
        del settings["hooks"]
    return changed


def matcher(config) -> str:
    """One anchored regular expression for the tools Tier 1 reads.

    Claude Code treats a matcher of plain names joined by ``|`` as an exact list, anything else
    as an unanchored regex; ours holds regexes (``mcp__n8n__.*``), so it is anchored to keep
    ``Edit`` from matching ``NotebookEdit``.
    """
    tools: list[str] = []
    for pattern in [*((config.get("action_items") or {}).get("tools") or []), *TODO_TOOLS,
                    *((config.get("n8n") or {}).get("tools") or [])]:
        if isinstance(pattern, str) and pattern not in tools:
            tools.append(pattern)
    return "^(" + "|".join(tools) + ")$"


# -- the command --------------------------------------------------------------------------

def tier1_executable(root: Path, project_relative: bool = True) -> str:
    """How Claude Code should start this installation's ``tier1``, from any folder."""
    script = Path(sys.executable).with_name("tier1")
    if script.exists():
        if project_relative:
            try:
                inside = script.absolute().relative_to(root.resolve())
                return f'"$CLAUDE_PROJECT_DIR"/{shlex.quote(str(inside))}'
            except ValueError:
                pass
        return shlex.quote(str(script.absolute()))
    return f"{shlex.quote(str(Path(sys.executable).absolute()))} -m tier1_plugin"


def verify(executable: str, root: Path) -> str | None:
    """Run the command once, as Claude Code would (a shell, from another folder)."""
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(root)}
    try:
        result = subprocess.run(["bash", "-c", f"{executable} hook --help"], capture_output=True,
                                text=True, env=env, cwd=os.path.expanduser("~") or "/", timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if result.returncode != 0:
        return f"exit code {result.returncode}: {(result.stderr or result.stdout).strip()[:200]}"
    return None


def command_file_text(executable: str) -> str:
    return f"""---
description: Run Tier 1's production readiness gate and explain GO / WARNING / NO-GO
allowed-tools: Bash({executable} check:*), Bash(cd:*), Bash(tail:*)
---
{MARKER}

The production readiness gate for this project (`tier1 check`, which runs
`pytest --production-check`):

!`cd "${{CLAUDE_PROJECT_DIR:-.}}" && {executable} check 2>&1 | tail -n 60`

Report the decision (GO, WARNING or NO-GO) and its reason, list every failed check with
its details, and propose the next step for each failure. $ARGUMENTS
"""


def _write_command_file(claude_dir: Path, executable: str, dry_run: bool) -> str:
    path = claude_dir / COMMAND_FILE
    if path.exists() and MARKER not in path.read_text(encoding="utf-8", errors="replace"):
        return f"kept your own {path} (not written by Tier 1)"
    text = command_file_text(executable)
    if dry_run or (path.exists() and path.read_text(encoding="utf-8") == text):
        return ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"wrote {path} (/production-check)"


def _remove_command_file(claude_dir: Path, dry_run: bool) -> str:
    path = claude_dir / COMMAND_FILE
    if not path.exists() or MARKER not in path.read_text(encoding="utf-8", errors="replace"):
        return ""
    if not dry_run:
        path.unlink()
        for folder in (path.parent,):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                pass
    return f"removed {path}"
