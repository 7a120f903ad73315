"""Run `tier1 hook` the way Claude Code does: a new process per payload (action-item tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def tier1_command() -> list[str]:
    script = Path(sys.executable).with_name("tier1")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tier1_plugin"]


class HookRunner:
    """Pipe Claude-Code-shaped payloads through `tier1 hook` in a new process, as Claude does."""

    def __init__(self, project: Path):
        self.project = project
        self.session_id = "5f0c1c9e-6a8e-4c33-9d1c-0b7c2f7e1a11"
        self.env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
        self.calls = 0

    def payload(self, event: str, tool: str | None = None, **fields) -> dict:
        self.calls += 1
        data = {
            "session_id": self.session_id,
            "transcript_path": str(self.project / "transcript.jsonl"),
            "cwd": str(self.project),
            "permission_mode": "default",
            "hook_event_name": event,
        }
        if tool is not None:
            data["tool_name"] = tool
            data["tool_use_id"] = f"toolu_{self.calls:04d}"
        data.update(fields)
        return data

    def run_raw(self, stdin: bytes, env=None) -> subprocess.CompletedProcess:
        return subprocess.run([*tier1_command(), "hook"], input=stdin, capture_output=True,
                              cwd=self.project, env=env or self.env, timeout=120)

    def run(self, payload: dict) -> "HookAnswer":
        return HookAnswer(self.run_raw(json.dumps(payload).encode()))

    def bash(self, command: str, stdout: str, *, failed: bool = False, exit_code: int = 1,
             **response) -> "HookAnswer":
        tool_input = {"command": command, "description": "run it"}
        if failed:
            return self.run(self.payload("PostToolUseFailure", "Bash", tool_input=tool_input,
                                         error=f"Exit code {exit_code}\n{stdout}",
                                         is_interrupt=False, duration_ms=120))
        return self.run(self.payload("PostToolUse", "Bash", tool_input=tool_input, tool_response={
            "stdout": stdout, "stderr": "", "interrupted": False, "isImage": False,
            "noOutputExpected": False, **response}, duration_ms=120))

    def todo_write(self, todos: list[dict]) -> "HookAnswer":
        return self.run(self.payload("PostToolUse", "TodoWrite", tool_input={"todos": todos},
                                     tool_response={"oldTodos": [], "newTodos": todos}))

    def tier1(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*tier1_command(), *args], capture_output=True, text=True,
                              cwd=self.project, env=self.env, timeout=120)

    def todos(self) -> list[dict]:
        result = self.tier1("todos", "--all", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def events(self) -> list[dict]:
        result = self.tier1("events", "--json", "--limit", "1000")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


class HookAnswer:
    def __init__(self, process: subprocess.CompletedProcess):
        self.process = process
        self.returncode = process.returncode
        self.stdout = process.stdout.decode("utf-8", "replace")
        self.stderr = process.stderr.decode("utf-8", "replace")
        self.json = json.loads(self.stdout) if self.stdout.strip() else None

    @property
    def context(self) -> str:
        return ((self.json or {}).get("hookSpecificOutput") or {}).get("additionalContext", "")

    def assert_clean_exit(self):
        """Exit 0, stdout empty or one JSON object, at most one stderr line, no traceback."""
        assert self.returncode == 0, (self.returncode, self.stderr)
        assert "Traceback" not in self.stderr, self.stderr
        assert len(self.stderr.strip().splitlines()) <= 1, self.stderr
        if self.stdout.strip():
            assert self.stdout.lstrip().startswith("{") and isinstance(self.json, dict), self.stdout
