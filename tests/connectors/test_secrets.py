"""Credentials with stray whitespace work, and no error a connector raises repeats them."""

from __future__ import annotations

import pytest

from leadsync.connectors.base import Window
from leadsync.connectors.hubspot import HubSpotConnector
from leadsync.connectors.redact import MASK, scrub
from leadsync.connectors.salesforce import SalesforceConnector
from leadsync.errors import AuthError

from .conftest import hubspot_settings, salesforce_settings, until_now


def session_settings(sandbox, token: str):
    return salesforce_settings(
        sandbox, auth="session", access_token=token, client_id=None, client_secret=None
    )


@pytest.mark.parametrize("tail", ["\n", "\r\n", "  \t"])
def test_a_token_with_a_trailing_newline_works(sandbox, admin, tail):
    hubspot = HubSpotConnector(hubspot_settings(sandbox, access_token=sandbox.hubspot_token + tail))
    assert list(hubspot.read("contacts", Window(None, until_now())))
    token = sandbox.salesforce_token + tail
    salesforce = SalesforceConnector(session_settings(sandbox, token))
    assert list(salesforce.read("Lead", Window(None, until_now())))


def test_a_token_broken_inside_is_refused_without_repeating_it(sandbox, admin):
    token = "pat-na1-0000\nsecret-tail-1234"
    with pytest.raises(AuthError) as hubspot:
        HubSpotConnector(hubspot_settings(sandbox, access_token=token)).check()
    with pytest.raises(AuthError) as salesforce:
        SalesforceConnector(session_settings(sandbox, token)).check()
    for error, variable in ((hubspot, "HUBSPOT"), (salesforce, "SALESFORCE")):
        text = str(error.value)
        assert f"LEADSYNC_{variable}__ACCESS_TOKEN" in text and "line break" in text
        assert "secret-tail" not in text and "pat-na1" not in text
        assert error.value.__cause__ is None and error.value.__suppress_context__


@pytest.mark.parametrize(
    "text",
    [
        "Invalid header value b'Bearer pat-na1-0000\\nsecret-tail-1234'",
        "{'Authorization': 'Bearer pat-na1-0000 secret-tail-1234', 'Accept': '*/*'}",
        "token=pat-na1-0000\nsecret-tail-1234 was refused",
        "Authorization: OAuth 00D8d000005LSYN!secret-tail-1234",
    ],
)
def test_scrub_removes_secrets_in_the_forms_libraries_quote_them(text):
    cleaned = scrub(text, ["pat-na1-0000\nsecret-tail-1234"])
    assert "secret-tail" not in cleaned and MASK in cleaned
