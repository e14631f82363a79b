"""How the console answers what went wrong: a page that says what and what to do, never a
traceback. A missing sign-in is not an error page but a redirect to /login (for HTMX, the
`HX-Redirect` header, so the whole page goes there rather than a fragment)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from leadsync.console.render import render
from leadsync.console.security import LoginRequired
from leadsync.errors import LeadsyncError

log = logging.getLogger("leadsync.console")


def _login(request: Request, exc: LoginRequired) -> Response:
    target = f"/login?next={exc.next_url}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status, status=status, message=message)


def _http(request: Request, exc: HTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else "That did not work."
    if exc.status_code == 404 and message == "Not Found":
        message = "There is no such page here; use the menu above."
    elif exc.status_code == 405:
        message = "That address does not take this kind of request."
    return _page(request, exc.status_code, message)


def _invalid(request: Request, exc: RequestValidationError) -> Response:
    problems = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
    return _page(request, 400, "The request was not understood: " + "; ".join(problems))


def _expected(request: Request, exc: LeadsyncError) -> Response:
    return _page(request, 400, str(exc))


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("console: %s %s failed", request.method, request.url.path)
    return HTMLResponse(
        "<!doctype html><title>Error</title><h1>Something went wrong</h1>"
        "<p>The console's log has the details. Try again, or go back to <a href='/health'>"
        "Health</a>.</p>",
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(LeadsyncError, _expected)
    app.add_exception_handler(Exception, _unexpected)
