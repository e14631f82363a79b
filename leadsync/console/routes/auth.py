"""Signing in and out. Failed attempts are throttled per account and per client address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console.render import render
from leadsync.console.routes import runtime
from leadsync.console.security import sign_in
from leadsync.console.users import authenticate, fingerprint

router = APIRouter()
HOME = "/health"


def safe_next(target: str) -> str:
    """Only a path on this console: never another site (an open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return HOME


@router.get("/login")
def login_form(request: Request, next: str = HOME) -> Response:
    return render(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    throttle = request.app.state.throttle
    client = request.client.host if request.client else "unknown"
    who = email.strip().lower()
    wait = throttle.wait(who, client)
    if wait:
        minutes = -(-wait // 60)
        error = f"Too many failed sign-ins. Try again in {minutes} minute{'s' * (minutes > 1)}."
        page = render(request, "login.html", 429, next=safe_next(next), email=email, error=error)
        page.headers["Retry-After"] = str(wait)
        return page
    with runtime(request).sessions.begin() as session:
        row = authenticate(session, who, password)
        found = (row.id, fingerprint(row.password_hash)) if row else None
    if found is None:
        throttle.failed(who, client)
        error = "That email and password do not match an account."
        return render(request, "login.html", 401, next=safe_next(next), email=email, error=error)
    throttle.succeeded(who)
    sign_in(request, *found)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
