"""The ``performance`` check: run the project's benchmark command; exit 0 passes.

Advisory by default (``production_check.advisory``): a slow benchmark warns, it does not
block.  With no benchmark (the command names a script that does not exist) the check passes
with confidence lowered to 60 and says so.  ``python`` as the command's program means the
interpreter running the gate, so the benchmark sees the same installed packages.
"""

from __future__ import annotations

import shlex
import subprocess
import sys

from tier1_plugin import CheckResult, hookimpl

DEFAULT_COMMAND = "python benchmarks.py"
DEFAULT_TIMEOUT_S = 120
NO_BENCHMARK_CONFIDENCE = 60
OUTPUT_TAIL = 10


def command_of(settings) -> list[str]:
    command = settings.get("command") or DEFAULT_COMMAND
    argv = shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def run(context) -> CheckResult:
    argv = command_of(context.config)
    timeout = float(context.config.get("timeout", DEFAULT_TIMEOUT_S))
    cwd = context.root / context.config.get("cwd", ".")
    command = context.config.get("command") or DEFAULT_COMMAND
    shown = command if isinstance(command, str) else shlex.join(str(arg) for arg in command)
    scripts = [arg for arg in argv[1:] if arg.endswith(".py") and not arg.startswith("-")]
    missing = [script for script in scripts if not (cwd / script).is_file()]
    if not argv or missing:
        return CheckResult(check_name="performance", passed=True, confidence=NO_BENCHMARK_CONFIDENCE,
                           details=f"no benchmark ({', '.join(missing) or 'no command'} not found); "
                                   "performance not measured",
                           evidence={"command": shown, "ran": False})
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return CheckResult(check_name="performance", passed=False,
                           details=f"`{shown}` timed out after {timeout:g}s",
                           evidence={"command": shown, "ran": True, "timeout": timeout})
    except OSError as exc:
        return CheckResult(check_name="performance", passed=False,
                           details=f"`{shown}` could not start: {exc}",
                           evidence={"command": shown, "ran": False, "error": str(exc)})
    tail = (done.stdout + done.stderr).strip().splitlines()[-OUTPUT_TAIL:]
    evidence = {"command": shown, "ran": True, "exit_code": done.returncode, "output_tail": tail}
    if done.returncode == 0:
        return CheckResult(check_name="performance", passed=True,
                           details=f"`{shown}` passed", evidence=evidence)
    return CheckResult(check_name="performance", passed=False,
                       details=f"`{shown}` exited with {done.returncode}", evidence=evidence)


@hookimpl
def tier1_register_checks(register, config):
    settings = (((config or {}).get("production_check") or {}).get("checks") or {}).get(
        "performance") or {}
    # the gate's own timeout must outlast the command's, which reports itself more precisely
    timeout = float(settings.get("timeout", DEFAULT_TIMEOUT_S)) + 10
    register(name="performance", run=run, advisory=True, timeout_s=timeout,
             description="the benchmark command exits 0 (advisory)")
