"""The protocol parts of `tier1 hook`: parsing, merging answers, third-party handlers, blocking."""

from __future__ import annotations

import pytest

from tier1_plugin.claude_hook import (
    MAX_OUTPUT_CHARS, HookInputError, build_context, dispatch, merge_answers, parse_payload,
)
from tier1_plugin.config import load_config
from tier1_plugin.plugins import CallOutcome


def test_parse_payload_reports_what_is_wrong():
    assert parse_payload(b'{"hook_event_name": "PostToolUse"}') == {"hook_event_name": "PostToolUse"}
    for data, message in ((b"", "empty"), (b"{", "not JSON"), (b"[]", "JSON list"),
                          (b'{"x": 1}', "hook_event_name"),
                          (b'{"hook_event_name": "PostToolUse", "cwd": 3}', "'cwd' is a int")):
        with pytest.raises(HookInputError, match=message):
            parse_payload(data)


def test_answers_are_merged_into_one_object():
    answers = [("a", {"additionalContext": "first", "systemMessage": "to you"}),
               ("b", {"additionalContext": "second"})]
    merged = merge_answers("PostToolUseFailure", answers)
    assert merged == {"hookSpecificOutput": {"hookEventName": "PostToolUseFailure",
                                             "additionalContext": "first\n\nsecond"},
                      "systemMessage": "to you"}
    # task events take no additionalContext: the text goes to the user instead
    assert merge_answers("TaskCompleted", [("a", {"additionalContext": "done"})]) == {"systemMessage": "done"}
    assert merge_answers("PostToolUse", [("a", {"other": 1})]) is None
    long = merge_answers("PostToolUse", [("a", {"additionalContext": "line\n" * 5000})])
    assert len(long["hookSpecificOutput"]["additionalContext"]) <= MAX_OUTPUT_CHARS


def test_dispatch_isolates_handlers(project):
    context = build_context({"hook_event_name": "PostToolUseFailure", "session_id": "s",
                             "tool_name": "Bash"}, load_config())
    assert context.failed and context.event_name == "PostToolUseFailure"
    assert context.root == project

    def call_each(hook_name, **kwargs):
        assert hook_name == "tier1_post_tool_use" and kwargs["context"] is context
        return [CallOutcome("boom", error=RuntimeError("broken")), CallOutcome("odd", result=[1]),
                CallOutcome("good", result={"additionalContext": "ok"}), CallOutcome("quiet")]

    answers, problems = dispatch({}, context, call_each)
    assert answers == [("good", {"additionalContext": "ok"})]
    assert problems == ["handler 'boom' failed: RuntimeError: broken",
                        "handler 'odd' returned a list, expected a dict or None"]


PLUGIN = '''
from tier1_plugin import hookimpl

@hookimpl
def tier1_pre_tool_use(payload, context):
    if "rm -rf" in (payload.get("tool_input") or {}).get("command", ""):
        return {"block": "rm -rf is not allowed here", "additionalContext": "blocked by policy"}
    return {"additionalContext": f"pre-check ok for {context.tool_name} in {context.root.name}"}
'''


@pytest.fixture
def policy_plugin(hook, tmp_path):
    site = tmp_path / "site"
    (site / "tier1_policy-1.0.dist-info").mkdir(parents=True)
    (site / "tier1_policy.py").write_text(PLUGIN)
    (site / "tier1_policy-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tier1-policy\nVersion: 1.0\n")
    (site / "tier1_policy-1.0.dist-info" / "entry_points.txt").write_text("[tier1]\npolicy = tier1_policy\n")
    hook.env = {**hook.env, "PYTHONPATH": str(site), "TIER1_LOAD_ENTRYPOINTS": "1"}
    return hook


def test_a_third_party_pre_tool_use_handler_answers(policy_plugin):
    answer = policy_plugin.run(policy_plugin.payload("PreToolUse", "Bash", tool_input={"command": "ls"}))
    answer.assert_clean_exit()
    assert answer.context == "pre-check ok for Bash in project"
    assert answer.json["hookSpecificOutput"]["hookEventName"] == "PreToolUse"


def test_blocking_needs_config_consent(policy_plugin):
    payload = policy_plugin.payload("PreToolUse", "Bash", tool_input={"command": "rm -rf /"})
    refused = policy_plugin.run(payload)
    refused.assert_clean_exit()  # not allowed by config: exit 0, the context still reaches Claude
    assert refused.context == "blocked by policy"
    (policy_plugin.project / "tier1.yaml").write_text("action_items:\n  block_allowed: true\n")
    blocked = policy_plugin.run(payload)
    assert blocked.returncode == 2
    assert "rm -rf is not allowed here" in blocked.stderr and blocked.stdout == ""
    assert len(blocked.stderr.strip().splitlines()) == 1
