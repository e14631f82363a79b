"""Tokens, sessions, the daily allowance and injected faults, seen through real clients.

simple-salesforce's own logins build `https://{domain}.salesforce.com/...`, which cannot reach
a local emulator; these tests show both supported paths: the connector's own token request
followed by `Salesforce(instance_url=..., session_id=...)`, and, with a session that maps the
My Domain host onto the emulator, simple-salesforce's built-in re-login on 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from leadsync.sandbox.control import Control, Fault
from leadsync.sandbox.salesforce import (
    RunningEmulator,
    SalesforceSettings,
    SalesforceState,
    issue_certificates,
    serve,
)

MY_DOMAIN = "leadsync-sandbox.my"
TOKEN_ROUTE = "POST /services/oauth2/token"


def _pem(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    private, public = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    stranger, _ = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return {"private": private, "public": public, "stranger": stranger}


@pytest.fixture(scope="module")
def control() -> Control:
    return Control()


@pytest.fixture(scope="module")
def emulator(
    tmp_path_factory: pytest.TempPathFactory, control: Control, keys: dict[str, str]
) -> Iterator[RunningEmulator]:
    state = SalesforceState(SalesforceSettings(jwt_public_key=keys["public"]))
    state.load({"Lead": [{"LastName": f"L{n}", "Company": "C"} for n in range(30)]})
    with serve(state, issue_certificates(tmp_path_factory.mktemp("tls")), control=control) as emu:
        yield emu


@pytest.fixture(autouse=True)
def fresh_world(emulator: RunningEmulator, control: Control) -> Iterator[None]:
    yield
    emulator.state.reset()
    emulator.state.set_daily_allowance(100_000)
    control.reset_stats()
    control.clear_faults()


def token_request(emulator: RunningEmulator, **kwargs: Any) -> requests.Response:
    return emulator.session().post(f"{emulator.url}/services/oauth2/token", **kwargs)


def client_credentials(emulator: RunningEmulator) -> dict[str, str]:
    settings = emulator.state.settings
    response = token_request(
        emulator,
        data={"grant_type": "client_credentials"},
        auth=(settings.client_id, settings.client_secret),
    )
    assert response.status_code == 200, response.text
    return response.json()


def direct_client(emulator: RunningEmulator, token: str | None = None) -> Salesforce:
    return Salesforce(
        instance_url=emulator.url,
        session_id=token or emulator.state.session_id,
        session=emulator.session(),
    )


def assertion(emulator: RunningEmulator, key: str, **claims: Any) -> str:
    settings = emulator.state.settings
    payload = {
        "iss": settings.client_id,
        "sub": settings.username,
        "aud": "https://login.salesforce.com",
        "exp": f"{time.time() + 180:.0f}",  # a string, as simple-salesforce sends it
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256")


class MyDomainSession(requests.Session):
    """Maps the org's My Domain host onto the emulator, as DNS would for a real org."""

    def __init__(self, emulator: RunningEmulator) -> None:
        super().__init__()
        self.verify = str(emulator.tls.ca_bundle)
        self.trust_env = False
        self.emulator_url = emulator.url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        target = f"https://{MY_DOMAIN}.salesforce.com"
        if isinstance(url, str) and url.startswith(target):
            url = self.emulator_url + url[len(target) :]
        return super().request(method, url, *args, **kwargs)


def test_client_credentials_token_answers_like_salesforce(emulator: RunningEmulator) -> None:
    body = client_credentials(emulator)
    assert set(body) == {
        "access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"
    }  # fmt: skip
    assert body["instance_url"] == emulator.url
    assert body["token_type"] == "Bearer"
    secret = emulator.state.settings.client_secret.encode()
    expected = hmac.new(secret, (body["id"] + body["issued_at"]).encode(), hashlib.sha256)
    assert base64.b64decode(body["signature"]) == expected.digest()
    assert direct_client(emulator, body["access_token"]).query("SELECT Id FROM Lead")["totalSize"]


def test_client_credentials_in_the_form_body(emulator: RunningEmulator) -> None:
    settings = emulator.state.settings
    response = token_request(
        emulator,
        data={
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "auth", "error"),
    [
        ({"grant_type": "client_credentials"}, ("leadsync-sandbox-consumer-key", "wrong"),
         {"error": "invalid_client", "error_description": "invalid client credentials"}),
        ({"grant_type": "client_credentials"}, ("nobody", "x"),
         {"error": "invalid_client_id", "error_description": "client identifier invalid"}),
        ({"grant_type": "password"}, None,
         {"error": "unsupported_grant_type", "error_description": "grant type not supported"}),
    ],
)  # fmt: skip
def test_token_errors_are_oauth_objects(
    emulator: RunningEmulator, data: dict, auth: tuple | None, error: dict
) -> None:
    response = token_request(emulator, data=data, auth=auth)
    assert (response.status_code, response.json()) == (400, error)


