"""Time to recovery of the n8n fallback chain, per Celery outage, against the seed's budgets.

    python benchmarks/fallback.py [--samples 3]

Needs Redis on 127.0.0.1:6379 (databases 13 and 14; only keys this script creates are deleted).
Each sample is a fresh process, as the Claude Code hook is: it loads the config and runs
``CeleryFallbackRouter.recover`` for one workflow, timing from the call (the failure being seen)
to the chain's answer, imports of Celery included.  Tier 2 is a real ``tier1 task-api``
subprocess, tier 3 a real ``tier1 run-task``; the task is the test suite's counting app
(tests/support/n8n_celery_app.py).

Outages: the broker port refuses; the broker accepts and never answers; the queue has no
worker; the task API is down as well (tier 3 does the work).  "cold" samples start with a
closed circuit breaker, "breaker open" samples with Celery's circuit open from the previous
failure.  The baseline is the API tier alone (no Celery in the chain), measured the same way in
the same run; ratios are against it.  Goals (issue 6): broker refused or hung -> recovered
through the API tier within 1.2 s, within 0.2 s once the breaker is open.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

# Running a script puts its folder first on sys.path, where benchmarks/secrets.py would shadow
# the standard library's `secrets` (redis-py imports it): take the folder off again.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
REDIS = os.environ.get("TIER1_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
BUDGETS = {"celery": 1, "api": 5, "systemd": 30}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HungPeer:
    """Accepts connections, never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self):
        self.stop.set()
        for conn in self.held:
            conn.close()
        self.sock.close()


def write_config(project: Path, *, broker: str, backend: str, queue: str, api_url: str, tiers: list[str]):
    import yaml

    config = {
        "n8n": {"workflows": {"video-assembly": {"task": "process_video", "params": {"video_id": "bench"}}}},
        "fallback": {
            "tiers": tiers,
            "celery": {"broker_url": broker, "result_backend": backend, "timeout_s": BUDGETS["celery"],
                       "queue": queue, "app": "support.n8n_celery_app:app"},
            "api": {"url": api_url, "timeout_s": BUDGETS["api"]},
            "systemd": {"command": [sys.executable, "-m", "tier1_plugin", "run-task", "{task}",
                                    "--params-file", "{params_file}", "--idempotency-key", "{run_id}"],
                        "timeout_s": BUDGETS["systemd"]},
            "breaker": {"failures": 1, "reset_s": 300},
        },
    }
    (project / "tier1.yaml").write_text(yaml.safe_dump(config))


SAMPLE = r"""
import json, sys, time
from tier1_plugin.config import load_config
from tier1_plugin.hub import AutomationHub
config = load_config()
hub = AutomationHub(config=config)
from tier1_plugin.hooks.fallback import CeleryFallbackRouter
router = CeleryFallbackRouter(config, hub)
started = time.perf_counter()
result = router.recover("video-assembly")
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "method": result.recovery_method, "key": result.idempotency_key,
                  "attempts": [[a.tier, a.success, a.skipped, a.duration_s] for a in result.attempts]}))
"""


