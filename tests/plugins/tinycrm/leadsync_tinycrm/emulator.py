"""TinyCRM's API, emulated in memory and served over real HTTP on loopback.

    GET   /health                          200 when the key is right, 401 otherwise
    GET   /people?since=ISO&until=ISO      people changed in [since, until), oldest first
    GET   /activities?since=ISO&until=ISO  activities in [since, until), oldest first
    POST  /people/batch                    {"updates": [{"id", "properties"}], "creates": [...]}

Every request needs `Authorization: Bearer <key>`. Times are ISO 8601 with an offset; every
write stamps `updated_at` with the emulator's clock, so written records come back on the next
read like any CRM's echoes.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class TinyCrm:
    def __init__(self, key: str = "tiny-key") -> None:
        self.key = key
        self.people: dict[str, dict[str, Any]] = {}
        self.activities: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- seeding (what the test's company holds) ---------------------------------------

    def add_person(self, email: str, **fields: Any) -> str:
        with self._lock:
            pid = f"tc{len(self.people) + 1}"
            self.people[pid] = {"id": pid, "email": email, "updated_at": _now(), **fields}
            return pid

    def add_activity(self, person_id: str, kind: str, at: datetime, **attrs: Any) -> str:
        with self._lock:
            aid = f"ta{len(self.activities) + 1}"
            self.activities[aid] = {
                "id": aid,
                "person_id": person_id,
                "type": kind,
                "at": at.isoformat(),
                "updated_at": at.isoformat(),
                **attrs,
            }
            return aid

    # --- serving ------------------------------------------------------------------------

    def start(self) -> str:
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                crm._answer(self, "GET")

            def do_POST(self) -> None:
                crm._answer(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        self.calls.append((method, url.path))
        if handler.headers.get("Authorization") != f"Bearer {self.key}":
            return _send(handler, 401, {"error": "bad key"})
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if method == "GET" and url.path == "/health":
            return _send(handler, 200, {"ok": True})
        if method == "GET" and url.path in ("/people", "/activities"):
            table = self.people if url.path == "/people" else self.activities
            return _send(handler, 200, {"results": self._changed(table, query)})
        if method == "POST" and url.path == "/people/batch":
            length = int(handler.headers.get("Content-Length") or 0)
            return _send(handler, 200, self._batch(json.loads(handler.rfile.read(length))))
        return _send(handler, 404, {"error": f"no route {method} {url.path}"})

    def _changed(self, table: dict[str, dict[str, Any]], query: dict[str, str]) -> list[dict]:
        since, until = (datetime.fromisoformat(query[k]) if k in query else None
                        for k in ("since", "until"))  # fmt: skip
        with self._lock:
            rows = [
                dict(r)
                for r in table.values()
                if (since is None or _at(r) >= since) and (until is None or _at(r) < until)
            ]
        return sorted(rows, key=lambda r: (_at(r), r["id"]))

    def _batch(self, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        with self._lock:
            for update in body.get("updates", []):
                person = self.people.get(update["id"])
                if person is None:
                    results.append({"id": update["id"], "ok": False, "error": "no such person"})
                    continue
                person.update(update["properties"], updated_at=_now())
                results.append({"id": update["id"], "ok": True})
            for create in body.get("creates", []):
                pid = f"tc{len(self.people) + 1}"
                self.people[pid] = {"id": pid, **create["properties"], "updated_at": _now()}
                results.append({"id": pid, "ok": True})
        return {"results": results}


def _at(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["updated_at"])


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _send(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