def test_jwt_bearer_assertion_is_checked(emulator: RunningEmulator, keys: dict[str, str]) -> None:
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    def exchange(token: str) -> requests.Response:
        return token_request(emulator, data={"grant_type": grant, "assertion": token})

    good = exchange(assertion(emulator, keys["private"]))
    assert good.status_code == 200 and good.json()["instance_url"] == emulator.url
    refusals = {
        "forged": exchange(assertion(emulator, keys["stranger"])),
        "expired": exchange(assertion(emulator, keys["private"], exp=int(time.time()) - 60)),
        "issuer": exchange(assertion(emulator, keys["private"], iss="someone-else")),
        "audience": exchange(assertion(emulator, keys["private"], aud="https://example.com")),
        "garbage": exchange("not-a-jwt"),
    }
    assert {k: r.status_code for k, r in refusals.items()} == dict.fromkeys(refusals, 400)
    assert refusals["forged"].json()["error"] == "invalid_grant"
    assert refusals["issuer"].json()["error"] == "invalid_client_id"


def test_expired_session_then_refresh_through_the_token_endpoint(
    emulator: RunningEmulator,
) -> None:
    sf = direct_client(emulator)
    sf.query("SELECT Id FROM Lead LIMIT 1")
    emulator.state.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM Lead LIMIT 1")
    assert expired.value.status == 401
    assert expired.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    fresh = direct_client(emulator, client_credentials(emulator)["access_token"])
    assert fresh.query("SELECT COUNT() FROM Lead")["totalSize"] == 30


def test_simple_salesforce_relogs_in_on_401_with_client_credentials(
    emulator: RunningEmulator, control: Control
) -> None:
    settings = emulator.state.settings
    sf = Salesforce(
        consumer_key=settings.client_id,
        consumer_secret=settings.client_secret,
        domain=MY_DOMAIN,
        session=MyDomainSession(emulator),
    )
    assert sf.sf_instance == emulator.url.removeprefix("https://")
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 30
    emulator.state.expire_sessions()
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 30
    assert control.stats["salesforce"].by_route[TOKEN_ROUTE] == 2


def test_simple_salesforce_jwt_login(emulator: RunningEmulator, keys: dict[str, str]) -> None:
    settings = emulator.state.settings
    sf = Salesforce(
        username=settings.username,
        consumer_key=settings.client_id,
        privatekey=keys["private"],
        domain=MY_DOMAIN,
        session=MyDomainSession(emulator),
    )
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 30


def test_limits_agree_with_the_usage_header(emulator: RunningEmulator) -> None:
    sf = direct_client(emulator)
    sf.query("SELECT Id FROM Lead LIMIT 1")
    limits = sf.limits()["DailyApiRequests"]
    usage = sf.api_usage["api-usage"]
    assert usage.total == limits["Max"] == 100_000
    assert usage.used == limits["Max"] - limits["Remaining"] == 2


def test_spent_allowance_answers_403_request_limit_exceeded(
    emulator: RunningEmulator, control: Control
) -> None:
    sf = direct_client(emulator)
    emulator.state.set_daily_allowance(3)
    for _ in range(3):
        sf.query("SELECT Id FROM Lead LIMIT 1")
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Lead LIMIT 1")
    assert refused.value.status == 403
    assert refused.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert control.stats["salesforce"].throttled == 1


def test_injected_faults_use_salesforce_bodies(emulator: RunningEmulator, control: Control) -> None:
    control.add_fault(
        Fault("salesforce", 503, route="GET /services/data/{version}/query/", remaining=1)
    )
    sf = direct_client(emulator)
    with pytest.raises(SalesforceGeneralError) as unavailable:
        sf.query("SELECT Id FROM Lead")
    assert unavailable.value.status == 503
    assert unavailable.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 30
    assert "Sforce-Limit-Info" in emulator.session().get(f"{emulator.url}/services/data/").headers


def test_unknown_resources_and_missing_tokens(emulator: RunningEmulator) -> None:
    sf = direct_client(emulator)
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.restful("sobjects/Widget__c/describe")
    assert missing.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    anonymous = emulator.session().get(f"{emulator.url}/services/data/v59.0/limits/")
    assert anonymous.status_code == 401
    assert anonymous.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    wrong_version = emulator.session().get(
        f"{emulator.url}/services/data/59.0/limits/",
        headers={"Authorization": f"Bearer {emulator.state.session_id}"},
    )
    assert wrong_version.status_code == 404


def test_parallel_writers_and_readers(emulator: RunningEmulator) -> None:
    def work(worker: int) -> int:
        sf = direct_client(emulator)
        for n in range(20):
            sf.Lead.create({"LastName": f"W{worker}-{n}", "Company": "Threads"})
        return sf.query("SELECT COUNT() FROM Lead WHERE Company = 'Threads'")["totalSize"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(work, range(8)))
    assert max(seen) == 160
    assert emulator.state.counts()["Lead"] == 190


def test_the_refresh_token_grant_gives_a_working_session(emulator: RunningEmulator) -> None:
    settings = emulator.state.settings
    form = {"grant_type": "refresh_token", "client_id": settings.client_id,
            "refresh_token": settings.refresh_token}  # fmt: skip
    answer = token_request(emulator, data=form)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"access_token", "instance_url", "id", "token_type"} <= set(body)
    assert direct_client(emulator, body["access_token"]).query("SELECT Id FROM Lead")["done"]
    refused = token_request(emulator, data={**form, "refresh_token": "stale"})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
