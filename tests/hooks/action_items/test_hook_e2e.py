"""`tier1 hook` as Claude Code runs it: a new process per payload, JSON in, JSON out."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.hook_runner import HookAnswer


def _by_content(todos, content):
    return next(t for t in todos if t["content"] == content)


def test_todowrite_then_commit_completes_the_in_progress_todo(hook, corpus):
    todos = [
        {"content": "Write the auth fix", "status": "completed", "activeForm": "Writing the auth fix"},
        {"content": "Commit the auth fix", "status": "in_progress", "activeForm": "Committing the auth fix"},
        {"content": "Deploy to staging", "status": "pending", "activeForm": "Deploying to staging"},
    ]
    hook.todo_write(todos).assert_clean_exit()
    sample = corpus.by_name("git-add-commit-error-message")
    answer = hook.bash(sample.command, sample.output)
    answer.assert_clean_exit()

    assert "Commit the auth fix" in answer.context
    assert "commit-related" in answer.context and "95%" in answer.context
    assert "TodoWrite" in answer.context  # tells Claude to tick its own list
    assert answer.json["hookSpecificOutput"]["hookEventName"] == "PostToolUse"
    assert "Commit the auth fix" in answer.json["systemMessage"]
    stored = hook.todos()
    assert _by_content(stored, "Commit the auth fix")["status"] == "completed"
    assert _by_content(stored, "Deploy to staging")["status"] == "pending"
    event = hook.events()[0]
    assert event["event_type"] == "action_item_completed" and event["status"] == "success"
    assert event["correlation_id"] == hook.session_id
    evidence = event["evidence"]
    assert evidence["tool_name"] == "Bash"
    assert evidence["keyword_category"] == "commit-related"
    assert evidence["confidence"] == 95
    assert evidence["todo_id"] == _by_content(stored, "Commit the auth fix")["id"]
    assert (evidence["old_status"], evidence["new_status"]) == ("in_progress", "completed")
    assert "Fix error handling" in evidence["detected_keyword"]
    assert evidence["context_snippet"]


def test_claude_repeating_its_old_list_does_not_undo_a_completion(hook, corpus):
    todos = [{"content": "Run the test suite", "status": "in_progress", "activeForm": "Running tests"}]
    hook.todo_write(todos)
    sample = corpus.by_name("pytest-pass")
    assert "Run the test suite" in hook.bash(sample.command, sample.output).context
    hook.todo_write(todos)  # Claude has not seen the news yet
    assert hook.todos()[0]["status"] == "completed"
    hook.todo_write([{**todos[0], "status": "pending"}])  # Claude changes it itself: Claude wins
    assert hook.todos()[0]["status"] == "pending"


def test_task_tools_then_green_tests_complete_the_task(hook, corpus):
    created = hook.run(hook.payload("PostToolUse", "TaskCreate",
                                    tool_input={"subject": "Run the test suite",
                                                "description": "pytest must pass",
                                                "activeForm": "Running the test suite"},
                                    tool_response={"task": {"id": "3", "subject": "Run the test suite"}}))
    created.assert_clean_exit()
    hook.run(hook.payload("PostToolUse", "TaskCreate",
                          tool_input={"subject": "Deploy to staging", "description": ""},
                          tool_response={"task": {"id": "4", "subject": "Deploy to staging"}}))
    hook.run(hook.payload("PostToolUse", "TaskUpdate", tool_input={"taskId": "3", "status": "in_progress"},
                          tool_response={"success": True, "taskId": "3", "updatedFields": ["status"],
                                         "statusChange": {"from": "pending", "to": "in_progress"}}))
    sample = corpus.by_name("pytest-pass-quiet")
    answer = hook.bash(sample.command, sample.output)
    answer.assert_clean_exit()
    assert "Run the test suite" in answer.context and "TaskUpdate" in answer.context
    assert "task 3" in answer.context
    stored = hook.todos()
    assert _by_content(stored, "Run the test suite")["status"] == "completed"
    assert _by_content(stored, "Deploy to staging")["status"] == "pending"


def test_task_events_are_learnt(hook):
    hook.run(hook.payload("TaskCreated", task_id="7", task_subject="Build the release binary")).assert_clean_exit()
    assert _by_content(hook.todos(), "Build the release binary")["status"] == "pending"
    hook.run(hook.payload("TaskCompleted", task_id="7", task_subject="Build the release binary")).assert_clean_exit()
    todo = _by_content(hook.todos(), "Build the release binary")
    assert todo["status"] == "completed" and todo["updated_by"] == "claude:TaskCompleted"


def test_todo_added_on_the_command_line_is_completed_without_claude_todo_tools(hook, corpus):
    added = hook.tier1("todos", "add", "Commit the auth fix")
    assert added.returncode == 0, added.stderr
    hook.tier1("todos", "add", "Deploy to staging")
    sample = corpus.by_name("git-add-commit-error-message")
    answer = hook.bash('git add auth.py && git commit -m "Fix the auth error handling"', sample.output)
    answer.assert_clean_exit()
    assert "Commit the auth fix" in answer.context
    stored = hook.todos()
    assert _by_content(stored, "Commit the auth fix")["status"] == "completed"
    assert _by_content(stored, "Deploy to staging")["status"] == "pending"
    listing = hook.tier1("todos", "--all")
    assert "completed" in listing.stdout and "Commit the auth fix" in listing.stdout


def test_failing_test_run_completes_nothing(hook, corpus):
    hook.todo_write([{"content": "Run the test suite", "status": "in_progress", "activeForm": "Testing"}])
    sample = corpus.by_name("pytest-fail")
    assert sample.failed
    answer = hook.bash(sample.command, sample.output, failed=True, exit_code=sample.exit_code)
    answer.assert_clean_exit()
    assert answer.json is None
    assert hook.todos()[0]["status"] == "in_progress"
    event = hook.events()[0]
    assert event["event_type"] == "no_action_taken" and event["status"] == "skipped"
    assert event["metadata"]["hook_event"] == "PostToolUseFailure"
    assert event["metadata"]["failed"] is True


def test_green_tests_do_not_complete_a_deploy_item(hook, corpus):
    hook.todo_write([{"content": "Deploy to staging", "status": "in_progress", "activeForm": "Deploying"}])
    sample = corpus.by_name("pytest-pass")
    answer = hook.bash(sample.command, sample.output)
    assert answer.json is None
    assert hook.todos()[0]["status"] == "in_progress"
    event = hook.events()[0]
    assert event["event_type"] == "no_action_taken"
    assert event["evidence"]["keyword_category"] == "test-success"
    assert "none fits" in event["metadata"]["reason"]


def test_read_only_prose_completes_nothing(hook, corpus):
    hook.todo_write([{"content": "Deploy to staging", "status": "in_progress", "activeForm": "Deploying"}])
    sample = corpus.by_name("cat-prose")
    answer = hook.bash(sample.command, sample.output)
    answer.assert_clean_exit()
    assert answer.json is None and hook.todos()[0]["status"] == "in_progress"


def test_git_operation_field_is_a_commit(hook):
    hook.tier1("todos", "add", "--start", "Commit the parser change")
    answer = hook.bash("git commit -q -m 'Parser'", "", gitOperation={
        "commit": {"sha": "4f2a9c1d0e", "kind": "committed", "branch": "main"}})
    assert "Commit the parser change" in answer.context
    assert hook.events()[0]["evidence"]["detected_keyword"].startswith("[main 4f2a9c1d0e]")


def test_write_create_completes_a_create_item(hook):
    hook.todo_write([{"content": "Create the ROLLBACK.md file", "status": "in_progress", "activeForm": "Writing"}])
    answer = hook.run(hook.payload("PostToolUse", "Write",
                                   tool_input={"file_path": str(hook.project / "ROLLBACK.md"), "content": "x"},
                                   tool_response={"type": "create", "filePath": str(hook.project / "ROLLBACK.md"),
                                                  "content": "x", "structuredPatch": []}))
    answer.assert_clean_exit()
    assert "ROLLBACK.md" in answer.context
    assert hook.todos()[0]["status"] == "completed"


def test_medium_confidence_marks_for_review(hook):
    hook.todo_write([{"content": "Run the test suite", "status": "in_progress", "activeForm": "Testing"}])
    # a test command that succeeded but printed no runner summary: 90 - 20 = 70
    answer = hook.bash("make test", "running the checks\n")
    answer.assert_clean_exit()
    assert "for review" in answer.context and "tier1 todos done" in answer.context
    assert hook.todos()[0]["status"] == "pending_review"
    event = hook.events()[0]
    assert (event["event_type"], event["status"]) == ("action_item_pending_review", "pending_review")


@pytest.mark.parametrize("response", [
    "Deployment successful: web is live on staging",
    [{"type": "text", "text": "Deploying web..."}, {"type": "text", "text": "Deployment successful"}],
    None,
], ids=["string", "blocks", "absent"])
def test_mcp_responses_of_every_shape(hook, response):
    (hook.project / "tier1.yaml").write_text("action_items:\n  tools: [Bash, Write, 'mcp__deploy__.*']\n")
    hook.todo_write([{"content": "Deploy to staging", "status": "in_progress", "activeForm": "Deploying"}])
    payload = hook.payload("PostToolUse", "mcp__deploy__release", tool_input={"env": "staging"})
    if response is not None:
        payload["tool_response"] = response
    answer = hook.run(payload)
    answer.assert_clean_exit()
    event = hook.events()[0]
    assert event["evidence"]["tool_name"] == "mcp__deploy__release"
    if response is None:
        assert answer.json is None and hook.todos()[0]["status"] == "in_progress"
        assert event["event_type"] == "no_action_taken"
    else:
        assert "Deploy to staging" in answer.context
        assert hook.todos()[0]["status"] == "completed"
        assert event["event_type"] == "action_item_completed"


def test_pre_tool_use_is_answered_quietly(hook):
    answer = hook.run(hook.payload("PreToolUse", "Bash", tool_input={"command": "git status"}))
    answer.assert_clean_exit()
    assert answer.json is None


def test_80_hook_processes_at_once_lose_no_event(hook, corpus):
    hook.tier1("todos", "add", "--start", "Run the test suite")
    sample = corpus.by_name("pytest-pass-quiet")
    payloads = [json.dumps(hook.payload("PostToolUse", "Bash",
                                        tool_input={"command": sample.command},
                                        tool_response={"stdout": sample.output, "stderr": "",
                                                       "interrupted": False})).encode()
                for _ in range(80)]
    with ThreadPoolExecutor(max_workers=80) as pool:
        answers = list(pool.map(hook.run_raw, payloads))
    for process in answers:
        assert process.returncode == 0, process.stderr
        assert b"Traceback" not in process.stderr
    events = hook.events()
    uses = {e["metadata"]["tool_use_id"] for e in events}
    assert len(events) == 80 and len(uses) == 80
    completed = [e for e in events if e["event_type"] == "action_item_completed"]
    assert len(completed) == 1  # exactly one process completed the todo; the rest found it done
    assert sum(1 for p in answers if b"Run the test suite" in p.stdout) == 1


MALFORMED = {
    "empty": b"",
    "whitespace": b"  \n",
    "not-json": b"this is not json",
    "truncated": b'{"session_id": "s", "hook_event_name": "PostToolUse", "tool_na',
    "array": b"[1, 2, 3]",
    "string": b'"PostToolUse"',
    "null": b"null",
    "not-utf8": b"\xff\xfe\x00{",
    "no-event-name": b'{"session_id": "s", "tool_name": "Bash"}',
    "event-name-number": b'{"hook_event_name": 7}',
    "session-id-list": b'{"hook_event_name": "PostToolUse", "session_id": [1], "tool_name": "Bash"}',
    "tool-name-object": b'{"hook_event_name": "PostToolUse", "tool_name": {"x": 1}}',
    "unknown-event": b'{"hook_event_name": "SomethingNew", "session_id": "s"}',
    "no-tool-input": b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash"}',
    "tool-input-string": b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash",'
                         b' "tool_input": "git commit", "tool_response": 42}',
    "command-number": b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash",'
                      b' "tool_input": {"command": 12}, "tool_response": {"stdout": ["x"]}}',
    "todos-not-list": b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "TodoWrite",'
                      b' "tool_input": {"todos": "all done"}}',
    "todo-items-odd": b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "TodoWrite",'
                      b' "tool_input": {"todos": [1, null, {"content": 5}, {"status": "done"}]}}',
    "task-update-unknown": b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "TaskUpdate",'
                           b' "tool_input": {"taskId": {"a": 1}, "status": 3}}',
    "failure-without-error": b'{"hook_event_name": "PostToolUseFailure", "session_id": "s", "tool_name": "Bash"}',
    "cwd-missing-folder": b'{"hook_event_name": "PostToolUse", "cwd": "/no/such/folder", "tool_name": "Bash",'
                          b' "tool_input": {"command": "make"}, "tool_response": {"stdout": ""}}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_exits_0_without_traceback(hook, name):
    answer = HookAnswer(hook.run_raw(MALFORMED[name]))
    answer.assert_clean_exit()


def test_huge_output_is_handled(hook, corpus):
    hook.tier1("todos", "add", "--start", "Run the test suite")
    sample = corpus.by_name("pytest-pass")
    noise = "collecting ... a line of noise that mentions error and failed\n" * 200_000  # ~12 MB
    answer = hook.bash(sample.command, noise + sample.output)
    answer.assert_clean_exit()
    assert "Run the test suite" in answer.context
    assert len(answer.stdout) < 10_500


def test_broken_config_is_one_line(hook):
    (hook.project / "tier1.yaml").write_text("action_items:\n  thresholds: {complete: 180}\n")
    answer = hook.bash("git commit -m x", "[main 1234567] x\n")
    answer.assert_clean_exit()
    assert "tier1.yaml" in answer.stderr and "180" in answer.stderr


def test_unopenable_database_is_one_line_and_the_event_waits_in_the_outbox(hook, corpus):
    (hook.project / ".tier1").mkdir()
    (hook.project / ".tier1" / "events.db").mkdir()  # a folder where the database file should be
    sample = corpus.by_name("git-commit-root")
    answer = hook.bash(sample.command, sample.output)
    answer.assert_clean_exit()
    assert "unable to open database file" in answer.stderr
    import sqlite3

    with sqlite3.connect(hook.project / ".tier1" / "outbox.db") as connection:
        payloads = [row[0] for row in connection.execute("SELECT payload FROM outbox")]
    assert len(payloads) == 1 and "no_action_taken" in payloads[0]


def test_a_raising_plugin_is_one_line_and_others_still_answer(hook, corpus, tmp_path):
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "tier1_broken_handler.py").write_text(
        "from tier1_plugin import hookimpl\n\n@hookimpl\ndef tier1_post_tool_use(payload, context):\n"
        "    raise RuntimeError('boom')\n")
    (package / "tier1_broken_handler-0.1.dist-info").mkdir()
    (package / "tier1_broken_handler-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tier1-broken-handler\nVersion: 0.1\n")
    (package / "tier1_broken_handler-0.1.dist-info" / "entry_points.txt").write_text(
        "[tier1]\nbroken = tier1_broken_handler\n")
    hook.env = {**hook.env, "PYTHONPATH": str(package), "TIER1_LOAD_ENTRYPOINTS": "1"}
    hook.tier1("todos", "add", "--start", "Commit the parser")
    sample = corpus.by_name("git-commit-root")
    answer = hook.bash('git commit -m "Parser"', sample.output)
    answer.assert_clean_exit()
    assert "Commit the parser" in answer.context
    assert "boom" in answer.stderr


def test_with_postgresql_the_todo_is_updated_and_the_event_delivered(hook, corpus, postgres_url):
    """PostgreSQL: todos live there; the hook's event waits in the outbox, then is delivered."""
    hook.env = {**hook.env, "TIER1_DATABASE_URL": postgres_url}
    upgraded = hook.tier1("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert hook.tier1("todos", "add", "--start", "Commit the auth fix").returncode == 0
    sample = corpus.by_name("git-commit-root")
    answer = hook.bash('git commit -m "Fix the auth module"', sample.output)
    answer.assert_clean_exit()
    assert "Commit the auth fix" in answer.context
    assert hook.todos()[0]["status"] == "completed"
    flushed = hook.tier1("db", "flush")
    assert flushed.returncode == 0, flushed.stderr
    events = hook.events()
    assert [e["event_type"] for e in events] == ["action_item_completed"]
    assert events[0]["correlation_id"] == hook.session_id


def test_commit_and_push_in_one_call_completes_the_push_item(hook, corpus):
    """The commit is the primary evidence; no todo fits it, so the push evidence is tried."""
    hook.todo_write([{"content": "Push the branch to origin", "status": "in_progress", "activeForm": "Pushing"}])
    sample = corpus.by_name("later-git-commit-and-push")
    answer = hook.bash(sample.command, sample.output)
    answer.assert_clean_exit()
    assert "Push the branch to origin" in answer.context and "pushed" in answer.context
    assert hook.todos()[0]["status"] == "completed"
    assert hook.events()[0]["evidence"]["keyword_category"] == "pushed"
