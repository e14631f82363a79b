"""The console in a real browser (Debian's Chromium, headless, driven by Playwright)."""

from __future__ import annotations

import re

from tests.console.conftest import PASSWORD, SCRIPT_LABEL, token

PAGES = {"health": "/health", "mappings": "/mappings", "rules": "/rules", "people": "/people",
         "funnel": "/funnel", "history": "/history", "revision": "/history/1", "audit": "/audit",
         "users": "/users"}  # fmt: skip
CHANGES = [
    ("/health/errors/1/retry", {}),
    ("/health/errors/1/dismiss", {"why": "seen it"}),
    ("/health/errors/retry", {"type": "rejected-value"}),
    ("/health/errors/dismiss", {"type": "rejected-value", "why": "seen them"}),
    ("/health/plan/apply", {}),
    ("/health/plan/discard", {}),
    ("/mappings/stages/salesforce/Status", {"rows": "0", "value-new": "Working", "stage-new": "sql"}),
    ("/mappings/fields/hubspot/contact", {"rows": "0", "canonical-new": "state", "source-new": "x"}),
    ("/mappings/check", {}),
    ("/rules/gates", {"mql-total_at_least": "1"}),
    ("/rules/fit", {"rows": "0", "id-new": "x", "label-new": "x", "field-new": "title",
                    "op-new": "present", "points-new": "1"}),
    ("/draft/preview", {}),
    ("/draft/save", {"why": "because"}),
    ("/draft/discard", {}),
    ("/history/1/rollback", {"why": "because"}),
    ("/people/1/move", {"to": "suspect", "why": "because"}),
    ("/users", {"email": "new@example.com", "role": "owner", "password": PASSWORD,
                "confirm": PASSWORD}),
    ("/users/role", {"email": "viewer@example.com", "role": "owner"}),
    ("/users/remove", {"email": "owner@example.com"}),
]  # fmt: skip


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
    page.get_by_role("button", name="Show entries").first.click()
    page.get_by_role("button", name=re.compile(r"^Retry entry \d+$")).first.wait_for()
    page.get_by_role("button", name="Retry all").first.click()
    outcome = page.locator("#outcome [role=status]")
    outcome.wait_for()
    assert re.match(r"\d+ \S+ entries are due for retry", outcome.inner_text())
    assert page.url.endswith("/health")


def test_a_viewer_cannot_change_anything(sign_in, store):
    page = sign_in("viewer@example.com")
    assert page.get_by_role("button", name="Retry all").first.is_disabled()
    page.goto("/rules")
    assert page.get_by_label("mql total at least").is_disabled()
    assert page.get_by_role("button", name="Update draft").first.is_disabled()
    config = store.config.read_text(encoding="utf-8")
    csrf = token(page)
    for path, form in CHANGES:
        answer = page.request.post(path, form={**form, "csrf_token": csrf}, max_redirects=0)
        assert answer.status == 403, path
    assert page.goto("/users").status == 403
    page.goto("/audit")
    assert page.get_by_text("console.user.role").count() == 0
    assert store.config.read_text(encoding="utf-8") == config


def test_a_post_without_the_csrf_token_is_refused(sign_in, store):
    page = sign_in("editor@example.com")
    config = store.config.read_text(encoding="utf-8")
    refused = page.request.post("/rules/gates", form={"mql-total_at_least": "99"},
                                max_redirects=0)  # fmt: skip
    assert refused.status == 403
    assert "security token" in refused.text()
    accepted = page.request.post("/draft/discard", headers={"X-CSRF-Token": token(page)},
                                 max_redirects=0)  # fmt: skip
    assert accepted.status == 303
    assert store.config.read_text(encoding="utf-8") == config


def test_a_rule_label_containing_a_script_tag_is_shown_as_text(sign_in, store):
    page = sign_in("editor@example.com")
    page.goto("/rules")
    assert page.get_by_label("Label of industry-core").input_value() == SCRIPT_LABEL
    with store.state().runtime().sessions() as session:
        email = _matching_industry_core(session)
    page.get_by_label("Person to try (email)").fill(email)
    page.get_by_role("button", name="Try", exact=True).click()
    page.locator("#tryout table").first.wait_for()
    assert page.locator("#tryout").get_by_text(SCRIPT_LABEL).first.is_visible()
    assert page.evaluate("window.__pwned") is None


def _matching_industry_core(session) -> str:
    """Someone whose stored explanation counts the fit rule with the script label."""
    from sqlalchemy import select

    from leadsync.sync.schema import PersonRow, ScoreRow

    for email, explanation in session.execute(
        select(PersonRow.email, ScoreRow.explanation).join(ScoreRow)
    ):
        rules = {c["rule_id"] for c in (explanation or {}).get("contributions", [])}
        if "industry-core" in rules:
            return email
    raise AssertionError("nobody in the sandbox matches industry-core")
