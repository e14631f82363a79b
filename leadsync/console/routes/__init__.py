"""The console's routes, one module per page. Routes stay thin: read the request, call the
same data functions the CLI uses (or `console/` ones that query the store the same way),
render a template."""

from __future__ import annotations

from fastapi import Request

from leadsync.console.security import current_account
from leadsync.sync.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.console.runtime()


def actor(request: Request) -> str:
    """The audit log's actor for a change made in the console: the account's email."""
    return current_account(request).email


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
