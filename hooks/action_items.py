"""Action items: notice finished work in Claude Code tool calls and complete the matching todo.

A built-in plugin (``tier1_post_tool_use``).  For each ``PostToolUse`` /
``PostToolUseFailure`` of a tool listed in ``action_items.tools`` it

1. detects evidence (:mod:`tier1_plugin.hooks.detector`), using the tool's structure where it
   has one (``gitOperation.commit``, ``Write``'s ``type: create``), the Bash command, and the
   output text; a failed call is never a completion;
2. completes (confidence >= ``thresholds.complete``) or marks for review (>= ``review``) the
   open todo that fits (:mod:`tier1_plugin.hooks.todos`);
3. stores one event: ``action_item_completed``, ``action_item_pending_review`` or
   ``no_action_taken``, correlated by the Claude Code session id;
4. tells Claude (``additionalContext``) and the user (``systemMessage``) what it changed.

Calls of Claude's own todo tools (``TodoWrite``, ``TaskCreate``, ``TaskUpdate``) and the task
events (``TaskCreated``, ``TaskCompleted``) teach it the todo list instead.
"""

from __future__ import annotations

import re
import sys

from tier1_plugin.markers import hookimpl

TODO_TOOLS = ("TodoWrite", "TaskCreate", "TaskUpdate")
TASK_EVENTS = ("TaskCreated", "TaskCompleted")


@hookimpl
def tier1_post_tool_use(payload, context):
    if context.event_name in TASK_EVENTS:
        learn_task_event(payload, context)
        return None
    tool = context.tool_name or ""
    if tool in TODO_TOOLS:
        if not context.failed:
            learn_todo_tool(tool, payload, context)
        return None
    section = context.config.get("action_items") or {}
    if not _listed(tool, section.get("tools") or ()):
        return None
    return process_tool_call(payload, context, section)


# -- learning the todo list ---------------------------------------------------------------

def _store(context):
    from tier1_plugin.hooks.todos import TodoStore

    return TodoStore(context.hub)


def learn_todo_tool(tool: str, payload: dict, context) -> None:
    tool_input = _dict(payload.get("tool_input"))
    response = payload.get("tool_response")
    store = _store(context)
    if tool == "TodoWrite":
        todos = tool_input.get("todos")
        if not isinstance(todos, list) and isinstance(response, dict):
            todos = response.get("newTodos")
        if isinstance(todos, list):
            store.sync_todowrite(context.session_id, todos)
    elif tool == "TaskCreate":
        task = _dict(_dict(response).get("task"))
        task_id = task.get("id") or _dict(response).get("taskId") or _dict(response).get("id")
        store.upsert_task(context.session_id, task_id,
                          subject=task.get("subject") or tool_input.get("subject"),
                          active_form=_str(tool_input.get("activeForm")), status="pending",
                          by="claude:TaskCreate")
    elif tool == "TaskUpdate":
        store.upsert_task(context.session_id, tool_input.get("taskId"),
                          subject=_str(tool_input.get("subject")),
                          status=_str(tool_input.get("status")),
                          active_form=_str(tool_input.get("activeForm")), by="claude:TaskUpdate")


def learn_task_event(payload: dict, context) -> None:
    status = "completed" if context.event_name == "TaskCompleted" else None
    _store(context).upsert_task(context.session_id, payload.get("task_id"),
                                subject=_str(payload.get("task_subject")), status=status,
                                by=f"claude:{context.event_name}")


# -- detecting and updating ---------------------------------------------------------------

def detector_for(config):
    from tier1_plugin.hooks.detector import KeywordDetector

    return KeywordDetector.from_config(config)


def process_tool_call(payload: dict, context, section: dict):
    detector = detector_for(context.config)
    detection, command = detect_tool_call(detector, payload, context)
    from tier1_plugin.hooks.todos import TodoUpdater, UpdateResult

    result = UpdateResult(False, None, None, None, detection.explanation[-1] if detection.explanation else "")
    if detection.keyword_found:
        try:
            updater = TodoUpdater.from_config(_store(context), context.config, detector)
            for candidate in (detection, *detection.others):
                result = updater.update_todo_from_detection(candidate, context.session_id,
                                                            command=command, tool_name=context.tool_name)
                if result.todo_id is not None:  # a todo fits this evidence: stop here
                    if candidate is not detection:
                        detection = _promoted(candidate, detection)
                    break
        except Exception as exc:  # noqa: BLE001 - the event is still logged
            result.message = f"todo store unavailable: {type(exc).__name__}: {exc}"
            print(f"tier1: action items: {result.message}", file=sys.stderr)
    log_event(context, detection, result, command)
    return answer(context, detection, result, section)


def _promoted(candidate, primary):
    """Evidence of another category in the same call that fitted a todo: it becomes the one."""
    candidate.explanation = [*primary.explanation,
                             f"no todo fits {primary.category}; {candidate.category} evidence does"]
    return candidate


