"""`tier1 install-hooks`: merge, idempotence, exact uninstall, a command that runs anywhere."""

from __future__ import annotations

import copy
import json
import os
import subprocess

from support.hook_runner import tier1_command

USER_SETTINGS = {
    "permissions": {"allow": ["Bash(npm run lint)"], "deny": ["Read(./.env)"]},
    "env": {"FOO": "bar"},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard.sh", "timeout": 5}]},
        ],
        "PostToolUse": [
            {"matcher": "Write|Edit", "hooks": [{"type": "command", "command": "prettier --write \"$FILE\""}]},
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/audit.sh"}]},
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}],
    },
    "model": "opus",
}


def run_tier1(project, *args, env=None):
    return subprocess.run([*tier1_command(), *args], capture_output=True, text=True, cwd=project,
                          env=env or os.environ, timeout=120)


def test_round_trip_keeps_the_users_settings_and_hooks(project):
    settings_path = project / ".claude" / "settings.json"
    settings_path.parent.mkdir()
    settings_path.write_text(json.dumps(USER_SETTINGS, indent=4))

    first = run_tier1(project, "install-hooks")
    assert first.returncode == 0, first.stderr
    installed = json.loads(settings_path.read_text())
    for key in ("permissions", "env", "model"):
        assert installed[key] == USER_SETTINGS[key]
    hooks = installed["hooks"]
    # the user's groups stay first and unchanged; Tier 1's group is appended once per event
    assert hooks["PreToolUse"][0] == USER_SETTINGS["hooks"]["PreToolUse"][0]
    assert hooks["PostToolUse"][:2] == USER_SETTINGS["hooks"]["PostToolUse"]
    assert hooks["Stop"] == USER_SETTINGS["hooks"]["Stop"]
    for event in ("PreToolUse", "PostToolUse", "PostToolUseFailure", "TaskCreated", "TaskCompleted"):
        ours = [h for g in hooks[event] for h in g["hooks"] if h["command"].endswith("tier1 hook")]
        assert len(ours) == 1, event
        assert ours[0]["type"] == "command" and ours[0]["timeout"] == 30
    matcher = hooks["PostToolUse"][-1]["matcher"]
    assert matcher.startswith("^(") and "Bash" in matcher and "TodoWrite" in matcher
    assert "matcher" not in hooks["TaskCompleted"][-1]

    second = run_tier1(project, "install-hooks")
    assert second.returncode == 0 and "already up to date" in second.stdout
    assert json.loads(settings_path.read_text()) == installed

    command_file = project / ".claude" / "commands" / "production-check.md"
    assert "check" in command_file.read_text() and "description:" in command_file.read_text()

    removed = run_tier1(project, "install-hooks", "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(settings_path.read_text()) == USER_SETTINGS
    assert not command_file.exists()
    again = run_tier1(project, "install-hooks", "--uninstall")
    assert again.returncode == 0 and "already up to date" in again.stdout


def test_install_into_no_settings_then_uninstall_leaves_nothing(project):
    assert run_tier1(project, "install-hooks").returncode == 0
    assert (project / ".claude" / "settings.json").exists()
    assert run_tier1(project, "install-hooks", "--uninstall").returncode == 0
    assert not (project / ".claude" / "settings.json").exists()


def test_the_installed_command_runs_from_any_folder(project, tmp_path):
    assert run_tier1(project, "install-hooks").returncode == 0
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    command = settings["hooks"]["PostToolUse"][-1]["hooks"][0]["command"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    payload = {"session_id": "s1", "hook_event_name": "PostToolUse", "tool_name": "Bash",
               "cwd": str(elsewhere), "tool_use_id": "toolu_1",
               "tool_input": {"command": "git commit -m 'x'"},
               "tool_response": {"stdout": "[main 1234567] x\n", "stderr": "", "interrupted": False}}
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["bash", "-c", command], input=json.dumps(payload), capture_output=True,
                            text=True, cwd=elsewhere, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    events = json.loads(run_tier1(project, "events", "--json").stdout)
    assert [e["evidence"]["keyword_category"] for e in events] == ["commit-related"]
    assert not (elsewhere / ".tier1").exists()


def test_a_group_the_user_shares_with_tier1_keeps_the_users_handler(project):
    path = project / ".claude" / "settings.json"
    path.parent.mkdir()
    assert run_tier1(project, "install-hooks").returncode == 0
    data = json.loads(path.read_text())
    data["hooks"]["PostToolUse"][-1]["hooks"].append({"type": "command", "command": "notify-send hi"})
    data["hooks"]["PostToolUse"].append(copy.deepcopy(data["hooks"]["PostToolUse"][-1]))  # a duplicate
    path.write_text(json.dumps(data))
    assert run_tier1(project, "install-hooks").returncode == 0
    groups = json.loads(path.read_text())["hooks"]["PostToolUse"]
    commands = [h["command"] for g in groups for h in g["hooks"]]
    assert sum(c.endswith("tier1 hook") for c in commands) == 1
    assert commands.count("notify-send hi") == 2
    assert run_tier1(project, "install-hooks", "--uninstall").returncode == 0
    groups = json.loads(path.read_text())["hooks"]["PostToolUse"]
    assert [h["command"] for g in groups for h in g["hooks"]] == ["notify-send hi", "notify-send hi"]


def test_user_install_and_own_command_file_kept(project, tmp_path):
    home = tmp_path / "home"
    (home / ".claude" / "commands").mkdir(parents=True)
    own = home / ".claude" / "commands" / "production-check.md"
    own.write_text("my own command\n")
    env = {**os.environ, "HOME": str(home)}
    result = run_tier1(project, "install-hooks", "--user", env=env)
    assert result.returncode == 0, result.stderr
    assert "kept your own" in result.stdout and own.read_text() == "my own command\n"
    assert "PostToolUse" in json.loads((home / ".claude" / "settings.json").read_text())["hooks"]
    assert not (project / ".claude").exists()
    assert run_tier1(project, "install-hooks", "--user", "--uninstall", env=env).returncode == 0
    assert own.exists()


def test_invalid_settings_are_left_alone(project):
    path = project / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text("{not json")
    result = run_tier1(project, "install-hooks")
    assert result.returncode == 1 and "not valid JSON" in result.stderr
    assert path.read_text() == "{not json"
