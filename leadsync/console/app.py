"""The console's web app: FastAPI on uvicorn, server-rendered pages with HTMX.

    state = ConsoleState(Path("config.toml"))
    serve(create_app(state, ConsoleOptions(secret_key=...)))

Layers, outermost first: the proxy-headers layer (only when a proxy is trusted), signed
sessions, security headers, then the routes, each behind `security.GUARDS`.
"""

from __future__ import annotations

from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from leadsync.console import errors, reports
from leadsync.console.drafts import Drafts
from leadsync.console.jobs import Jobs
from leadsync.console.live import LiveOptions
from leadsync.console.middleware import SecurityHeaders, Sessions
from leadsync.console.routes import (
    admin,
    auth,
    background,
    draft,
    funnel,
    health,
    history,
    mappings,
    people,
    rules,
)
from leadsync.console.security import GUARDS, LoginThrottle
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from leadsync.distributed.web import metrics_endpoint
from leadsync.sync.push.receiver import Mounted

STATIC = Path(__file__).with_name("static")


def create_app(state: ConsoleState, options: ConsoleOptions) -> FastAPI:
    app = FastAPI(
        title="leadsync console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=GUARDS,
    )
    app.state.console, app.state.options, app.state.throttle = state, options, LoginThrottle()
    app.state.funnel = reports.funnel()
    app.state.drafts, app.state.jobs, app.state.live = Drafts(), Jobs(), LiveOptions()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_route("/metrics", metrics_endpoint)  # Prometheus scrapes it without a login
    app.mount("/webhooks", Mounted(state.runtime))  # HubSpot webhooks, checked by signature
    for module in (auth, health, mappings, rules, draft, history, background, people, funnel):
        app.include_router(module.router)
    app.include_router(admin.router)
    app.include_router(admin.owners)
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        Sessions, secret_key=options.secret_key, max_age=int(options.session_hours * 3600)
    )
    if options.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(options.trusted_proxies))
    return app


def server(app: FastAPI, options: ConsoleOptions, *, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for the app. Proxy headers are the app's business (trusted proxies
    only), so uvicorn's own handling, which trusts 127.0.0.1 by default, is off."""
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        proxy_headers=False,
        server_header=False,
        log_level=log_level,
    )
    return uvicorn.Server(config)
