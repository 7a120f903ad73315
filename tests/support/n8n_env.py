"""Real parts for the n8n fallback tests (fixtures re-exported by tests/hooks/n8n/conftest.py): Redis (DB 13 broker, DB 14 results), a Celery worker
subprocess, ``tier1 task-api`` subprocesses, the stand-in n8n, and a project whose tier1.yaml
wires them together.

One worker serves the module's queue (starting one costs seconds on a small machine); a test
that needs "no worker" sends to a queue nobody consumes, which is what a stopped worker looks
like to the sender.  Every run of a test task is a line in the runs file, keyed by its task id
(the recovery's idempotency key), so "no task ran twice" is a count.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from support.fake_n8n import FakeN8n
from support.n8n_celery_app import read_runs
from support.services import dead_port

TESTS_DIR = Path(__file__).resolve().parents[1]


@dataclass
class CeleryEnv:
    redis: str
    broker: str
    backend: str
    queue: str
    runs_file: Path
    log_dir: Path
    node_names: list = field(default_factory=list)

    def runs(self, key: str | None = None, event: str = "run") -> list[dict]:
        return [r for r in read_runs(self.runs_file)
                if r.get("event") == event and (key is None or r.get("id") == key)]


def _subprocess_env(extra: dict) -> dict:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def celery_env(redis_server, tmp_path_factory):
    """Environment for the test Celery app, set in this process (subprocesses inherit it)."""
    folder = tmp_path_factory.mktemp("celery")
    queue = f"tier1-test-{uuid.uuid4().hex[:10]}"
    env = CeleryEnv(redis=redis_server, broker=f"{redis_server}/13", backend=f"{redis_server}/14",
                    queue=queue, runs_file=folder / "runs.jsonl", log_dir=folder)
    values = {"TIER1_TEST_BROKER": env.broker, "TIER1_TEST_BACKEND": env.backend,
              "TIER1_TEST_QUEUE": queue, "TIER1_TEST_RUNS_FILE": str(env.runs_file),
              "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")]))}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in values.items():
            patch.setenv(key, value)
        yield env
    _clean_redis(env)


def _clean_redis(env: CeleryEnv) -> None:
    """Delete only what these tests created: their queues, bindings, results and pidbox entries."""
    import redis

    ids = {r.get("id") for r in read_runs(env.runs_file) if r.get("id")}
    broker = redis.Redis.from_url(env.broker)
    backend = redis.Redis.from_url(env.backend)
    try:
        for key in broker.scan_iter(match=f"*{env.queue}*"):
            broker.delete(key)
        for binding in broker.scan_iter(match="_kombu.binding.*"):
            for member in broker.sscan_iter(binding):
                if env.queue.encode() in member:
                    broker.srem(binding, member)
        # kombu's fanout-binding expiry for the workers' control queue: ours once no binding is left
        if not broker.exists("_kombu.binding.celery.pidbox"):
            broker.zrem("_kombu.binding_deadlines", "celery.pidbox")
        for task_id in ids:
            backend.delete(f"celery-task-meta-{task_id}")
    finally:
        broker.close()
        backend.close()


class Worker:
    """A real ``celery worker`` subprocess consuming one queue."""

    def __init__(self, env: CeleryEnv, queue: str, pool: str = "solo"):
        self.env, self.queue, self.pool = env, queue, pool
        self.name = f"{queue}-{uuid.uuid4().hex[:6]}@127.0.0.1"
        self.log = env.log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process = None

    def start(self, timeout_s: float = 60) -> "Worker":
        command = [sys.executable, "-m", "celery", "-A", "support.n8n_celery_app:app", "worker",
                   "-P", self.pool, "-c", "1", "-Q", self.queue, "-n", self.name, "--without-mingle",
                   "--without-gossip", "--without-heartbeat", "-l", "info"]
        handle = open(self.log, "wb")
        self.process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=_subprocess_env({}),
                                        cwd=str(TESTS_DIR), start_new_session=True)
        handle.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if " ready." in text:
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited {self.process.returncode}:\n{text[-3000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {timeout_s} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def celery_worker(celery_env):
    """A worker on the module's queue, running for the whole module."""
    worker = Worker(celery_env, celery_env.queue).start()
    yield worker
    worker.stop()


@pytest.fixture
def fake_n8n():
    with FakeN8n() as server:
        yield server


def base_config(fake: FakeN8n | None, env: CeleryEnv | None, **fallback) -> dict:
    """A project config wiring the stand-in n8n and the real services together."""
    workflows = {name: "process_video" for name in (
        "ok", "started", "missing", "auth-required", "auth-wrong", "broken", "no-answer",
        "nginx-504", "bad-gateway", "cloudflare-524", "empty", "slow", "mcp-failed", "echo-key")}
    workflows["video-assembly"] = {"task": "process_video", "webhook": "nginx-504",
                                   "params": {"video_id": "v-1"}}
    workflows["draft-generator"] = {"task": "generate_draft", "webhook": "broken"}
    config = {
        "n8n": {"base_url": fake.base_url if fake else "http://127.0.0.1:9",
                "execution_timeout_s": 1, "workflows": workflows},
        "fallback": {
            "tiers": ["celery", "api", "systemd"],
            "celery": {"broker_url": env.broker if env else "redis://127.0.0.1:9/13",
                       "result_backend": env.backend if env else "redis://127.0.0.1:9/14",
                       # generous: a loaded CI machine must not turn a working worker into an
                       # "outage"; tests that make the outage set the real 1 s budget
                       "timeout_s": 10, "queue": env.queue if env else "",
                       "app": "support.n8n_celery_app:app"},
            "api": {"url": f"http://127.0.0.1:{dead_port()}/tasks/{{task}}", "timeout_s": 5},
            "systemd": {"command": [sys.executable, "-m", "tier1_plugin", "run-task", "{task}",
                                    "--params-file", "{params_file}", "--idempotency-key", "{run_id}"],
                        "timeout_s": 30},
            "breaker": {"failures": 1, "reset_s": 60},
        },
    }
    for key, value in fallback.items():
        if isinstance(value, dict):
            config["fallback"].setdefault(key, {}).update(value)
        else:
            config["fallback"][key] = value
    return config


def write_config(project: Path, config: dict) -> Path:
    path = project / "tier1.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class TaskApi:
    """A real ``tier1 task-api`` subprocess in ``project``."""

    def __init__(self, project: Path, extra_env: dict | None = None):
        self.project = project
        self.extra_env = extra_env or {}
        self.process = None
        self.url = None

    def start(self) -> "TaskApi":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tier1_plugin", "task-api", "--port", "0"], cwd=str(self.project),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            env=_subprocess_env(self.extra_env), start_new_session=True)
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"tier1 task-api did not start: {line}{self.process.stderr.read()}")
        self.url = line.split("listening on ", 1)[1].split()[0]  # http://host:port/tasks/{name}
        return self

    @property
    def tasks_url(self) -> str:
        return self.url.replace("{name}", "{task}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def start_task_api():
    started = []

    def start(project: Path, extra_env: dict | None = None) -> TaskApi:
        api = TaskApi(project, extra_env).start()
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


def run_tier1(project: Path, *args, env: dict | None = None, input: str | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tier1_plugin", *args], cwd=str(project),
                          capture_output=True, text=True, input=input, timeout=timeout,
                          env=_subprocess_env(env or {}))
