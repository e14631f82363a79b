"""`/healthz` and `/metrics` served from a worker by a small HTTP server thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def serve(
    port: int, metrics: Callable[[], bytes], healthy: Callable[[], bool]
) -> ThreadingHTTPServer:
    """Serve on every interface at `port` from a daemon thread (port 0: a free one)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                ok = healthy()
                self._send(200 if ok else 503, b"ok\n" if ok else b"unhealthy\n")
            elif self.path == "/metrics":
                self._send(200, metrics(), CONTENT_TYPE)
            else:
                self._send(404, b"try /healthz or /metrics\n")

        def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # scrapes every few seconds: no log line
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, name="leadsync-health", daemon=True).start()
    return server
