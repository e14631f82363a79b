"""The console's routes, one module per page. Routes stay thin: read the request, call the
same data functions the CLI uses (or `console/` ones that query the store the same way),
render a template."""

from __future__ import annotations

from fastapi import Request

from leadsync.console.drafts import Drafts
from leadsync.console.editing import Working, working
from leadsync.console.jobs import Jobs
from leadsync.console.security import current_account
from leadsync.console.state import ConsoleState
from leadsync.sync.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.console.runtime()


def state(request: Request) -> ConsoleState:
    return request.app.state.console


def drafts(request: Request) -> Drafts:
    return request.app.state.drafts


def jobs(request: Request) -> Jobs:
    return request.app.state.jobs


def actor(request: Request) -> str:
    """The audit log's actor for a change made in the console: the account's email."""
    return current_account(request).email


def working_text(request: Request) -> Working:
    """The signed-in account's draft (or the file), checked."""
    return working(state(request), drafts(request), jobs(request), actor(request))


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


async def posted(request: Request) -> dict[str, str]:
    """The form's text fields (a dependency, so the route itself can stay a plain function)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}
