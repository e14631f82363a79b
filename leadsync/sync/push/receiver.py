"""The webhook receiver: `POST /webhooks/<crm>` for each CRM whose connector declares
`Webhooks`, a small Starlette app.

    leadsync push serve                  the app on its own (uvicorn), with change streams
    app.mount("/webhooks", Mounted(rt))  inside another app (the console), webhooks only

Each request is verified by the CRM's own signature check (401 otherwise), its events are
queued in the store (duplicates by event id dropped), and it is answered at once: a CRM gives
up on a slow answer and retries. The mini-cycle runs on the worker thread.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, Router

from leadsync.connectors.base import Connector, PushMalformed, PushRefused
from leadsync.mapping.catalog import Webhooks, catalog
from leadsync.sync.outbox import known_writes
from leadsync.sync.push import queue
from leadsync.sync.push.cdc import CdcListener
from leadsync.sync.push.worker import PushWorker
from leadsync.sync.runtime import Runtime
from leadsync.sync.wiring import build_connectors


def no_secret(rt: Runtime) -> str:
    """What to set so webhooks are received (the configured CRMs' secrets)."""
    wanted = [hooks.secret_env for _, hooks in _webhook_crms(rt)] or ["a CRM that pushes webhooks"]
    return f"webhooks are not configured: set {' or '.join(wanted)} and restart"


def _webhook_crms(rt: Runtime) -> list[tuple[str, Webhooks]]:
    return [(name, catalog()[name].webhooks) for name in rt.settings.connectors  # type: ignore[misc]
            if catalog()[name].webhooks is not None]  # fmt: skip


class PushService:
    """What the receiver needs: each CRM's secret, the store and the worker it wakes."""

    def __init__(
        self, rt: Runtime, connectors: Mapping[str, Connector] | None = None, *, cdc: bool = True
    ) -> None:
        """`cdc`: also subscribe to a CRM's change events when `push.change_streams` says so
        (`cdc.start()` starts them)."""
        self.rt = rt
        tables = rt.settings.connectors
        self._hooks = {name: (hooks, hooks.secret(tables[name])) for name, hooks in
                       _webhook_crms(rt)}  # fmt: skip
        connectors = connectors or push_connectors(rt)
        self.worker = PushWorker(rt, connectors)
        self.cdc: CdcListener | None = None
        feeds = [(n, catalog()[n].changes) for n in connectors if catalog()[n].changes]
        if cdc and rt.settings.push.change_streams and feeds:
            name, feed = feeds[0]
            topics = rt.settings.push.cdc_topics or list(feed.topics)  # type: ignore[union-attr]
            self.cdc = CdcListener(rt, name, feed.open(connectors[name]), topics,  # type: ignore[union-attr]
                                   self.worker.wake, feed.topics)  # type: ignore[union-attr]  # fmt: skip

    @property
    def configured(self) -> bool:
        return any(secret for _, secret in self._hooks.values())

    @property
    def paths(self) -> list[str]:
        return [f"/webhooks/{name}" for name, (_, secret) in self._hooks.items() if secret]

    def routes(self) -> Router:
        """The receiver's routes, to mount at `/webhooks`: one per CRM that pushes."""
        return Router(routes=[Route(f"/{name}", self._receiver(name), methods=["POST"])
                              for name in self._hooks])  # fmt: skip

    def app(self) -> Starlette:
        """The standalone app: the receivers at `/webhooks/<crm>`."""
        return Starlette(routes=[Mount("/webhooks", app=self.routes())])

    def _receiver(self, name: str) -> Callable[[Request], Any]:
        async def receive(request: Request) -> JSONResponse:
            return await self.receive(name, request)

        return receive

    async def receive(self, name: str, request: Request) -> JSONResponse:
        hooks, secret = self._hooks[name]
        if not secret:
            return JSONResponse({"error": no_secret(self.rt)}, 503)
        body = await _capped_body(request, hooks.max_body)
        if body is None:
            return JSONResponse({"error": "the body is larger than a webhook batch can be"}, 413)
        try:
            hooks.verify(secret, method=request.method, uri=self.signed_uri(request),
                         body=body, headers=request.headers,
                         now_ms=int(time.time() * 1000))  # fmt: skip
            events = hooks.parse(body)
        except PushRefused as exc:
            return JSONResponse({"error": str(exc)}, 401)
        except PushMalformed as exc:
            return JSONResponse({"error": str(exc)}, 400)
        new = await run_in_threadpool(self.accept, events, name)
        return JSONResponse({"received": len(events), "new": new})

    def signed_uri(self, request: Request) -> str:
        """The URL the CRM signed: `push.public_url` behind a proxy, else the one called."""
        public = self.rt.settings.push.public_url
        if not public:
            return str(request.url)
        query = request.url.query
        return public + (f"?{query}" if query else "")

    def accept(self, events: list[Any], source: str | None = None) -> int:
        """Queue the events durably, wake the worker; the number that were new.

        A property change to the value leadsync itself last wrote there is its own write coming
        back: queued (so a redelivery is still recognised) with nothing to read.
        """
        source = source or next(iter(self._hooks))
        with self.rt.sessions.begin() as session:
            echoes = known_writes(session, [e.object_id for e in events if e.property_name])
            notices = [_notice(e, echoes) for e in events]
            new = queue.enqueue(session, source, notices, self.rt.clock())
            queue.mark_verified(session, source, self.rt.clock())
        if new:
            self.worker.wake()
        return new


async def _capped_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes `limit` (read no further: nobody's memory to fill)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _notice(event: Any, echoes: Mapping[str, Mapping[str, str | None]]) -> queue.Notice:
    written = echoes.get(event.object_id, {})
    echo = event.property_name in written and written[event.property_name] == event.property_value
    records = () if echo else event.contacts
    return queue.Notice(event.event_id, event.subscription, event.object_id, event.occurred_at,
                        records, event.converted and not echo)  # fmt: skip


class Mounted:
    """The receiver inside another app (the console): `app.mount("/webhooks", Mounted(rt))`.

    The service (and its worker) is built on the first webhook, from the host's runtime, so
    an app that never receives one never opens connectors for it.
    """

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime
        self._routes: Router | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        with self._lock:
            if self._routes is None:
                self._routes = PushService(self._runtime(), cdc=False).routes()
        await self._routes(scope, receive, send)


def push_connectors(rt: Runtime) -> dict[str, Connector]:
    """The run's connectors, with the settings each CRM's webhooks want for a pushed read."""
    update = {name: hooks.for_push(rt.settings.connectors[name])
              for name, hooks in _webhook_crms(rt) if hooks.for_push}  # fmt: skip
    settings = rt.settings.model_copy(update=update)
    return build_connectors(dataclasses.replace(rt, settings=settings))
