"""Fallback tier ``systemd``: run ``fallback.systemd.command``; exit status 0 is success.

The command is a list (never a shell string) with placeholders: ``{task}``, ``{run_id}`` (the
recovery's idempotency key) and ``{params_file}`` (the params as JSON in a temporary file only
this user can read, deleted when the command ends).  The default is the seed's
``["systemctl", "start", "tier1-task@{task}"]``: ``systemctl start`` of a ``Type=oneshot`` unit
waits until the task finished, so the exit status is the task's.  The shipped unit
``tier1_plugin/hooks/systemd/tier1-task@.service`` runs ``tier1 run-task``; to pass the params
use e.g. ``["systemd-run", "--wait", "--collect", "tier1", "run-task", "{task}",
"--params-file", "{params_file}", "--idempotency-key", "{run_id}"]``.

Exit status 1 means the task ran and failed (``tier1 run-task``, and ``systemctl start`` of a
oneshot unit whose command failed): the tier works, so the circuit breaker stays closed.  Any
other failure (command not found, unit not found, timeout) counts against the tier.
"""

from __future__ import annotations

from tier1_plugin import hookimpl


@hookimpl
def tier1_register_fallback_tiers(register, config):
    register("systemd", run, timeout_s=30, description="run fallback.systemd.command (tier1 run-task)")


def expand(command: list[str], values: dict[str, str]) -> list[str]:
    """Fill the placeholders; a literal ``{`` that is not a placeholder is left alone."""
    expanded = []
    for part in command:
        for name, value in values.items():
            part = part.replace("{" + name + "}", value)
        expanded.append(part)
    return expanded


def run(request):
    import json
    import os
    import signal
    import subprocess
    import tempfile

    from tier1_plugin.hooks.fallback import TierOutcome

    section = (request.config.get("fallback", {}) or {}).get("systemd") or {}
    command = section.get("command") or ["systemctl", "start", "tier1-task@{task}"]
    descriptor, params_file = tempfile.mkstemp(prefix="tier1-params-", suffix=".json")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(request.params, handle)
        argv = expand(command, {"task": request.task, "run_id": request.idempotency_key,
                                "params_file": params_file})
        root = getattr(request.config, "root", None)
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, start_new_session=True,
                                       cwd=str(root) if root else None)
        except OSError as exc:
            return TierOutcome(False, error=f"cannot run {argv[0]!r}: {exc.strerror or exc}")
        try:
            stdout, stderr = process.communicate(timeout=max(0.01, request.remaining()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return TierOutcome(False, error=f"{argv[0]} did not finish within the budget (killed)")
        if process.returncode != 0:
            tail = (stderr or stdout or "").strip().splitlines()[-1:] or [""]
            # exit 1: `tier1 run-task` ran the task and it failed, and `systemctl start` of a
            # oneshot unit whose task failed says the same; other codes mean the runner itself
            # could not start (unit not found, no permission), which opens the circuit breaker
            return TierOutcome(False, error=f"{argv[0]} exited {process.returncode}: {tail[0][:200]}",
                               task_failed=process.returncode == 1)
        return TierOutcome(True, result=_result_of(stdout))
    finally:
        try:
            os.unlink(params_file)
        except OSError:
            pass


def _result_of(stdout: str):
    """``tier1 run-task`` prints its outcome as JSON on the last line; other commands: text."""
    import json

    lines = [line for line in (stdout or "").strip().splitlines() if line.strip()]
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except ValueError:
        return lines[-1][:200]
    return value.get("result", value) if isinstance(value, dict) else value
