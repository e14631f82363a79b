"""Who may do what: sign-in sessions, CSRF tokens, roles, and the login throttle.

Two checks run before every route (`GUARDS`, installed app-wide so no route can forget them):
a state-changing request must carry the session's CSRF token, in the `X-CSRF-Token` header
(HTMX) or the `csrf_token` form field, else 403; and, except for signing in and out, it must
come from an editor or owner, else 403. Pages need a signed-in account (`current_account`);
without one a browser is sent to /login.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from leadsync.console.users import Account, Role, account

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_CHANGES = frozenset({"/login", "/logout"})  # state-changing, yet open to every role
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised for a page that needs an account; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (an anonymous session gets one for the login form)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        sent = (await request.form()).get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not (expected and isinstance(sent, str) and hmac.compare_digest(sent, expected)):
        raise HTTPException(
            403,
            "This request did not carry the console's security token (CSRF), so nothing was "
            "changed. Reload the page and try again.",
        )


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def sign_in(request: Request, user_id: int, password_print: str) -> None:
    """A fresh session for this account, with a new CSRF token."""
    request.session.clear()
    request.session.update(uid=user_id, pw=password_print, since=int(time.time()))
    csrf_token(request)


def current_account(request: Request) -> Account:
    """The signed-in account; `LoginRequired` when there is none or it ended."""
    cached = getattr(request.state, "account", None)
    if cached is not None:
        return cached
    found = _session_account(request)
    if found is None:
        request.session.pop("uid", None)
        raise LoginRequired(_here(request))
    request.state.account = found
    return found


def _session_account(request: Request) -> Account | None:
    uid, print_, since = (request.session.get(k) for k in ("uid", "pw", "since"))
    lifetime = request.app.state.options.session_hours * 3600
    if not isinstance(uid, int) or not isinstance(since, int) or time.time() - since > lifetime:
        return None
    with request.app.state.console.runtime().sessions() as session:
        return account(session, uid, str(print_))


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    # Encoded whole, so the page's own query stays inside `next` and is not read by /login.
    return quote(request.url.path + query, safe="/")


def check_change_rights(request: Request) -> None:
    if request.method in SAFE_METHODS or request.url.path in OPEN_CHANGES:
        return
    user = current_account(request)
    if not user.role.may(Role.EDITOR):
        raise HTTPException(
            403,
            f"Your role ({user.role.value}) can look but not change anything; "
            "ask an owner for the editor role.",
        )


def require(role: Role) -> Callable[[Request], Account]:
    """A dependency: the signed-in account, if its role is at least `role`; else 403."""

    def dependency(request: Request) -> Account:
        user = current_account(request)
        if not user.role.may(role):
            raise HTTPException(
                403, f"This page is for the {role.value} role; yours is {user.role.value}."
            )
        return user

    return dependency


GUARDS = [Depends(check_csrf), Depends(check_change_rights)]


class LoginThrottle:
    """Failed sign-ins allowed per account and per client address in a moving window.

    In memory: one console process holds the counts, and a restart forgets them.
    """

    def __init__(self, per_account: int = 5, per_client: int = 20, minutes: int = 15) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._account = RateLimitItemPerMinute(per_account, minutes)
        self._client = RateLimitItemPerMinute(per_client, minutes)

    def wait(self, email: str, client: str) -> int:
        """Seconds until this account may try again from this client (0: now)."""
        waits = [
            self._limiter.get_window_stats(item, key).reset_time - time.time()
            for item, key in ((self._account, f"a:{email}"), (self._client, f"c:{client}"))
            if not self._limiter.test(item, key)
        ]
        return max(1, int(max(waits))) if waits else 0

    def failed(self, email: str, client: str) -> None:
        self._limiter.hit(self._account, f"a:{email}")
        self._limiter.hit(self._client, f"c:{client}")

    def succeeded(self, email: str) -> None:
        self._limiter.clear(self._account, f"a:{email}")
