"""simple-salesforce behind leadsync's budget, classification, re-login and retries.

Every call goes: budget → the `Salesforce` method → `Sforce-Limit-Info` observed. A failure is
classified by `retry.CLASSIFICATION`; a 401 `INVALID_SESSION_ID` logs in again once (not in
`session` mode, whose token cannot be renewed) and repeats the call. An answer that is empty,
not JSON or cut off mid-body is transient, like a 5xx; a 429 waits as its `Retry-After` says
(simple-salesforce drops the response, so the session's hook keeps that header).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from leadsync.connectors.redact import header_refusal, scrub
from leadsync.connectors.retry import ERRORS, Budget, Failure, Policy, classify
from leadsync.connectors.salesforce.auth import http_session, login, untrusted
from leadsync.connectors.salesforce.describes import Describes
from leadsync.connectors.salesforce.settings import SalesforceSettings
from leadsync.errors import AuthError, ConnectorError, Rejected

T = TypeVar("T")
SYSTEM = "salesforce"


class RejectedCall(Rejected):
    """A refused request; `code` is Salesforce's `errorCode` (e.g. `INVALID_FIELD`)."""

    def __init__(self, message: str, *, code: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.code = code


class SalesforceClient:
    """One logged-in `Salesforce` object (made on first use) and the call discipline."""

    def __init__(
        self, settings: SalesforceSettings, *, policy: Policy | None = None,
        describes: Describes | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.session = http_session(settings)
        self.policy = policy or Policy(settings.retry)
        self.budget = Budget(
            "Salesforce",
            settings.daily_budget_share,
            setting="salesforce.daily_budget_share",
            resets="it is counted over a rolling 24 hours",
        )
        self._sf: Salesforce | None = None
        self.user_id: str | None = None  # the integration user, when the login says
        # Per client (one run) unless the caller shares a longer-lived store (`leadsync run`).
        self._describes = describes or Describes(max_age=float("inf"))
        self._last = threading.local()
        self.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last.retry_after = response.headers.get("Retry-After")

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self.relogin()
        assert self._sf is not None
        return self._sf

    def relogin(self) -> None:
        token = login(self.settings, self.session)
        self.user_id = token.user_id or self.user_id
        self._sf = Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self.session,
            version=self.settings.api_version,
        )

    def call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        """Run `fn(sf)` with budget and retries; raises a classified `ConnectorError`."""

        def attempt() -> T:
            sf = self.sf
            self.budget.spend()
            sf.api_usage = {}  # so only this call's `Sforce-Limit-Info` is observed
            try:
                result = fn(sf)
            except SalesforceError as exc:
                raise self._error(what, exc.status, exc.content) from None
            except requests.exceptions.SSLError:
                raise untrusted(self.settings) from None
            except requests.exceptions.InvalidHeader as exc:
                variable = "LEADSYNC_SALESFORCE__ACCESS_TOKEN"
                raise AuthError(
                    header_refusal("Salesforce", variable, exc), system=SYSTEM
                ) from None
            except requests.exceptions.JSONDecodeError:
                raise self._error(what, None, "the answer was empty or not JSON") from None
            except requests.RequestException as exc:
                raise self._error(what, None, type(exc).__name__) from None
            self.observe(sf)
            return result

        refresh = None if self.settings.auth == "session" else self.forget_session
        return self.policy.call(attempt, refresh=refresh)

    def forget_session(self) -> None:
        """Log in again on the next attempt (inside the policy, so a failed login is retried)."""
        self._sf = None

    def observe(self, sf: Salesforce) -> None:
        usage = sf.api_usage.get("api-usage")
        if usage is not None:
            self.budget.observe(usage.used, usage.total)

    def describe(self, obj: str) -> dict[str, Any]:
        """`sobjects/{obj}/describe`, once per connector (or per `Describes.max_age`)."""
        key = (self.settings.instance_url, obj)
        described = self._describes.get(key)
        if described is None:
            described = self.call(
                f"describe {obj}",
                lambda sf: sf.restful(f"sobjects/{obj}/describe", timeout=self.timeout),
            )
            self._describes.put(key, described)
        return described

    def forget_describe(self, obj: str) -> None:
        """Describe `obj` afresh on next use (after its fields changed)."""
        self._describes.forget((self.settings.instance_url, obj))

    @property
    def timeout(self) -> float:
        return self.settings.retry.timeout

    def _error(self, what: str, status: int | None, content: Any) -> ConnectorError:
        code, message = _first_error(content)
        secrets = [getattr(self._sf, "session_id", None), _secret(self.settings.access_token)]
        message = scrub(message, [*secrets, _secret(self.settings.client_secret)])
        failure = classify(SYSTEM, status, code, message)
        text = explain(failure, what, status, code, message, self.settings.auth)
        if failure is Failure.RATE_LIMITED:
            # The concurrent long-request limit frees up as running requests finish.
            wait = _seconds(getattr(self._last, "retry_after", None)) if status == 429 else 20.0
            return ERRORS[failure](text, retry_after=wait, system=SYSTEM, status=status)
        if failure is Failure.REJECTED:
            if code == "INVALID_FIELD":  # a kept describe lists a field the user lost
                self._describes.clear()
            return RejectedCall(text, code=code, system=SYSTEM, status=status)
        return ERRORS[failure](text, system=SYSTEM, status=status)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _seconds(value: str | None) -> float:
    """`Retry-After` in seconds; 0 (the policy's own default) when absent or a date."""
    try:
        return max(float(value or 0), 0.0)
    except ValueError:
        return 0.0


def _first_error(content: Any) -> tuple[str, str]:
    """Salesforce errors are a JSON array of `{message, errorCode, fields}`."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return str(first.get("errorCode") or ""), str(first.get("message") or "")[:300]
    if isinstance(content, dict):
        return str(content.get("errorCode") or ""), str(content.get("message") or "")[:300]
    return "", str(content or "")[:300]


def explain(
    failure: Failure, what: str, status: int | None, code: str, message: str, auth: str
) -> str:
    """A message that says what happened and what to do; never includes the token."""
    answer = f"{status} {code}".strip() if status else "no answer"
    said = f": {message}" if message else ""
    renew = (
        "Set a fresh token in LEADSYNC_SALESFORCE__ACCESS_TOKEN, or switch salesforce.auth to "
        "client_credentials or jwt so leadsync can log in again by itself."
        if auth == "session"
        else "Check the connected app and its run-as user; logging in again did not help."
    )
    return {
        Failure.QUOTA: (
            f"Salesforce: the org's daily API request limit is used up ({answer}{said}) while "
            f"trying to {what}. leadsync stopped without retrying and nothing was lost. Run again "
            "once usage has dropped (the limit counts a rolling 24 hours; Setup → Company "
            "Information shows it), or lower `salesforce.daily_budget_share` so leadsync stops "
            "earlier and leaves room for other integrations."
        ),
        Failure.RATE_LIMITED: (
            f"Salesforce is busy with long-running requests ({answer}{said})."
            if status == 403
            else f"Salesforce rate-limited the call to {what} ({answer}{said})."
        ),
        Failure.TRANSIENT: (
            f"Salesforce did not complete the call to {what} ({answer}{said}) after retrying; "
            "run again later (nothing was lost)."
        ),
        Failure.AUTH_EXPIRED: f"Salesforce refused the session while trying to {what} "
        f"({answer}{said}). {renew}",
        Failure.DENIED: (
            f"Salesforce denied the call to {what} ({answer}{said}). Give the integration user "
            "API access and read/edit permission on Lead, Contact, Opportunity, Task, Event and "
            "CampaignMember."
        ),
        Failure.REJECTED: f"Salesforce rejected the call to {what} ({answer}{said}).",
    }[failure]
