"""Who gets in and what leaks: cookies, proxies, the login throttle, sessions, secrets."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from leadsync.console.app import create_app
from leadsync.console.settings import ConsoleOptions
from leadsync.console.users import Role, add_user, remove_user
from tests.console.conftest import PASSWORD, SECRET_KEY, csrf_of, signed_in

PAGES = ["/health", "/mappings", "/rules", "/people", "/funnel", "/audit", "/users"]


def client(store, base_url="http://testserver", headers=None, **options) -> TestClient:
    app = create_app(store.state(), ConsoleOptions(secret_key=SECRET_KEY, **options))
    return TestClient(app, base_url=base_url, headers=headers, follow_redirects=False)


def cookie_flags(response) -> set[str]:
    header = response.headers["set-cookie"]
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_the_session_cookie_is_httponly_and_lax_and_secure_only_over_https(store):
    plain = signed_in(client(store), "owner@example.com")
    assert plain.status_code == 303
    assert {"httponly", "samesite"} <= cookie_flags(plain)
    assert "samesite=lax" in plain.headers["set-cookie"].lower()
    assert "secure" not in cookie_flags(plain)
    tls = signed_in(client(store, base_url="https://testserver"), "owner@example.com")
    assert "secure" in cookie_flags(tls)


def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(store):
    forged = client(store, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in cookie_flags(signed_in(forged, "owner@example.com"))
    proxied = client(store, trusted_proxies=("testclient",), headers={"X-Forwarded-Proto": "https"})
    assert "secure" in cookie_flags(signed_in(proxied, "owner@example.com"))


def test_failed_sign_ins_are_throttled_per_account(store):
    browser = client(store)
    for _ in range(5):
        assert signed_in(browser, "editor@example.com", "wrong password!").status_code == 401
    blocked = signed_in(browser, "editor@example.com")  # even the right password, for now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in blocked.text
    assert signed_in(browser, "viewer@example.com").status_code == 303  # others still can


def test_failed_sign_ins_are_throttled_per_client(store):
    browser = client(store)
    for i in range(20):
        signed_in(browser, f"guess{i}@example.com", "wrong password!")
    assert signed_in(browser, "viewer@example.com").status_code == 429


def test_signing_in_needs_the_login_forms_token(store):
    browser = client(store)
    browser.get("/login")
    answer = browser.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    assert answer.status_code == 403 and "leadsync_console=" not in answer.headers.get(
        "set-cookie", ""
    )


def test_after_sign_in_only_pages_of_this_console_are_followed(store):
    browser = client(store)
    token = csrf_of(browser.get("/login").text)
    answer = browser.post("/login", data={"email": "owner@example.com", "password": PASSWORD,
                                          "csrf_token": token, "next": "//evil.example/x"})  # fmt: skip
    assert answer.headers["location"] == "/health"


def test_a_removed_account_is_signed_out_at_its_next_request(store):
    state = store.state()
    with state.runtime().sessions.begin() as session:
        add_user(session, email="temp@example.com", password=PASSWORD, role=Role.EDITOR,
                 actor="cli:test", now=store.now)  # fmt: skip
    browser = client(store)
    signed_in(browser, "temp@example.com")
    assert browser.get("/health").status_code == 200
    with state.runtime().sessions.begin() as session:
        remove_user(session, email="temp@example.com", actor="cli:test", now=store.now)
        add_user(session, email="temp@example.com", password="a brand new passphrase",
                 role=Role.EDITOR, actor="cli:test", now=store.now)  # fmt: skip
    # Back with a new password: the old session, made with the old one, does not count.
    assert browser.get("/health").headers["location"] == "/login?next=/health"


def test_an_editor_cannot_open_the_users_page(store):
    browser = client(store)
    signed_in(browser, "editor@example.com")
    refused = browser.get("/users")
    assert refused.status_code == 403 and "for the owner role" in refused.text


def test_no_page_shows_a_token_or_the_session_key(store):
    browser = client(store)
    signed_in(browser, "owner@example.com")
    secrets = [*store.tokens, SECRET_KEY]
    for path in [*PAGES, "/people/1", "/login"]:
        page = browser.get(path)
        assert page.status_code == 200, path
        assert not [s for s in secrets if s in page.text], path


def test_pages_forbid_foreign_scripts_and_framing(store):
    browser = client(store)
    signed_in(browser, "viewer@example.com")
    headers = browser.get("/health").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "message"),
    [("/people?page=two", "page: Input should be a valid integer"),
     ("/people?stage=hot", "stage: 'hot' is not a stage"),
     ("/people/999999", "There is no person 999999")],
)  # fmt: skip
def test_bad_addresses_get_a_page_saying_what_was_wrong(store, path, message):
    browser = client(store)
    signed_in(browser, "viewer@example.com")
    page = browser.get(path)
    assert page.status_code in (400, 404)
    assert message in html.unescape(page.text) and "Traceback" not in page.text


def test_signing_in_returns_to_the_page_asked_for_with_its_whole_query(store):
    browser = client(store)
    sent = browser.get("/people", params={"q": "smith", "stage": "mql"})
    assert sent.headers["location"] == "/login?next=/people%3Fq%3Dsmith%26stage%3Dmql"
    form = browser.get(sent.headers["location"]).text
    arrived = browser.post("/login", data={"email": "viewer@example.com", "password": PASSWORD,
                                           "csrf_token": csrf_of(form),
                                           "next": "/people?q=smith&stage=mql"})  # fmt: skip
    assert arrived.headers["location"] == "/people?q=smith&stage=mql"
    assert 'name="next" value="/people?q=smith&amp;stage=mql"' in form
