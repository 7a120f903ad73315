"""``tier1 task-api [--host 127.0.0.1] [--port 8000]``: tier 2 of the n8n fallback chain.

Serves ``POST /tasks/{name}`` by running the task from ``fallback.celery.app`` in-process
(see :mod:`tier1_plugin.hooks.task_api`).  Runs until interrupted; ``--port 0`` picks a free
port, and the first line printed says where it listens.
"""

from __future__ import annotations

import sys


def configure(parser):
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free one)")


def run(args) -> int:
    from tier1_plugin.config import load_config
    from tier1_plugin.hooks.task_api import TaskError, make_server
    from tier1_plugin.hub import AutomationHub

    config = load_config()
    hub = AutomationHub(config=config)
    try:
        server = make_server(config, hub, args.host, args.port)
    except TaskError as exc:
        print(f"tier1 task-api: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tier1 task-api: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"tier1 task-api listening on http://{host}:{port}/tasks/{{name}}"
          f"{' (bearer token required)' if server.token else ''}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        hub.close()
    return 0
