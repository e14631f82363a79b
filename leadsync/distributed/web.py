"""`/metrics` for the console: this process's metrics and, when the environment names a fleet
(LEADSYNC_TENANTS_DATABASE_URL), each tenant's seconds since its last good cycle.

Without prometheus-client (a single-machine install) the route answers 404 saying what to
install; nothing else in the console depends on it.
"""

from __future__ import annotations

import os
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FLEET_ENV = "LEADSYNC_TENANTS_DATABASE_URL"


def _last_ok() -> dict[str, Any]:
    from leadsync.distributed.registry import all_tenants, open_registry

    try:
        return {t.name: t.last_ok_at for t in all_tenants(open_registry(os.environ[FLEET_ENV]))}
    except Exception:  # the fleet's database is down: the other metrics still answer
        return {}


def _exposition() -> bytes:
    from leadsync.distributed.metrics import exposition

    return exposition(_last_ok if os.environ.get(FLEET_ENV) else None)


async def metrics_endpoint(_request: Any) -> Response:
    """The scrape's answer (a plain Starlette route: Prometheus does not sign in)."""
    try:
        body = await run_in_threadpool(_exposition)
    except ImportError:
        return PlainTextResponse(
            "metrics need prometheus-client: pip install 'leadsync[distributed]'\n", 404
        )
    return Response(body, media_type=CONTENT_TYPE)
