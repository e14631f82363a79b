"""Templates: Jinja2 with autoescaping on for every file, and the filters pages share.

Everything a page shows goes through autoescaping; the only markup inserted as is comes from
`charts` (SVG that matplotlib drew and escaped itself), marked with `Markup` there and nowhere
else.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from leadsync.console.security import csrf_token
from leadsync.console.users import Role

TEMPLATES = Path(__file__).with_name("templates")


def when(value: datetime | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def number(value: float | int | None) -> str:
    if value is None:
        return "–"
    return (
        f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:,.0f}"
    )


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def duration(seconds: float | None) -> str:
    """How far a cursor trails, in its two largest units: '12 s', '5 h 2 min', '2 d 4 h'."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{max(int(seconds), 0)} s"
    days, rest = divmod(int(seconds // 60), 1440)
    hours, minutes = divmod(rest, 60)
    units = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(units[:2])


def compact(value: Any) -> str:
    """JSON on one line, for audit before/after values."""
    return "–" if value is None else json.dumps(value, default=str, sort_keys=True)


def dom_id(*parts: str) -> str:
    """An element id from names that may hold spaces, dots or slashes."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", "-".join(parts))


def svg(text: str | None) -> Markup | None:
    return Markup(text) if text else None


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the test, not the admin
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when, number=number, percent=percent, duration=duration, compact=compact, svg=svg
    )
    env.globals["dom_id"] = dom_id
    return env


templates = Jinja2Templates(env=environment())


def render(
    request: Request,
    name: str,
    status_code: int = 200,
    *,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page (or an HTMX fragment) with the signed-in account, CSRF token and flash messages."""
    state = request.app.state
    user = context.setdefault("user", getattr(request.state, "account", None))
    fragment = request.headers.get("HX-Request") == "true"
    context.update(
        can_change=user is not None and user.role.may(Role.EDITOR),
        csrf=csrf_token(request),
        # A fragment has no place for them: they wait for the next whole page.
        flashes=[] if fragment else request.session.pop("flash", []),
        problems=state.console.problems,
    )
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )


def flash(request: Request, message: str, ok: bool = True) -> None:
    """A message for the next page this session loads."""
    # Assigned, not appended in place: the session saves itself only when set.
    request.session["flash"] = [*request.session.get("flash", []), {"ok": ok, "message": message}]
