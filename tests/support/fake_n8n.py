"""A stand-in n8n on 127.0.0.1 (port 0) answering as the real one and its proxies do.

Webhooks ``/webhook/<name>`` and ``/webhook-test/<name>``; the name picks the behaviour:

=================  ===================================================================
``ok``             200 ``{"status": "done"}`` (a workflow that responds with its result)
``started``        200 ``{"message": "Workflow was started"}`` (respond immediately)
``missing``        404 JSON "The requested webhook ... is not registered." with hint
``auth-required``  401 text ``Authorization is required!``
``auth-wrong``     403 text ``Authorization data is wrong!``
``broken``         500 ``{"message": "Error in workflow"}``
``no-answer``      504 ``{"message": "The workflow did not answer in time"}`` (newer engines)
``nginx-504``      504 nginx's HTML page
``cloudflare-524`` 524 Cloudflare's HTML page
``bad-gateway``    502 nginx's HTML page
``empty``          200 with an empty body
``slow``           sleeps ``slow_s`` seconds, then 200
``mcp-failed``     200 ``{"success": false, "error": ..., "executionId": "9001"}``
``exec-<id>``      200 ``{"executionId": "<id>"}`` (the executions API has the truth)
``echo-key``       500 echoing the request's X-N8N-API-KEY (for redaction tests)
=================  ===================================================================

``/api/v1/executions`` and ``/api/v1/executions/<id>`` answer from :attr:`executions`
(``{id: {"status": ..., "workflowId": ...}}``) and require ``X-N8N-API-KEY: <api_key>``.
Every webhook request is recorded in :attr:`calls`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NGINX_504 = """<html>
<head><title>504 Gateway Time-out</title></head>
<body>
<center><h1>504 Gateway Time-out</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
"""
NGINX_502 = NGINX_504.replace("504 Gateway Time-out", "502 Bad Gateway")
CLOUDFLARE_524 = """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<head><title>n8n.example.app | 524: A timeout occurred</title>
<style>body{font-family:sans-serif}</style></head>
<body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
<h1><span class="inline-block">A timeout occurred</span> <span class="code-label">Error code 524</span></h1>
<p>The origin web server timed out responding to this request.</p>
<span>Cloudflare Ray ID: <strong>8f1c2a3b4c5d6e7f</strong></span>
</div></div></body></html>
"""


def not_registered(name: str) -> str:
    return json.dumps({
        "code": 404,
        "message": f'The requested webhook "POST {name}" is not registered.',
        "hint": "The workflow must be active for a production URL to run successfully. You can "
                "activate the workflow using the toggle in the top-right of the editor.",
    })


class FakeN8n:
    def __init__(self, api_key: str = "n8n-test-api-key", slow_s: float = 2.0):
        self.api_key = api_key
        self.slow_s = slow_s
        self.executions: dict[str, dict] = {}
        self.calls: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeN8n":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def answer(self, name: str, headers) -> tuple[int, str, str]:
        """``(status, content type, body)`` for webhook ``name``."""
        as_json = "application/json; charset=utf-8"
        html = "text/html"
        text = "text/plain; charset=utf-8"
        if name == "ok":
            return 200, as_json, json.dumps({"status": "done"})
        if name == "started":
            return 200, as_json, json.dumps({"message": "Workflow was started"})
        if name == "auth-required":
            return 401, text, "Authorization is required!"
        if name == "auth-wrong":
            return 403, text, "Authorization data is wrong!"
        if name == "broken":
            return 500, as_json, json.dumps({"message": "Error in workflow"})
        if name == "no-answer":
            return 504, as_json, json.dumps({"message": "The workflow did not answer in time"})
        if name == "nginx-504":
            return 504, html, NGINX_504
        if name == "bad-gateway":
            return 502, html, NGINX_502
        if name == "cloudflare-524":
            return 524, html, CLOUDFLARE_524
        if name == "empty":
            return 200, as_json, ""
        if name == "slow":
            time.sleep(self.slow_s)
            return 200, as_json, json.dumps({"status": "done late"})
        if name == "mcp-failed":
            return 200, as_json, json.dumps({"success": False, "error": "Workflow execution failed",
                                             "executionId": "9001"})
        if name.startswith("exec-"):
            return 200, as_json, json.dumps({"executionId": name[len("exec-"):]})
        if name == "echo-key":
            return 500, text, f"upstream refused X-N8N-API-KEY: {headers.get('X-N8N-API-KEY', '')}"
        return 404, as_json, not_registered(name)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, content_type, body):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _webhook(self):
                parts = urlsplit(self.path)
                segments = parts.path.strip("/").split("/", 1)
                if len(segments) != 2 or segments[0] not in ("webhook", "webhook-test"):
                    return self._send(404, "text/plain", "Cannot " + self.command + " " + parts.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                fake.calls.append({"path": parts.path, "method": self.command, "body": body,
                                   "test": segments[0] == "webhook-test"})
                self._send(*fake.answer(segments[1], self.headers))

            do_POST = _webhook

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                if not parts.path.startswith("/api/v1/"):
                    return self._webhook()
                if self.headers.get("X-N8N-API-KEY") != fake.api_key:
                    return self._send(401, "application/json", json.dumps({"message": "unauthorized"}))
                if parts.path == "/api/v1/executions":
                    query = parse_qs(parts.query)
                    found = [{"id": key, **value} for key, value in fake.executions.items()
                             if (not query.get("workflowId") or value.get("workflowId") == query["workflowId"][0])
                             and (not query.get("status") or value.get("status") == query["status"][0])]
                    limit = int(query.get("limit", ["100"])[0])
                    return self._send(200, "application/json", json.dumps({"data": found[:limit], "nextCursor": None}))
                if parts.path.startswith("/api/v1/executions/"):
                    key = parts.path.rsplit("/", 1)[1]
                    if key not in fake.executions:
                        return self._send(404, "application/json", json.dumps({"message": "Not Found"}))
                    return self._send(200, "application/json", json.dumps({"id": key, **fake.executions[key]}))
                return self._send(404, "application/json", json.dumps({"message": "Not Found"}))

        return Handler


class HungPeer:
    """A TCP listener that accepts connections and never sends a byte (a wedged broker)."""

    def __init__(self):
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]
        self._held: list = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self._socket.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self._held.append(connection)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopped.set()
        self._thread.join(2)
        for connection in self._held:
            connection.close()
        self._socket.close()
