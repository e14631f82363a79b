"""Getting an access token: OAuth client credentials, JWT bearer, or a given session token.

simple-salesforce logs in by itself only against `*.salesforce.com` host names and refreshes
only its own logins, so leadsync asks the configured token endpoint itself, over the same
CA-trusting session, and hands the token to `Salesforce(session_id=…, instance_url=…)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from requests.adapters import HTTPAdapter

from leadsync.connectors.salesforce.settings import SalesforceSettings
from leadsync.errors import AuthError, ConfigError, Transient

JWT_LIFETIME_SECONDS = 180
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str
    # The logged-in user, from the identity URL `…/id/<org id>/<user id>` (None: not said).
    user_id: str | None = None

    def __repr__(self) -> str:
        return f"Token(instance_url={self.instance_url!r})"


class _TrustingAdapter(HTTPAdapter):
    """Verifies HTTPS against one CA bundle.

    `Session.verify` alone is not enough: requests lets `REQUESTS_CA_BUNDLE` or
    `CURL_CA_BUNDLE` from the environment override it for every request.
    """

    def __init__(self, ca_bundle: str) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self.ca_bundle
        return super().send(request, **kwargs)


# Named in every call (`Sforce-Call-Options`), so change events of leadsync's own writes carry
# it in their `changeOrigin` and are recognised as echoes.
CALL_CLIENT = "leadsync"


def http_session(settings: SalesforceSettings) -> requests.Session:
    """The one session every Salesforce call uses; it trusts `ca_bundle` when one is set."""
    session = requests.Session()
    session.headers["Sforce-Call-Options"] = f"client={CALL_CLIENT}"
    if settings.ca_bundle is not None:
        if not settings.ca_bundle.is_file():
            raise ConfigError(
                f"salesforce.ca_bundle: {settings.ca_bundle} does not exist; point it at the PEM "
                "file of the CA that signed the Salesforce host's certificate"
            )
        session.verify = str(settings.ca_bundle)
        session.mount("https://", _TrustingAdapter(str(settings.ca_bundle)))
    return session


def untrusted(settings: SalesforceSettings) -> ConfigError:
    """The answer to a TLS failure: retrying cannot help, the CA configuration can."""
    where = settings.ca_bundle or "the system's CA store"
    return ConfigError(
        f"salesforce.ca_bundle: the certificate of {settings.instance_url} is not trusted by "
        f"{where}; set salesforce.ca_bundle to the PEM file of the CA that signed it"
    )


def login(settings: SalesforceSettings, session: requests.Session) -> Token:
    """A fresh token for the configured auth mode; raises `AuthError` when refused."""
    if settings.auth == "session":
        assert settings.access_token is not None
        return Token(settings.access_token.get_secret_value(), settings.instance_url)
    data = _grant(settings)
    auth = None
    if settings.auth == "client_credentials":
        assert settings.client_id is not None and settings.client_secret is not None
        auth = (settings.client_id, settings.client_secret.get_secret_value())
    try:
        response = session.post(
            settings.token_endpoint, data=data, auth=auth, timeout=settings.retry.timeout
        )
    except requests.exceptions.SSLError:
        raise untrusted(settings) from None
    except requests.RequestException as exc:
        raise Transient(
            f"Salesforce: could not reach the token endpoint {settings.token_endpoint} "
            f"({type(exc).__name__}); check salesforce.instance_url and the network",
            system="salesforce",
        ) from None
    if response.status_code >= 500:
        raise Transient(
            f"Salesforce: the token endpoint answered {response.status_code}; try again later",
            system="salesforce",
            status=response.status_code,
        )
    body = _json(response)
    if response.status_code != 200 or "access_token" not in body:
        raise AuthError(_refusal(settings, response.status_code, body), system="salesforce")
    identity = str(body.get("id") or "")
    user_id = identity.rstrip("/").rsplit("/", 1)[-1] if "/id/" in identity else None
    return Token(body["access_token"], body.get("instance_url") or settings.instance_url, user_id)


def _grant(settings: SalesforceSettings) -> dict[str, str]:
    if settings.auth == "client_credentials":
        return {"grant_type": "client_credentials"}
    assert settings.private_key_file is not None
    try:
        key = settings.private_key_file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"salesforce.private_key_file: cannot read {settings.private_key_file} ({exc.strerror})"
        ) from None
    claims = {
        "iss": settings.client_id,
        "sub": settings.username,
        "aud": settings.jwt_audience,
        "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
    }
    return {"grant_type": JWT_BEARER, "assertion": jwt.encode(claims, key, algorithm="RS256")}


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refusal(settings: SalesforceSettings, status: int, body: dict) -> str:
    error = body.get("error") or status
    detail = body.get("error_description") or ""
    fix = {
        "client_credentials": "check salesforce.client_id and LEADSYNC_SALESFORCE__CLIENT_SECRET, "
        "and that the connected app enables the client credentials flow with a run-as user",
        "jwt": "check salesforce.client_id, salesforce.username, the private key and that the "
        "user is pre-authorised for the connected app",
    }[settings.auth]
    return f"Salesforce refused the {settings.auth} login ({error}: {detail}); {fix}."
