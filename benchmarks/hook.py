"""How long Claude Code waits for `tier1 hook`, as a multiple of a bare Python start.

Claude Code starts `tier1 hook` as a new process on every tool call, so the whole process is
timed: interpreter start, imports, config (cached JSON), plugin discovery (cached entry
points; entry points are honoured), detection, todo matching and the event write to SQLite.
The baseline is `python -c pass` from the same interpreter, measured in the same run,
interleaved with the hook runs so machine load hits both alike.

    .venv/bin/python benchmarks/hook.py [--runs 21]

Goal: PostToolUse Bash and PreToolUse medians <= 4x the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTEST_OUTPUT = ("============================= test session starts ==============================\n"
                 "collected 14 items\n\ntests/test_auth.py ..............                     [100%]\n\n"
                 "============================== 14 passed in 0.41s ==============================\n")


def tier1_command() -> list[str]:
    script = Path(sys.executable).with_name("tier1")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tier1_plugin"]


def timed(command: list[str], stdin: bytes, env: dict, cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command} exited {result.returncode}: {result.stderr.decode()[:300]}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch, "project")
        (project / ".git").mkdir(parents=True)
        env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project),
               "XDG_CACHE_HOME": str(Path(scratch, "cache"))}
        env.pop("TIER1_LOAD_ENTRYPOINTS", None)  # entry points honoured, as installed
        # an installed wheel has its bytecode compiled; a checkout run with
        # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every start
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(scratch, "pycache"))
        env.pop("TIER1_CONFIG", None)
        hook = [*tier1_command(), "hook"]
        subprocess.run([*tier1_command(), "todos", "add", "--start", "Deploy to staging"], cwd=project,
                       env=env, check=True, capture_output=True)
        base = {"session_id": "bench", "transcript_path": "/dev/null", "cwd": str(project),
                "permission_mode": "default", "tool_name": "Bash"}
        post = json.dumps({**base, "hook_event_name": "PostToolUse", "tool_use_id": "toolu_1",
                           "tool_input": {"command": "python -m pytest"},
                           "tool_response": {"stdout": PYTEST_OUTPUT, "stderr": "", "interrupted": False},
                           "duration_ms": 900}).encode()
        pre = json.dumps({**base, "hook_event_name": "PreToolUse", "tool_use_id": "toolu_2",
                          "tool_input": {"command": "python -m pytest"}}).encode()
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], b""),
            "tier1 hook PostToolUse Bash": (hook, post),
            "tier1 hook PreToolUse Bash": (hook, pre),
        }
        for command, stdin in cases.values():  # warm: database, config and entry-point caches
            timed(command, stdin, env, project)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (command, stdin) in cases.items():
                times[name].append(timed(command, stdin, env, project))
        stored = subprocess.run([*tier1_command(), "events", "--json", "--limit", "10000"], cwd=project,
                                env=env, capture_output=True, check=True).stdout
        events = len(json.loads(stored))
    baseline = statistics.median(times["python -c pass"])
    print(f"{'case':<30} {'median ms':>10} {'ratio':>7}   (runs: {args.runs}, Python {sys.version.split()[0]})")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<30} {median * 1000:>10.1f} {median / baseline:>6.2f}x")
    print(f"events stored by the PostToolUse runs: {events} (expected {args.runs + 1})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
