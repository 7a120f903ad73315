"""Tiers 2 and 3 without writing any code: run the team's Celery tasks in-process, no broker.

:class:`TaskRunner` loads the team's Celery app from ``fallback.celery.app`` (``"module:attr"``),
finds a task by its registered name (or by its last dotted part when that is unique) and runs
it with ``task.apply()`` in this process: the broker is what may be down, so it is not used.
Every run is keyed by an idempotency key in the ``fallback_runs`` ledger (the event store's
database), so the same key never runs twice, whether it arrives at ``tier1 task-api``
twice, at two servers, or once there and once at ``tier1 run-task``.

:func:`make_server` is ``tier1 task-api``: a stdlib ``ThreadingHTTPServer`` answering
``POST /tasks/{name}`` with a JSON object of keyword arguments:

* 200 ``{"task", "ok": true, "result", "idempotency_key", "replayed"}`` (``replayed`` true when
  the key was seen before and the stored result is returned);
* 400 for a body that is not a JSON object, 401 without ``Authorization: Bearer <token>`` when
  the environment variable ``fallback.api.token_env`` names is set, 404 for an unknown task,
  409 while the same key is still running, 500 when the task raised.
"""

from __future__ import annotations

import hmac
import json
import os
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tier1_plugin.hooks.fallback import jsonable


class TaskError(Exception):
    """A problem the caller caused: unknown task, no app configured."""


@dataclass
class RunOutcome:
    task: str
    ok: bool
    result: object = None
    error: str | None = None
    idempotency_key: str | None = None
    replayed: bool = False
    running: bool = False

    def to_dict(self) -> dict:
        return {"task": self.task, "ok": self.ok, "result": self.result, "error": self.error,
                "idempotency_key": self.idempotency_key, "replayed": self.replayed}


def load_app(spec: str):
    """Import ``module:attr`` (the team's Celery app) and load its task modules."""
    import importlib

    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise TaskError(f"fallback.celery.app must be 'module:attr', got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # the team's own package, as `celery -A` finds it
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise TaskError(f"cannot load the Celery app {spec!r}: {exc}") from None
    try:
        obj.loader.import_default_modules()  # the app's `include` / `imports`
    except Exception as exc:  # noqa: BLE001 - report, the app's own tasks may still be there
        print(f"tier1: loading the Celery app's task modules failed: {exc}", file=sys.stderr)
    return obj


class TaskRunner:
    """Run tasks from one Celery app, once per idempotency key."""

    def __init__(self, app, hub, runner_name: str = "task-api"):
        self.app = app
        self.hub = hub
        self.runner_name = runner_name
        from tier1_plugin.hooks.fallback import RunLedger

        self.ledger = RunLedger(hub)

    @classmethod
    def from_config(cls, config, hub, runner_name: str = "task-api") -> "TaskRunner":
        spec = ((config.get("fallback", {}) or {}).get("celery") or {}).get("app")
        if not spec:
            raise TaskError("fallback.celery.app is not set: name the team's Celery app as "
                            "'module:attr' in tier1.yaml")
        return cls(load_app(spec), hub, runner_name)

    def find(self, name: str):
        tasks = self.app.tasks
        if name in tasks:
            return tasks[name]
        matches = [task for key, task in tasks.items() if key.rsplit(".", 1)[-1] == name
                   and not key.startswith("celery.")]
        if len(matches) == 1:
            return matches[0]
        raise TaskError(f"unknown task {name!r}" + (" (ambiguous)" if matches else ""))

    def run(self, name: str, params: dict, idempotency_key: str | None = None) -> RunOutcome:
        """Run ``name`` with ``params``; raises :class:`TaskError` for an unknown task."""
        task = self.find(name)
        key = idempotency_key
        if key:
            previous = self.ledger.claim(key, task.name, self.runner_name)
            if previous is not None:
                running = previous["status"] == "running"
                return RunOutcome(task.name, not running and previous["status"] == "done",
                                  previous["result"], "still running" if running else None, key,
                                  replayed=True, running=running)
        eager = task.apply(kwargs=params, task_id=key) if key else task.apply(kwargs=params)
        ok = eager.successful()
        value = eager.result if ok else None
        error = None if ok else f"{type(eager.result).__name__}: {eager.result}"
        value = jsonable(value)
        if key:
            self.ledger.finish(key, ok, value if ok else error)
        return RunOutcome(task.name, ok, value, error, key)


class _Handler(BaseHTTPRequestHandler):
    server_version = "tier1-task-api"
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's naming
        server: TaskApiServer = self.server  # type: ignore[assignment]
        path = self.path.split("?", 1)[0]
        if not path.startswith("/tasks/") or len(path) <= len("/tasks/"):
            return self._answer(HTTPStatus.NOT_FOUND, {"error": "POST /tasks/{name}"})
        if server.token and not hmac.compare_digest(
                self.headers.get("Authorization", "").encode(), f"Bearer {server.token}".encode()):
            return self._answer(HTTPStatus.UNAUTHORIZED, {"error": "a valid bearer token is required"})
        from urllib.parse import unquote

        name = unquote(path[len("/tasks/"):])
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            params = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            return self._answer(HTTPStatus.BAD_REQUEST, {"error": f"the body is not JSON: {exc}"})
        if not isinstance(params, dict):
            return self._answer(HTTPStatus.BAD_REQUEST, {"error": "the body must be a JSON object of keyword arguments"})
        key = self.headers.get("Idempotency-Key") or None
        try:
            outcome = server.runner.run(name, params, key)
        except TaskError as exc:
            return self._answer(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - the ledger's database, say
            return self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"{type(exc).__name__}: {exc}"})
        if outcome.running:
            return self._answer(HTTPStatus.CONFLICT, outcome.to_dict())
        return self._answer(HTTPStatus.OK if outcome.ok else HTTPStatus.INTERNAL_SERVER_ERROR,
                            outcome.to_dict())

    def do_GET(self):  # noqa: N802
        if self.path == "/health":
            return self._answer(HTTPStatus.OK, {"ok": True})
        return self._answer(HTTPStatus.NOT_FOUND, {"error": "POST /tasks/{name}"})

    def _answer(self, status: HTTPStatus, data: dict):
        body = json.dumps(data, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - one line per request, no bodies
        print(f"tier1 task-api: {self.address_string()} {format % args}", file=sys.stderr)


class TaskApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, runner: TaskRunner, token: str | None):
        super().__init__(address, _Handler)
        self.runner = runner
        self.token = token


def make_server(config, hub, host: str = "127.0.0.1", port: int = 8000) -> TaskApiServer:
    """The tier-2 server for ``config``; the token comes from the environment only."""
    from tier1_plugin.hooks.tier_api import DEFAULT_TOKEN_ENV

    section = (config.get("fallback", {}) or {}).get("api") or {}
    token = os.environ.get(section.get("token_env") or DEFAULT_TOKEN_ENV) or None
    runner = TaskRunner.from_config(config, hub, "task-api")
    return TaskApiServer((host, port), runner, token)


def serve_in_thread(server: TaskApiServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return thread


__all__ = ["RunOutcome", "TaskApiServer", "TaskError", "TaskRunner", "load_app", "make_server",
           "serve_in_thread"]
