"""The webhook receiver: `POST /webhooks/hubspot`, a small Starlette app.

    leadsync push serve                  the app on its own (uvicorn), with Salesforce CDC
    app.mount("/webhooks", Mounted(rt))  inside another app (the console), webhooks only

Each request is verified (signature v3, five-minute window; 401 otherwise), its events are
queued in the store (duplicates by `eventId` dropped), and it is answered at once: HubSpot
gives up on a slow answer and retries. The mini-cycle runs on the worker thread.
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

from leadsync.connectors.base import Connector
from leadsync.connectors.hubspot import webhooks
from leadsync.connectors.salesforce.cdc import ChangeStream
from leadsync.sync.outbox import known_writes
from leadsync.sync.push import queue
from leadsync.sync.push.cdc import CdcListener
from leadsync.sync.push.worker import SOURCE, PushWorker
from leadsync.sync.runtime import Runtime
from leadsync.sync.wiring import build_connectors

# HubSpot sends at most 100 events a request, well under this; a bigger body is not HubSpot's.
MAX_BODY = 1_000_000
NO_SECRET = (
    "webhooks are not configured: set LEADSYNC_HUBSPOT__CLIENT_SECRET to the app's client "
    "secret and restart"
)


class PushService:
    """What the receiver needs: the secret, the store and the worker it wakes."""

    def __init__(
        self, rt: Runtime, connectors: Mapping[str, Connector] | None = None, *, cdc: bool = True
    ) -> None:
        """`cdc`: also subscribe to Salesforce change events when `push.salesforce_cdc` says so
        (`cdc.start()` starts them)."""
        self.rt = rt
        secret = rt.settings.hubspot.client_secret
        self._secret = secret.get_secret_value() if secret is not None else None
        connectors = connectors or push_connectors(rt)
        self.worker = PushWorker(rt, connectors)
        self.cdc: CdcListener | None = None
        if cdc and rt.settings.push.salesforce_cdc:
            stream = ChangeStream(connectors["salesforce"])  # type: ignore[arg-type]
            self.cdc = CdcListener(rt, stream, rt.settings.push.cdc_topics, self.worker.wake)

    @property
    def configured(self) -> bool:
        return bool(self._secret)

    def routes(self) -> Router:
        """The receiver's routes, to mount at `/webhooks`."""
        return Router(routes=[Route("/hubspot", self.hubspot, methods=["POST"])])

    def app(self) -> Starlette:
        """The standalone app: the receiver at `/webhooks/hubspot`."""
        return Starlette(routes=[Mount("/webhooks", app=self.routes())])

    async def hubspot(self, request: Request) -> JSONResponse:
        if not self._secret:
            return JSONResponse({"error": NO_SECRET}, 503)
        body = await _capped_body(request)
        if body is None:
            return JSONResponse({"error": "the body is larger than a webhook batch can be"}, 413)
        try:
            webhooks.verify(self._secret, method=request.method, uri=self.signed_uri(request),
                            body=body, headers=request.headers,
                            now_ms=int(time.time() * 1000))  # fmt: skip
            events = webhooks.parse(body)
        except webhooks.Refused as exc:
            return JSONResponse({"error": str(exc)}, 401)
        except webhooks.Malformed as exc:
            return JSONResponse({"error": str(exc)}, 400)
        new = await run_in_threadpool(self.accept, events)
        return JSONResponse({"received": len(events), "new": new})

    def signed_uri(self, request: Request) -> str:
        """The URL HubSpot signed: `push.public_url` behind a proxy, else the one called."""
        public = self.rt.settings.push.public_url
        if not public:
            return str(request.url)
        query = request.url.query
        return public + (f"?{query}" if query else "")

    def accept(self, events: list[webhooks.Event]) -> int:
        """Queue the events durably, wake the worker; the number that were new.

        A property change to the value leadsync itself last wrote there is its own write coming
        back: queued (so a redelivery is still recognised) with nothing to read.
        """
        with self.rt.sessions.begin() as session:
            echoes = known_writes(session, [e.object_id for e in events if e.property_name])
            notices = [_notice(e, echoes) for e in events]
            new = queue.enqueue(session, SOURCE, notices, self.rt.clock())
            queue.mark_verified(session, SOURCE, self.rt.clock())
        if new:
            self.worker.wake()
        return new


async def _capped_body(request: Request) -> bytes | None:
    """The body, or None once it passes `MAX_BODY` (read no further: nobody's memory to fill)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _notice(event: webhooks.Event, echoes: Mapping[str, Mapping[str, str | None]]) -> queue.Notice:
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
    """The run's connectors, reading form submissions without the search probe: a push says a
    contact converted, and HubSpot's search index may not show it for a few seconds yet."""
    hubspot = rt.settings.hubspot.model_copy(update={"form_probe": False})
    settings = rt.settings.model_copy(update={"hubspot": hubspot})
    return build_connectors(dataclasses.replace(rt, settings=settings))
