"""The sandbox's control plane: request statistics and injected faults for each emulator.

Each emulator is a Flask app; `instrument()` wraps it so every request is counted under its
route template (`"GET /crm/v3/objects/contacts/{contactId}"`) and may be answered by an
injected fault before the emulator sees it, or after it has served (and applied) the request.
Production code never imports this package.

What a fault answers (`body`):

    ""              the system's own error body for `status` (429, 503, ...)
    "html"          an HTML error page, as a proxy or load balancer sends (502, 504)
    "invalid_json"  `status` (200) with a JSON body cut short: not parseable
    "empty"         `status` (200) with no body at all
    "cut"           `status` (200) headers promising more body than is sent, then the
                    connection closes mid-body

With `after` the request is first served for real (a write is applied) and its answer then
replaced, or only delayed (`status` 0 with `delay`): the answer a client sees when a write
succeeded but the response was lost.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, request

# A function that builds the system's own error body for an injected status code.
ErrorBody = Callable[[int], Response]


@dataclass
class SystemStats:
    """Counters for one emulator; `throttled` counts 429s and Salesforce's 403 limit answers."""

    requests: int = 0
    reads: int = 0
    writes: int = 0
    throttled: int = 0
    errors: int = 0
    by_route: Counter[str] = field(default_factory=Counter)

    def as_dict(self, records: dict[str, int]) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "reads": self.reads,
            "writes": self.writes,
            "throttled": self.throttled,
            "errors": self.errors,
            "by_route": dict(self.by_route),
            "records": records,
        }


@dataclass
class Fault:
    """Answer `rate` of the requests matching `route` (a glob over "METHOD /path") with `status`.

    `remaining` bounds how many times it fires (None = until cleared). `delay` seconds pass
    before the answer; with `status` 0 the request then goes through normally (latency only).
    `body` and `after`: see the module docstring.
    """

    system: str
    status: int
    rate: float = 1.0
    route: str = "*"
    remaining: int | None = None
    delay: float = 0.0
    body: str = ""
    after: bool = False

    def matches(self, system: str, route_key: str, path_key: str) -> bool:
        if self.system not in (system, "*"):
            return False
        return fnmatch.fnmatchcase(route_key, self.route) or fnmatch.fnmatchcase(
            path_key, self.route
        )


class Control:
    """Shared, thread-safe state of the control plane."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.stats: dict[str, SystemStats] = {}
        self.faults: list[Fault] = []

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = {name: SystemStats() for name in self.stats}

    def snapshot(self, system: str, records: dict[str, int]) -> dict[str, Any]:
        """One system's counters as JSON-ready data, read under the lock."""
        with self._lock:
            return self.stats.get(system, SystemStats()).as_dict(records)

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def pick_fault(self, system: str, route_key: str, path_key: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not fault.matches(system, route_key, path_key):
                    continue
                if fault.remaining is not None and fault.remaining <= 0:
                    continue
                if self._rng.random() >= fault.rate:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def count(
        self,
        system: str,
        route_key: str,
        *,
        read: bool,
        status: int,
        throttled: bool,
        applied: bool | None = None,
    ) -> None:
        """Count one served request. `writes` counts data-changing calls that took effect
        (`applied`; by default those answered below 400)."""
        with self._lock:
            stats = self.stats.setdefault(system, SystemStats())
            stats.requests += 1
            stats.by_route[route_key] += 1
            if read:
                stats.reads += 1
            elif status < 400 if applied is None else applied:
                stats.writes += 1
            if status >= 400:
                stats.errors += 1
            if throttled:
                stats.throttled += 1


def mark_read() -> None:
    """Call inside a POST handler that only reads (search, batch/read, SOQL over POST)."""
    g.sandbox_read = True


def mark_throttled() -> None:
    """Call when the handler answers with the API's own limit error."""
    g.sandbox_throttled = True


def _route_key() -> str:
    rule = request.url_rule.rule if request.url_rule else request.path
    template = rule.replace("<path:", "{").replace("<int:", "{").replace("<", "{").replace(">", "}")
    return f"{request.method} {template}"


def instrument(app: Flask, system: str, control: Control, error_body: ErrorBody) -> None:
    """Count every request of `app` under `system` and apply injected faults first."""
    control.stats.setdefault(system, SystemStats())

    @app.before_request
    def _inject_fault() -> Response | None:
        g.sandbox_route = _route_key()
        fault = control.pick_fault(system, g.sandbox_route, f"{request.method} {request.path}")
        if fault is None:
            return None
        if fault.after:
            g.sandbox_fault_after = fault
            return None
        return _answer(fault, error_body, None)

    @app.after_request
    def _count(response: Response) -> Response:
        served = response.status_code
        fault = getattr(g, "sandbox_fault_after", None)
        if fault is not None:
            g.sandbox_fault_after = None
            response = _answer(fault, error_body, response) or response
        route = getattr(g, "sandbox_route", None) or _route_key()
        is_read = request.method in ("GET", "HEAD") or getattr(g, "sandbox_read", False)
        control.count(
            system,
            route,
            read=is_read,
            status=response.status_code,
            applied=served < 400,
            throttled=getattr(g, "sandbox_throttled", False),
        )
        return response


_HTML = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>"
    "\r\n</body>\r\n</html>\r\n"
)
_REASONS = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable",
            504: "504 Gateway Time-out"}  # fmt: skip
# What a cut connection was in the middle of sending when nothing had been served.
_CANNED = b'{"results": [' + b'{"id": "0"}, ' * 200 + b'{"id": "0"}]}'


def _answer(fault: Fault, error_body: ErrorBody, served: Response | None) -> Response | None:
    """The faulty answer (None: let the request or its real answer through, only later)."""
    if fault.delay:
        time.sleep(fault.delay)
    if fault.status == 0:
        return None
    if fault.status in (429, 403) and not fault.body:
        g.sandbox_throttled = True
    if fault.body == "html":
        page = _HTML.format(_REASONS.get(fault.status, f"{fault.status} Error"))
        return Response(page, fault.status, content_type="text/html")
    if fault.body == "invalid_json":
        return Response('{"status": "COMPLETE", "results": [{"id": "1", "prop',
                        fault.status, content_type="application/json")  # fmt: skip
    if fault.body == "empty":
        return Response(b"", fault.status, content_type="application/json")
    if fault.body == "cut":
        return _cut(served.get_data() if served is not None else _CANNED, fault.status)
    return error_body(fault.status)


def _cut(full: bytes, status: int) -> Response:
    """Headers announce all of `full`; half is sent and the connection closes."""
    half = full[: max(1, len(full) // 2)]
    headers = {"Content-Length": str(len(full) + 1), "Connection": "close"}
    return Response(iter([half]), status, headers=headers, content_type="application/json")
