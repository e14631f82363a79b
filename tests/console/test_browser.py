"""The console in a real browser (Debian's Chromium, headless, driven by Playwright)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.console.conftest import PASSWORD, SCRIPT_LABEL

PAGES = {"health": "/health", "mappings": "/mappings", "rules": "/rules", "people": "/people",
         "funnel": "/funnel", "audit": "/audit", "users": "/users"}  # fmt: skip
CHANGES = [
    ("/health/errors/1/retry", {}),
    ("/health/errors/1/dismiss", {"why": "seen it"}),
    ("/health/errors/retry", {"code": "picklist_rejected"}),
    ("/health/plan/apply", {}),
    ("/health/plan/discard", {}),
    ("/users", {"email": "new@example.com", "role": "owner", "password": PASSWORD,
                "confirm": PASSWORD}),
    ("/users/role", {"email": "viewer@example.com", "role": "owner"}),
    ("/users/remove", {"email": "owner@example.com"}),
]  # fmt: skip


@pytest.fixture
def contexts(browser, live) -> Iterator[Callable[[], object]]:
    opened = []

    def new():
        context = browser.new_context(base_url=live)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


@pytest.fixture
def sign_in(contexts) -> Callable[[str], object]:
    def as_user(email: str):
        page = contexts().new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/health")
        return page

    return as_user


def token(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_unauthenticated_pages_redirect_to_login(contexts, screenshots):
    page = contexts().new_page()
    for path in [*PAGES.values(), "/people/1", "/"]:
        page.goto(path)
        assert re.search(r"/login(\?next=.*)?$", page.url), path
        assert page.get_by_role("button", name="Sign in").is_visible()
    page.screenshot(path=screenshots / "login.png")


def test_login_with_the_keyboard_lands_on_the_page_asked_for(contexts):
    page = contexts().new_page()
    page.goto("/rules")
    page.keyboard.type("editor@example.com")  # the email field has focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"127.0.0.1:\d+/rules$"))
    assert page.get_by_role("heading", name="Scoring rules").is_visible()
    assert page.get_by_text("editor@example.com").is_visible()


def test_a_wrong_password_is_refused_with_a_message(contexts):
    page = contexts().new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That email and password")
    assert "/login" in page.url


def test_every_page_renders_without_console_errors(sign_in, screenshots):
    page = sign_in("owner@example.com")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    for name, path in PAGES.items():
        response = page.goto(path)
        assert response.status == 200, path
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)
    page.goto("/people")
    page.get_by_role("link", name=re.compile("@")).first.click()
    page.wait_for_url(re.compile(r"/people/\d+$"))
    assert page.get_by_role("heading", name="Stage trail").is_visible()
    page.screenshot(path=screenshots / "person.png", full_page=True)
    assert problems == []


def test_search_narrows_people_as_you_type(sign_in):
    page = sign_in("viewer@example.com")
    page.goto("/people")
    first = page.locator("#results tbody tr").first.locator("a").inner_text()
    page.get_by_label("Email or name").fill(first)
    page.wait_for_url(re.compile(r"q="))  # HTMX swapped the results and pushed the URL
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1 and rows.first.locator("a").inner_text() == first


def test_an_editor_button_answers_in_place_through_htmx(sign_in):
    page = sign_in("editor@example.com")
    page.get_by_role("button", name="Retry all").first.click()
    outcome = page.locator("#outcome [role=status]")
    outcome.wait_for()
    assert "not available in the console yet" in outcome.inner_text()
    assert page.url.endswith("/health")


def test_a_viewer_cannot_change_anything(sign_in):
    page = sign_in("viewer@example.com")
    assert page.get_by_role("button", name="Retry all").first.is_disabled()
    csrf = token(page)
    for path, form in CHANGES:
        answer = page.request.post(path, form={**form, "csrf_token": csrf}, max_redirects=0)
        assert answer.status == 403, path
    assert page.goto("/users").status == 403
    page.goto("/audit")
    assert page.get_by_text("console.user.role").count() == 0


def test_a_post_without_the_csrf_token_is_refused(sign_in):
    page = sign_in("editor@example.com")
    refused = page.request.post("/health/plan/discard", max_redirects=0)
    assert refused.status == 403
    assert "security token" in refused.text()
    accepted = page.request.post("/health/plan/discard", headers={"X-CSRF-Token": token(page)},
                                 max_redirects=0)  # fmt: skip
    assert accepted.status == 303


def test_a_rule_label_containing_a_script_tag_is_shown_as_text(sign_in):
    page = sign_in("viewer@example.com")
    page.goto("/rules")
    assert page.get_by_role("cell", name=SCRIPT_LABEL).is_visible()
    assert page.evaluate("window.__pwned") is None