def detect_tool_call(detector, payload: dict, context):
    """``(DetectionResult, command)`` for one tool call, whatever shape its fields have."""
    from tier1_plugin.hooks.detector import DetectionResult

    tool = context.tool_name or ""
    tool_input = _dict(payload.get("tool_input"))
    response = payload.get("tool_response")
    command = _str(tool_input.get("command")) if tool == "Bash" else None
    if context.failed:
        return detector.detect(_str(payload.get("error")) or "", command, tool, failed=True), command
    if tool == "Bash" and isinstance(response, dict):
        git = _dict(response.get("gitOperation"))
        commit = _dict(git.get("commit"))
        if commit.get("sha") and "commit-related" in detector.categories:
            line = f"[{commit.get('branch') or '?'} {str(commit['sha'])[:12]}] ({commit.get('kind') or 'committed'})"
            return DetectionResult(
                True, detector.categories["commit-related"].confidence, "commit-related",
                f"gitOperation.commit {line}", detected_keyword=line,
                explanation=["Claude Code reported gitOperation.commit: a commit was made"]), command
        if git.get("push") and not commit and "pushed" in detector.categories:
            return DetectionResult(
                True, detector.categories["pushed"].confidence, "pushed", "gitOperation.push",
                detected_keyword="gitOperation.push",
                explanation=["Claude Code reported gitOperation.push"]), command
    if tool == "Write":
        response = _dict(response)
        path = _str(response.get("filePath")) or _str(tool_input.get("file_path")) or "?"
        if response.get("type") == "create" and "file-created" in detector.categories:
            return DetectionResult(
                True, detector.categories["file-created"].confidence, "file-created",
                f"Write created {path}"[:200], detected_keyword=f"created {path}",
                explanation=["Write reported type=create: a new file"]), command
        return DetectionResult(False, 0, None, f"Write updated {path}"[:200],
                               explanation=["Write updated an existing file: work in progress"]), command
    if tool in ("Edit", "MultiEdit", "NotebookEdit"):
        return DetectionResult(False, 0, None, "", explanation=[
            f"{tool} changes a file: work in progress, not evidence that an item is done"]), command
    return detector.detect(response_text(response), command, tool), command


def response_text(response) -> str:
    """The text of a tool response: Bash's stdout/stderr, an MCP string or list of blocks."""
    if response is None:
        return ""
    if isinstance(response, str):
        return response
    if isinstance(response, list):
        parts = []
        for block in response:
            if isinstance(block, dict):
                text = block.get("text")
                parts.append(text if isinstance(text, str) else "")
            elif isinstance(block, str):
                parts.append(block)
        return "\n".join(p for p in parts if p)
    if isinstance(response, dict):
        if "stdout" in response or "stderr" in response:
            return "\n".join(t for t in (_str(response.get("stdout")), _str(response.get("stderr"))) if t)
        if "content" in response and isinstance(response["content"], (list, str)):
            return response_text(response["content"])
        import json

        return json.dumps(response, ensure_ascii=False, default=str)
    return str(response)


def log_event(context, detection, result, command) -> None:
    from tier1_plugin.models import AutomationEvent

    if result.action == "completed":
        event_type, status = "action_item_completed", "success"
    elif result.action == "pending_review":
        event_type, status = "action_item_pending_review", "pending_review"
    else:
        event_type, status = "no_action_taken", "skipped"
    evidence = {
        "tool_name": context.tool_name,
        "detected_keyword": detection.detected_keyword,
        "keyword_category": detection.category,
        "confidence": detection.confidence,
        "context_snippet": detection.context_snippet,
        "todo_id": result.todo_id,
        "old_status": result.old_status,
        "new_status": result.new_status,
    }
    metadata = {
        "hook_event": context.event_name,
        "tool_use_id": context.tool_use_id,
        "reason": result.message,
        "match": result.match_reason,
        "failed": bool(detection.failed),
    }
    if command:
        metadata["command"] = command
    if result.todo is not None:
        metadata["todo"] = result.todo.content
    context.store_event(AutomationEvent(
        event_type=event_type, status=status, evidence=evidence, metadata=metadata,
        detected_from=f"claude_code:{context.event_name}:{context.tool_name}"))


def answer(context, detection, result, section):
    if not result.success or result.todo is None:
        return None
    todo = result.todo
    evidence = f"{detection.category} evidence `{_short(detection.detected_keyword)}`"
    if result.action == "completed":
        follow_up = {
            "todowrite": "Mark it completed in your todo list (TodoWrite) as well.",
            "task": f"Mark task {todo.external_id} completed with TaskUpdate as well.",
        }.get(todo.source, "`tier1 todos` shows the list.")
        return {
            "additionalContext": (f'Tier 1 completed todo #{todo.id} "{todo.content}" from this '
                                  f"{context.tool_name} call: {evidence}, confidence "
                                  f"{detection.confidence}%. {follow_up} If it is not done, "
                                  f"run `tier1 todos reopen {todo.id}`."),
            "systemMessage": (f'Tier 1: completed todo #{todo.id} "{todo.content}" '
                              f"({detection.category}, confidence {detection.confidence}%)"),
        }
    threshold = ((section.get("thresholds") or {}).get("complete", 80))
    return {"additionalContext": (
        f'Tier 1 marked todo #{todo.id} "{todo.content}" for review: {evidence}, confidence '
        f"{detection.confidence}% (below {threshold}). If it is done, run `tier1 todos done {todo.id}`.")}


def _listed(tool: str, patterns) -> bool:
    for pattern in patterns:
        try:
            if re.fullmatch(str(pattern), tool):
                return True
        except re.error:
            continue  # validated at config load; a plugin-made config may still be odd
    return False


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


def _short(text, limit=100) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
