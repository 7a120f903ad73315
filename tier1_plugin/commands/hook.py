"""``tier1 hook``: the command Claude Code runs on every tool call.

One payload on stdin, at most one JSON object on stdout, exit code 0, and at most one line on
stderr when something went wrong (a malformed payload, a broken config, a plugin that failed
to load or raised, a locked database).  Claude Code shows a "hook error" notice for any other
exit code and blocks the tool call on 2, so nothing here may escape as an exception.

``cli.main`` calls :func:`main` directly (no argparse): this process is started for every tool
call Claude makes, so only the modules the payload needs are imported.
"""

from __future__ import annotations

import io
import sys

USAGE = "usage: tier1 hook < payload.json  (Claude Code runs it; see `tier1 install-hooks`)"


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if _interactive():  # run by hand without a payload: say how, do not wait on the terminal
        print(USAGE, file=sys.stderr)
        return 0
    real_stderr = sys.stderr
    captured = io.StringIO()
    problems: list[str] = []
    output = None
    exit_code = 0
    sys.stderr = captured  # plugins and the store print warnings; we report one line at most
    try:
        output, exit_code = _run(_read_stdin(), problems)
    except KeyboardInterrupt:
        problems.append("interrupted")
    except BaseException as exc:  # noqa: BLE001 - the hook must never break Claude's work
        problems.append(_describe(exc))
    finally:
        sys.stderr = real_stderr
    printed = [line.strip() for line in captured.getvalue().splitlines()
               if line.strip() and not line.startswith((" ", "\t"))]
    # what went wrong with this call first; a plugin that failed to load matters less
    problems += sorted(printed, key=lambda line: "failed to load" in line or "registered" in line)
    if output is not None:
        try:
            sys.stdout.write(output + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):
            problems.append("could not write the answer to stdout")
    if problems:
        _report(problems, real_stderr)
    return exit_code


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # stdin closed or replaced by text
        return (sys.stdin.read() if sys.stdin else "").encode("utf-8", "surrogateescape")
    return stream.read()


def _run(data: bytes, problems: list[str]) -> tuple[str | None, int]:
    import json

    from tier1_plugin.claude_hook import (
        EVENTS, HookInputError, blocking_reason, build_context, dispatch, merge_answers,
        parse_payload, project_start,
    )

    try:
        payload = parse_payload(data)
    except HookInputError as exc:
        problems.append(str(exc))
        return None, 0
    if payload["hook_event_name"] not in EVENTS:
        return None, 0  # registered for an event we do not handle: nothing to say
    from tier1_plugin.config import ConfigError, load_config

    try:
        config = load_config(start=project_start(payload))
    except ConfigError as exc:
        problems.append(f"config error: {exc}")
        return None, 0
    from tier1_plugin import plugins

    context = build_context(payload, config)
    try:
        answers, handler_problems = dispatch(payload, context, plugins.call_each)
        problems += handler_problems
    finally:
        _finish(context, problems)
    reason = blocking_reason(answers, config)
    if reason and context.event_name == "PreToolUse":
        problems.append(reason)
        return None, 2
    merged = merge_answers(context.event_name, answers)
    return (json.dumps(merged) if merged else None), 0


def _finish(context, problems: list[str]) -> None:
    """Close the store; start a background flush when an event waits for PostgreSQL."""
    try:
        hub = context._hub
        if hub is not None and hub.defer and context.stored:
            from tier1_plugin.hub import spawn_background_flush

            spawn_background_flush(context.root)
        context.close()
    except Exception as exc:  # noqa: BLE001
        problems.append(_describe(exc))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _report(problems: list[str], stream) -> None:
    line = problems[0]
    if len(problems) > 1:
        line += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    try:
        stream.write(f"tier1 hook: {line[:500]}\n")
        stream.flush()
    except (OSError, ValueError):
        pass