def sample(project: Path, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", SAMPLE], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reset_breaker(project: Path):
    import sqlite3

    path = project / ".tier1" / "events.db"
    if path.exists():
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM fallback_breaker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    try:
        import redis
    except ImportError:
        print("benchmarks/fallback.py needs the celery extra (redis, celery)", file=sys.stderr)
        return 2
    client = redis.Redis.from_url(f"{REDIS}/13", socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        print(f"Redis is not reachable at {REDIS}", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="tier1-bench-fallback-"))
    project = work / "project"
    project.mkdir()
    (project / ".git").mkdir()
    runs_file = work / "runs.jsonl"
    queue = f"tier1-bench-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
               TIER1_TEST_RUNS_FILE=str(runs_file), TIER1_TEST_QUEUE=queue,
               TIER1_TEST_BROKER=f"{REDIS}/13", TIER1_TEST_BACKEND=f"{REDIS}/14",
               XDG_CACHE_HOME=str(work / "cache"), TIER1_LOAD_ENTRYPOINTS="0")
    env.pop("TIER1_CONFIG", None)
    env.pop("TIER1_DATABASE_URL", None)
    dead = f"redis://127.0.0.1:{free_port()}"
    hung = HungPeer()
    good = {"broker": f"{REDIS}/13", "backend": f"{REDIS}/14"}
    write_config(project, broker=good["broker"], backend=good["backend"], queue=queue,
                 api_url="http://127.0.0.1:1/tasks/{task}", tiers=["api"])
    api = subprocess.Popen([sys.executable, "-m", "tier1_plugin", "task-api", "--port", "0"], cwd=project,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           start_new_session=True)
    line = api.stdout.readline()
    api_url = line.split("listening on ", 1)[1].split()[0].replace("{name}", "{task}")
    dead_api = f"http://127.0.0.1:{free_port()}/tasks/{{task}}"

    scenarios = [
        # name, broker, backend, queue, api url, tiers, breaker open?
        ("baseline: API tier alone", good["broker"], good["backend"], queue, api_url, ["api"], False),
        ("broker refused", f"{dead}/13", good["backend"], queue, api_url, ["celery", "api", "systemd"], False),
        ("broker refused, breaker open", f"{dead}/13", good["backend"], queue, api_url, ["celery", "api", "systemd"], True),
        ("broker hung", f"redis://127.0.0.1:{hung.port}/13", good["backend"], queue, api_url, ["celery", "api", "systemd"], False),
        ("broker hung, breaker open", f"redis://127.0.0.1:{hung.port}/13", good["backend"], queue, api_url, ["celery", "api", "systemd"], True),
        ("result backend down", good["broker"], f"{dead}/14", queue, api_url, ["celery", "api", "systemd"], False),
        ("no worker", good["broker"], good["backend"], queue, api_url, ["celery", "api", "systemd"], False),
        ("API down too (tier 3)", f"{dead}/13", good["backend"], queue, dead_api, ["celery", "api", "systemd"], False),
    ]
    rows = []
    try:
        for name, broker, backend, q, url, tiers, breaker_open in scenarios:
            write_config(project, broker=broker, backend=backend, queue=q, api_url=url, tiers=tiers)
            times, methods = [], set()
            for _ in range(args.samples):
                reset_breaker(project)
                if breaker_open:
                    sample(project, env)  # this failure opens Celery's circuit
                result = sample(project, env)
                times.append(result["seconds"])
                methods.add(result["method"])
            rows.append((name, statistics.median(times), max(times), ",".join(sorted(m or "none" for m in methods))))
    finally:
        os.killpg(api.pid, signal.SIGTERM)
        api.wait(10)
        hung.close()
        cleanup(queue, runs_file)
        import shutil

        shutil.rmtree(work, ignore_errors=True)

    baseline = rows[0][1]
    print(f"n8n fallback: time to recovery, {args.samples} fresh-process samples per row "
          f"(budgets: celery {BUDGETS['celery']} s + api {BUDGETS['api']} s + systemd {BUDGETS['systemd']} s)")
    print(f"{'scenario':32} {'median s':>9} {'max s':>7} {'x baseline':>10}  recovered via")
    for name, median, worst, method in rows:
        print(f"{name:32} {median:9.3f} {worst:7.3f} {median / baseline:10.1f}  {method}")
    goals = {"broker refused": 1.2, "broker hung": 1.2, "broker refused, breaker open": 0.2,
             "broker hung, breaker open": 0.2}
    failed = [name for name, median, worst, method in rows if name in goals and
              (worst > goals[name] or method != "api_fallback")]
    for name, limit in goals.items():
        row = next(r for r in rows if r[0] == name)
        print(f"goal {name}: <= {limit} s via api_fallback -> max {row[2]:.3f} s via {row[3]}: "
              f"{'met' if name not in failed else 'MISSED'}")
    return 1 if failed else 0


def cleanup(queue: str, runs_file: Path) -> None:
    """Delete what this run created in Redis: its queue, bindings and task results."""
    import redis

    broker = redis.Redis.from_url(f"{REDIS}/13")
    backend = redis.Redis.from_url(f"{REDIS}/14")
    for key in broker.scan_iter(match=f"*{queue}*"):
        broker.delete(key)
    for binding in broker.scan_iter(match="_kombu.binding.*"):
        for member in broker.sscan_iter(binding):
            if queue.encode() in member:
                broker.srem(binding, member)
    ids = set()
    if runs_file.exists():
        ids = {json.loads(line).get("id") for line in runs_file.read_text().splitlines() if line.strip()}
    for task_id in ids:
        backend.delete(f"celery-task-meta-{task_id}")


if __name__ == "__main__":
    raise SystemExit(main())
