"""The Claude Code hook protocol: read a payload, build a :class:`HookContext`, ask the
``tier1_pre_tool_use`` / ``tier1_post_tool_use`` handlers, merge their answers.

``tier1 hook`` (:mod:`tier1_plugin.commands.hook`) is the process Claude Code starts; this
module holds what plugins need to import (``HookContext``) and the pure parts of the
protocol, so they can be tested without a subprocess.  The facts relied on are listed, with
Claude Code versions, in ``docs/claude-code.md``.

Kept cheap to import: no pluggy, no YAML, no database driver.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

#: Claude Code caps hook output strings at 10,000 characters; longer text is cut by us, at a
#: line end, so Claude never sees a half-sentence from the middle.
MAX_OUTPUT_CHARS = 10_000

#: hook_event_name -> (hook to call, failed?)
EVENTS = {
    "PreToolUse": ("tier1_pre_tool_use", False),
    "PostToolUse": ("tier1_post_tool_use", False),
    "PostToolUseFailure": ("tier1_post_tool_use", True),
    "TaskCreated": ("tier1_post_tool_use", False),
    "TaskCompleted": ("tier1_post_tool_use", False),
}

#: The events whose answers may carry ``hookSpecificOutput.additionalContext``.
CONTEXT_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure")


class HookInputError(ValueError):
    """The payload on stdin is not what Claude Code sends; ``str()`` is one line."""


@dataclass
class HookContext:
    """What a ``tier1_pre_tool_use`` / ``tier1_post_tool_use`` handler gets besides the payload.

    ``event_name`` is Claude Code's ``hook_event_name``; ``failed`` is true for
    ``PostToolUseFailure``; ``root`` is the project root (from ``$CLAUDE_PROJECT_DIR``, else
    the payload's ``cwd``); ``hub`` is an :class:`tier1_plugin.AutomationHub` opened on first
    use with ``defer=True`` (events for PostgreSQL wait in the local outbox, so the hook never
    imports psycopg to store an event).
    """

    event_name: str
    failed: bool
    session_id: str | None
    tool_name: str | None
    tool_use_id: str | None
    config: object
    root: Path
    _hub: object = field(default=None, repr=False)
    #: events stored through :meth:`store_event` (the hook flushes the outbox when one is deferred)
    stored: list = field(default_factory=list, repr=False)

    @property
    def hub(self):
        if self._hub is None:
            from tier1_plugin.hub import AutomationHub

            self._hub = AutomationHub(config=self.config, defer=True)
        return self._hub

    def store_event(self, event):
        """Store ``event`` with the session id as its correlation id (unless it has one)."""
        if event.correlation_id is None:
            event.correlation_id = self.session_id
        event_id = self.hub.store_event(event)
        self.stored.append(event)
        return event_id

    def close(self) -> None:
        if self._hub is not None:
            self._hub.close()


def parse_payload(data: bytes | str) -> dict:
    """The payload as a dict, or :class:`HookInputError` saying what is wrong with it."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HookInputError(f"payload is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not data.strip():
        raise HookInputError("empty payload on stdin (expected one JSON object from Claude Code)")
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise HookInputError(f"payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise HookInputError(f"payload is a JSON {type(payload).__name__}, expected an object")
    event_name = payload.get("hook_event_name")
    if not isinstance(event_name, str) or not event_name:
        raise HookInputError("payload has no hook_event_name string")
    for key in ("session_id", "tool_name", "tool_use_id", "cwd"):
        if payload.get(key) is not None and not isinstance(payload[key], str):
            raise HookInputError(f"payload field {key!r} is a {type(payload[key]).__name__}, "
                                 "expected a string")
    return payload


def project_start(payload: dict) -> Path:
    """Where to look for the project: ``$CLAUDE_PROJECT_DIR``, else the payload's ``cwd``.

    The project dir comes first because Claude's ``cwd`` follows its ``cd`` commands, and a
    ``cd /tmp`` must not move the todo list and the audit trail to ``/tmp``.
    """
    for candidate in (os.environ.get("CLAUDE_PROJECT_DIR"), payload.get("cwd")):
        if candidate and os.path.isdir(candidate):
            return Path(candidate)
    return Path.cwd()


def build_context(payload: dict, config) -> HookContext:
    event_name = payload["hook_event_name"]
    _, failed = EVENTS.get(event_name, (None, False))
    return HookContext(
        event_name=event_name,
        failed=failed,
        session_id=payload.get("session_id"),
        tool_name=payload.get("tool_name"),
        tool_use_id=payload.get("tool_use_id"),
        config=config,
        root=Path(config.root),
    )


def dispatch(payload: dict, context: HookContext, call_each) -> tuple[list, list[str]]:
    """Call the handlers for the payload's event; returns ``(answers, problems)``.

    ``answers`` are ``(plugin, dict)`` pairs; ``problems`` one line per handler that raised or
    returned something that is not an answer.
    """
    hook_name, _ = EVENTS.get(context.event_name, (None, False))
    if hook_name is None:
        return [], []
    answers, problems = [], []
    for outcome in call_each(hook_name, payload=payload, context=context):
        if outcome.error is not None:
            problems.append(f"handler {outcome.plugin!r} failed: "
                            f"{type(outcome.error).__name__}: {outcome.error}")
        elif outcome.result is None:
            continue
        elif isinstance(outcome.result, dict):
            answers.append((outcome.plugin, outcome.result))
        else:
            problems.append(f"handler {outcome.plugin!r} returned a {type(outcome.result).__name__}, "
                            "expected a dict or None")
    return answers, problems


def merge_answers(event_name: str, answers: list) -> dict | None:
    """One JSON object for Claude Code from every handler's answer (``None``: print nothing).

    ``additionalContext`` texts are joined (blank line between) under ``hookSpecificOutput``;
    ``systemMessage`` texts are joined by newlines.  Both are cut to Claude Code's limit.
    """
    contexts = [_text(answer.get("additionalContext")) for _, answer in answers]
    messages = [_text(answer.get("systemMessage")) for _, answer in answers]
    contexts = [text for text in contexts if text]
    messages = [text for text in messages if text]
    output: dict = {}
    if contexts and event_name in CONTEXT_EVENTS:
        output["hookSpecificOutput"] = {"hookEventName": event_name,
                                        "additionalContext": cut("\n\n".join(contexts))}
    elif contexts:  # events without additionalContext: tell the user instead
        messages = contexts + messages
    if messages:
        output["systemMessage"] = cut("\n".join(messages))
    return output or None


def blocking_reason(answers: list, config) -> str | None:
    """A handler's ``block`` reason, honoured only when ``action_items.block_allowed`` is true."""
    if not (config.get("action_items") or {}).get("block_allowed"):
        return None
    for plugin, answer in answers:
        reason = answer.get("block")
        if reason:
            return f"{plugin}: {_text(reason) or 'blocked'}"
    return None


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def cut(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    if len(text) <= limit:
        return text
    marker = "\n[... cut by tier1: Claude Code accepts 10,000 characters]"
    keep = text[: limit - len(marker)]
    newline = keep.rfind("\n")
    if newline > limit // 2:
        keep = keep[:newline]
    return keep + marker
