"""ASGI layers around the console: session cookies and security headers.

The session cookie is signed (not encrypted: it holds an account id, a password-hash digest
and the CSRF token, nothing secret from its owner), HttpOnly and SameSite=Lax always, and
Secure whenever the request came over HTTPS. Behind a TLS proxy the scheme is the proxy's only
when the proxy is trusted (`ConsoleOptions.trusted_proxies`); then uvicorn's proxy-headers
layer has already put it into the scope.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "leadsync_console"

# Scripts only from the console itself (the vendored htmx): a value that slips into a page
# unescaped still cannot run. Inline styles stay allowed for the server-rendered SVG charts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class Sessions:
    """Starlette's signed-cookie sessions, with the Secure flag chosen per request."""

    def __init__(self, app: ASGIApp, *, secret_key: str, max_age: int) -> None:
        options = {
            "secret_key": secret_key,
            "session_cookie": COOKIE,
            "max_age": max_age,
            "same_site": "lax",
        }
        self.plain = SessionMiddleware(app, https_only=False, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") in ("https", "wss") else self.plain
        await chosen(scope, receive, send)


class SecurityHeaders:
    """Adds `HEADERS` to every response; pages (not static files) are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
