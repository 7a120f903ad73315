"""The team's Celery app, as the n8n fallback tests see it: tasks that count their runs.

Every run appends one JSON line (task, task id, kwargs, which runner ran it) to the file named
by ``TIER1_TEST_RUNS_FILE``, with O_APPEND so concurrent runners never interleave: the tests
prove "no task ran twice" by counting these lines.  The broker and backend come from
``TIER1_TEST_BROKER`` / ``TIER1_TEST_BACKEND`` (Redis databases 13 and 14).
"""

from __future__ import annotations

import json
import os
import sys
import time

from celery import Celery
from celery.signals import task_revoked

app = Celery("tier1_test_tasks",
             broker=os.environ.get("TIER1_TEST_BROKER", "redis://127.0.0.1:6379/13"),
             backend=os.environ.get("TIER1_TEST_BACKEND", "redis://127.0.0.1:6379/14"))
app.conf.update(worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False, task_default_queue=os.environ.get("TIER1_TEST_QUEUE", "celery"))


def runner_name() -> str:
    argv = " ".join(sys.argv)
    if "worker" in argv:
        return "celery-worker"
    if "task-api" in argv:
        return "task-api"
    if "run-task" in argv:
        return "run-task"
    return "in-process"


def _append(record: dict) -> None:
    path = os.environ.get("TIER1_TEST_RUNS_FILE")
    if not path:
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (json.dumps(record) + "\n").encode())
    finally:
        os.close(descriptor)


def _run(task, kwargs) -> dict:
    _append({"event": "run", "task": task.name, "id": task.request.id, "kwargs": kwargs,
             "runner": runner_name(), "pid": os.getpid()})
    if kwargs.get("sleep_s"):
        time.sleep(float(kwargs["sleep_s"]))
    if kwargs.get("fail"):
        raise RuntimeError(f"{task.name} failed on purpose")
    _append({"event": "done", "task": task.name, "id": task.request.id, "runner": runner_name()})
    return {"task": task.name, "done": True, "echo": kwargs.get("video_id")}


@task_revoked.connect
def _revoked(request=None, expired=False, **_):
    _append({"event": "revoked", "id": getattr(request, "id", None), "expired": expired,
             "runner": runner_name()})


@app.task(name="process_video", bind=True)
def process_video(self, **kwargs):
    return _run(self, kwargs)


@app.task(name="generate_draft", bind=True)
def generate_draft(self, **kwargs):
    return _run(self, kwargs)


@app.task(name="tier1_tests.capture_idea", bind=True)
def capture_idea(self, **kwargs):
    """Registered under a dotted name: the runners also find it as ``capture_idea``."""
    return _run(self, kwargs)


def read_runs(path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
