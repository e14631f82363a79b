"""`POST /services/oauth2/token` (client credentials, JWT bearer and refresh token) and the
bearer check.

Token errors use OAuth's `{"error", "error_description"}` object with status 400, unlike
the REST API's error arrays. `instance_url` is the scheme and host the request came to, so
a client that follows it stays on the emulator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import Flask, Response, request

from leadsync.sandbox.control import mark_read
from leadsync.sandbox.salesforce.errors import json_response
from leadsync.sandbox.salesforce.state import SalesforceState

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_STANDARD_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description

    def response(self) -> Response:
        return json_response({"error": self.error, "error_description": self.description}, 400)


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer <t>` (or the older `OAuth <t>`)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None


def register(app: Flask, state: SalesforceState) -> None:
    @app.post("/services/oauth2/token")
    def oauth_token() -> Response:
        mark_read()  # issuing a token changes no records
        try:
            _authenticate(state, request.form.get("grant_type"))
        except OAuthError as error:
            return error.response()
        return json_response(_token_body(state))

    @app.get("/services/oauth2/userinfo")
    def userinfo() -> Response:
        """OpenID Connect userinfo: who the bearer token acts as (401 without a valid one)."""
        mark_read()
        token = bearer_token()
        if token is None or not state.is_valid_token(token):
            return json_response({"error": "invalid_token", "error_description":
                                  "Access token is invalid or expired"}, 401)  # fmt: skip
        user_id = state.user_of(token)
        with state.locked():
            user = next((u for u in state.rows("User", include_deleted=False)
                         if u["Id"] == user_id), {})  # fmt: skip
        return json_response({
            "sub": f"{request.scheme}://{request.host}/id/{state.settings.org_id}/{user_id}",
            "user_id": user_id, "organization_id": state.settings.org_id,
            "preferred_username": user.get("Username"), "name": user.get("Name"),
            "email": user.get("Email"),
        })  # fmt: skip


def _authenticate(state: SalesforceState, grant: str | None) -> None:
    if grant == "client_credentials":
        _check_client(state)
    elif grant == "refresh_token":
        _check_refresh(state, request.form.get("refresh_token", ""))
    elif grant == JWT_GRANT:
        _check_assertion(state, request.form.get("assertion", ""))
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")


def _check_client(state: SalesforceState) -> None:
    client_id = request.form.get("client_id")
    secret = request.form.get("client_secret")
    if request.authorization is not None and request.authorization.type == "basic":
        client_id = request.authorization.username
        secret = request.authorization.password
    if not client_id or client_id != state.settings.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not secret or not hmac.compare_digest(secret, state.settings.client_secret):
        raise OAuthError("invalid_client", "invalid client credentials")


def _check_refresh(state: SalesforceState, token: str) -> None:
    """The refresh token grant of a connected app (what extractors hold after OAuth)."""
    if request.form.get("client_id", state.settings.client_id) != state.settings.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if token != state.settings.refresh_token:
        raise OAuthError("invalid_grant", "expired access/refresh token")


def _check_assertion(state: SalesforceState, assertion: str) -> None:
    claims = _decode(state, assertion)
    if claims.get("iss") != state.settings.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not _audience_ok(claims.get("aud")):
        raise OAuthError("invalid_grant", "audience is invalid")
    if claims.get("sub") != state.settings.username:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    try:
        expires = int(claims["exp"])
    except (KeyError, TypeError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if expires < state.now().timestamp():
        raise OAuthError("invalid_grant", "expired authorization code")


def _decode(state: SalesforceState, assertion: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(assertion)
        if header.get("alg") != "RS256":
            raise OAuthError("invalid_grant", "invalid assertion")
        key = state.settings.jwt_public_key
        options = {"verify_signature": key is not None, "verify_aud": False, "verify_exp": False}
        return jwt.decode(assertion, key or "", algorithms=["RS256"], options=options)
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None


def _audience_ok(audience: Any) -> bool:
    """login/test, a My Domain, or the emulator's own origin."""
    if not isinstance(audience, str):
        return False
    own = f"{request.scheme}://{request.host}"
    host = urlsplit(audience).hostname or ""
    return audience.rstrip("/") in (*_STANDARD_AUDIENCES, own) or host.endswith(".salesforce.com")


def _token_body(state: SalesforceState) -> dict[str, str]:
    instance_url = f"{request.scheme}://{request.host}"
    identity = f"{instance_url}/id/{state.settings.org_id}/{state.settings.user_id}"
    issued_at = str(int(time.time() * 1000))
    digest = hmac.new(
        state.settings.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
    ).digest()
    return {
        "access_token": state.issue_token(),
        "signature": base64.b64encode(digest).decode(),
        "scope": "api",
        "instance_url": instance_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
