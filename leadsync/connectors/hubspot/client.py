"""The official HubSpot client behind leadsync's pacing, budget, classification and retries.

Every call goes: budget → pacer(s) → the `hubspot-api-client` method (raw body, so property
values stay the strings HubSpot sent and decoding 25,000 records stays cheap) → headers
observed → JSON. A failure is turned into a classified `ConnectorError` and retried by the one
`Policy`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import requests
import urllib3
from hubspot import HubSpot
from hubspot.crm.associations.v4 import ApiException as AssociationsError
from hubspot.crm.objects import ApiException as ObjectsError
from hubspot.crm.owners import ApiException as OwnersError
from hubspot.crm.properties import ApiException as PropertiesError
from hubspot.events import ApiException as EventsError
from hubspot.marketing.events import ApiException as MarketingEventsError
from hubspot.marketing.forms import ApiException as FormsError
from urllib3.util.retry import Retry

from leadsync.connectors.hubspot.settings import HubSpotSettings
from leadsync.connectors.redact import header_refusal, scrub
from leadsync.connectors.retry import ERRORS, Budget, Failure, Policy, classify, pacer
from leadsync.errors import AuthError, ConnectorError, Rejected, Transient

# Each client sub-package has its own exception tree; these are the ones leadsync calls into.
API_ERRORS = (
    ObjectsError,
    AssociationsError,
    EventsError,
    PropertiesError,
    FormsError,
    MarketingEventsError,
    OwnersError,
)

SYSTEM = "hubspot"


class RejectedRequest(Rejected):
    """A refused request with HubSpot's details, so a batch can tell which records caused it."""

    def __init__(self, message: str, *, detail: dict[str, Any], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.category = str(detail.get("category") or "")
        self.detail_message = str(detail.get("message") or "")
        self.context: dict[str, list[str]] = detail.get("context") or {}
        self.problems = _problems(detail)


class HubSpotClient:
    """Cached API objects of the official client plus the call discipline leadsync needs."""

    def __init__(self, settings: HubSpotSettings, *, policy: Policy | None = None) -> None:
        self.settings = settings
        token = settings.access_token.get_secret_value()
        # Retries belong to leadsync's policy, not to urllib3's hidden ones.
        hs = HubSpot(access_token=token, host=settings.base_url.rstrip("/"), retry=Retry(0))
        # Every attribute access builds a new ApiClient and connection pool: keep one of each.
        self.objects = hs.crm.objects.basic_api
        self.search_api = hs.crm.objects.search_api
        self.batch = hs.crm.objects.batch_api
        self.associations = hs.crm.associations.v4.batch_api
        self.events = hs.events.events_api
        self.properties = hs.crm.properties.core_api
        self.property_batch = hs.crm.properties.batch_api
        self.groups = hs.crm.properties.groups_api
        self.forms = hs.marketing.forms.forms_api
        self.marketing_events = hs.marketing.events.basic_api
        self.owners = hs.crm.owners.owners_api
        self.participations = hs.marketing.events.retrieve_participant_state_api
        # Legacy v1 endpoints have no wrapper in the client; its `api_request` sends without a
        # timeout, so they go through one session that carries the same token.
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.policy = policy or Policy(settings.retry)
        # One portal's limits, whichever process calls: keyed by a digest of portal and token.
        portal = hashlib.sha256(f"{settings.base_url}|{token}".encode()).hexdigest()[:16]
        self.pacer = pacer(f"hubspot:{portal}:10s", settings.ten_second_limit, 10.0)
        self.search_pacer = pacer(f"hubspot:{portal}:search", settings.search_per_second, 1.0)
        self.budget = Budget(
            "HubSpot",
            settings.daily_budget_share,
            setting="hubspot.daily_budget_share",
            resets="at midnight in the HubSpot account's time zone",
        )

    def call(
        self, what: str, method: Callable[..., Any], /, *args: Any, search: bool = False, **kw: Any
    ) -> Any:
        """Run one client method with pacing, budget and retries; return the decoded JSON body."""
        kw.update(_preload_content=False, _request_timeout=self.settings.retry.timeout)

        def attempt() -> Any:
            self._before(search)
            try:
                response = method(*args, **kw)
                data = response.data  # read here: a connection cut mid-body raises now
            except ValueError as exc:  # http.client refusing a header value quotes it
                raise self._refused(exc) from None
            except API_ERRORS as exc:
                raise self._error(what, exc.status or None, exc.body, exc.headers) from None
            except urllib3.exceptions.HTTPError as exc:
                raise self._error(what, None, type(exc).__name__, None) from None
            self._observe(response.headers)
            return self._decode(what, response.status, data)

        return self.policy.call(attempt)

    def get(self, what: str, path: str, params: Mapping[str, Any]) -> Any:
        """GET a legacy endpoint that the official client does not wrap."""

        def attempt() -> Any:
            self._before(False)
            url = self.settings.base_url.rstrip("/") + path
            try:
                response = self.http.get(url, params=params, timeout=self.settings.retry.timeout)
            except (requests.exceptions.InvalidHeader, ValueError) as exc:
                raise self._refused(exc) from None
            except requests.RequestException as exc:
                raise self._error(what, None, type(exc).__name__, None) from None
            if response.status_code >= 300:
                raise self._error(what, response.status_code, response.text, response.headers)
            self._observe(response.headers)
            return self._decode(what, response.status_code, response.content)

        return self.policy.call(attempt)

    def _refused(self, exc: ValueError) -> ConnectorError:
        if "header" in str(exc).lower():
            variable = "LEADSYNC_HUBSPOT__ACCESS_TOKEN"
            return AuthError(header_refusal("HubSpot", variable, exc), system=SYSTEM)
        return Rejected(f"HubSpot: the request could not be sent: {self._scrub(str(exc))}",
                        system=SYSTEM)  # fmt: skip

    def _scrub(self, text: str) -> str:
        return scrub(text, [self.settings.access_token.get_secret_value()])

    def _decode(self, what: str, status: int, data: bytes) -> Any:
        """The JSON body; an empty or unreadable one (a proxy's, a cut) is worth a retry."""
        if status == 204:
            return None
        try:
            return json.loads(data)
        except ValueError:
            said = "an empty answer" if not data else "an answer that is not JSON"
            raise Transient(
                f"HubSpot sent {said} ({status}) to the call to {what}; retrying may help, "
                "and nothing was lost if it does not: run again later.",
                system=SYSTEM,
                status=status,
            ) from None

    def _before(self, search: bool) -> None:
        self.budget.spend()
        self.pacer.acquire()
        if search:
            self.search_pacer.acquire()

    def _observe(self, headers: Mapping[str, str] | None) -> None:
        if not headers:
            return
        daily = headers.get("X-HubSpot-RateLimit-Daily")
        remaining = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if daily and remaining and daily.isdigit() and remaining.isdigit():
            self.budget.observe(int(daily) - int(remaining), int(daily))
        # What is left of the portal's ten-second window, counting every app that uses it.
        window = headers.get("X-HubSpot-RateLimit-Remaining")
        if window and window.isdigit():
            self.pacer.observe(int(window))

    def _error(
        self, what: str, status: int | None, body: Any, headers: Mapping[str, str] | None
    ) -> ConnectorError:
        detail = _body(body)
        policy = str(detail.get("policyName") or "")
        category = str(detail.get("category") or detail.get("errorType") or "")
        code = policy if status == 429 and policy else category
        message = str(detail.get("message") or (body if isinstance(body, str) else "") or "")
        message = self._scrub(message)[:300]
        failure = classify(SYSTEM, status, code, message)
        text = explain(failure, what, status, code, message)
        if failure is Failure.REJECTED:
            return RejectedRequest(text, detail=detail, system=SYSTEM, status=status)
        if failure is Failure.RATE_LIMITED:
            return ERRORS[failure](
                text, retry_after=_retry_after(headers, policy), system=SYSTEM, status=status
            )
        return ERRORS[failure](text, system=SYSTEM, status=status)


def _body(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


def _problems(detail: dict[str, Any]) -> list[dict[str, str]]:
    """Per-property validation problems: `[{"name", "error", "message"}]`.

    HubSpot embeds them as a JSON array inside `message` ("Property values were not valid:
    [...]") and, in newer answers, lists them in `errors[]` with `context.propertyName`.
    """
    message = str(detail.get("message") or "")
    start = message.find("[")
    if start >= 0:
        try:
            found = json.loads(message[start:])
        except ValueError:
            found = None
        if isinstance(found, list) and all(isinstance(p, dict) for p in found):
            return [{k: str(p.get(k) or "") for k in ("name", "error", "message")} for p in found]
    problems = []
    for error in detail.get("errors") or []:
        names = ((error.get("context") or {}).get("propertyName")) or [""]
        problems.append(
            {"name": names[0], "error": error.get("code") or "", "message": error.get("message")}
        )
    return problems


def _retry_after(headers: Mapping[str, str] | None, policy: str) -> float:
    """Seconds to wait before the next try; 0 lets the policy choose its configured default."""
    value = (headers or {}).get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        # The search limit is per second; the 10-second window has no documented duration.
        return 1.0 if policy == "SECONDLY" else 0.0


def explain(failure: Failure, what: str, status: int | None, code: str, message: str) -> str:
    """A message that says what happened and what to do; never includes the token."""
    answer = f"{status} {code}".strip() if status else "no answer"
    said = f": {message}" if message else ""
    return {
        Failure.QUOTA: (
            f"HubSpot: the account's daily API limit is used up ({answer}{said}) while trying to "
            f"{what}. leadsync stopped without retrying and nothing was lost. Run again after the "
            "limit resets at midnight in the account's time zone, or lower "
            "`hubspot.daily_budget_share` so leadsync leaves room for other integrations."
        ),
        Failure.RATE_LIMITED: f"HubSpot rate-limited the call to {what} ({answer}{said}).",
        Failure.TRANSIENT: (
            f"HubSpot did not complete the call to {what} ({answer}{said}) after retrying; "
            "run again later (nothing was lost)."
        ),
        Failure.AUTH_EXPIRED: (
            f"HubSpot refused the access token while trying to {what} ({answer}{said}). Set a "
            "valid private-app token in LEADSYNC_HUBSPOT__ACCESS_TOKEN."
        ),
        Failure.DENIED: (
            f"HubSpot denied the call to {what} ({answer}{said}). Give the private app the "
            "missing scopes (crm.objects.contacts.read/write, crm.schemas.contacts.write, forms, "
            "content, analytics) and run again."
        ),
        Failure.REJECTED: f"HubSpot rejected the call to {what} ({answer}{said}).",
    }[failure]
