"""Editing the config in a real browser, end to end: the issue's editor story.

Sales renamed a Lead Status in Salesforce; an editor maps the new value on Mappings, raises
the MQL threshold on Rules, tries the draft on a person, reads its preview, saves it with a
comment; the next cycle runs with the new revision.
"""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from playwright.sync_api import expect
from sqlalchemy import select

from leadsync.sync.cli_config import history
from leadsync.sync.cli_sync import batch_limits
from leadsync.sync.config import load_settings, settings_from_text
from leadsync.sync.preview import preview
from leadsync.sync.runtime import build_runtime
from leadsync.sync.schema import LedgerRow, LinkRow, PersonRow
from leadsync.sync.wiring import build_connectors

WHY = "Sales renamed Working - Contacted to Working; MQL bar raised to 60 after the Q3 review"
SLOW = 120_000  # ms: a preview and a CRM round trip on a loaded 2-core machine


def _lead_at(store, stages: tuple[str, ...]) -> tuple[int, str]:
    """A person at one of `stages` with a Salesforce Lead: (person id, Lead id)."""
    with store.state().runtime().sessions() as session:
        found = session.execute(
            select(PersonRow.id, LinkRow.record_id)
            .join(LinkRow, LinkRow.person_id == PersonRow.id)
            .where(LinkRow.kind == "salesforce_lead", PersonRow.stage.in_(stages))
            .order_by(PersonRow.id)
        ).first()
    assert found is not None, "the sandbox has no Lead at " + ", ".join(stages)
    return found


def _someone(store) -> str:
    with store.state().runtime().sessions() as session:
        return session.scalar(select(PersonRow.email).where(PersonRow.email.is_not(None)))


def test_an_editor_maps_a_renamed_status_raises_mql_previews_saves_and_the_next_cycle_uses_it(
    sign_in, store, screenshots
):
    world = store.world
    world.admin("POST", "settings", salesforce={"picklist_values": {"Lead.Status": ["Working"]}})
    person_id, lead_id = _lead_at(store, ("lead", "mql"))
    world.sf_update("Lead", lead_id, {"Status": "Working"})  # a sales rep, after the rename
    before_text = store.config.read_text(encoding="utf-8")

    page = sign_in("editor@example.com")
    problems: list[str] = []  # HTMX swaps and polls included: nothing the browser refuses
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto("/mappings")
    status = page.locator("#vocabulary-salesforce-Status")
    offered = page.locator("#values-salesforce-Lead-Status option[value='Working']")
    offered.wait_for(state="attached", timeout=SLOW)  # fetched behind the page, then swapped in
    assert "Working" in status.locator(".offers").inner_text()  # in the CRM, not mapped yet
    status.locator("input[name^='value-'][value='Working - Contacted']").fill("Working")
    status.get_by_role("button", name="Update draft").click()
    expect(page.locator("#flash")).to_contain_text("Draft updated")
    status = page.locator("#vocabulary-salesforce-Status")
    assert status.get_by_label("Status value written for sql").input_value() == "Working"
    page.screenshot(path=screenshots / "mappings-draft.png", full_page=True)

    page.goto("/rules")
    page.get_by_label("mql total at least").fill("60")
    page.locator("#gates").get_by_role("button", name="Update draft").click()
    expect(page.locator("#flash")).to_contain_text("Draft updated")
    draft = page.locator("section.draft")
    assert "2 edits, not saved yet" in draft.inner_text()

    page.get_by_label("Person to try (email)").fill(_someone(store))
    page.get_by_role("button", name="Try", exact=True).click()
    page.locator("#tryout table").first.wait_for()
    assert "Config in use" in page.locator("#tryout").inner_text()

    page.get_by_role("button", name="Preview impact").click()
    impact = page.locator("#preview-result .preview")
    impact.wait_for(timeout=SLOW)
    shown = page.locator("#preview-result").inner_text()
    page.screenshot(path=screenshots / "rules-preview.png", full_page=True)

    page.get_by_label("Why (kept with the revision").fill(WHY)
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator("#flash")).to_contain_text("as revision")
    saved = re.search(r"as revision r(\d+)", page.locator("#flash").inner_text())
    assert saved, page.locator("#flash").inner_text()
    revision = int(saved.group(1))
    assert page.get_by_label("mql total at least").input_value() == "60"  # the file, reloaded
    assert problems == []

    # The preview said what `leadsync preview` says of the saved text against the old one.
    old_rt = build_runtime(settings_from_text(before_text, "before", secrets=False),
                           clock=lambda: store.now)  # fmt: skip
    expected = preview(old_rt, load_settings(store.config, secrets=False), now=store.now)
    data = expected.as_dict(batch_limits(build_connectors(old_rt)))
    assert f"Over {data['people']} people: {sum(data['moves'].values())} would move" in shown
    for hold, count in data["holds"].items():
        assert f"{hold}\t{count}" in shown
    assert data["holds"].get("mql->lead"), "raising the MQL bar holds some MQLs"

    # The next cycle runs with the saved revision: the renamed status is understood.
    world.tick()
    assert world.cycle().error is None
    with world.runtime().sessions() as session:
        moved = session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == person_id).order_by(LedgerRow.id)
        ).all()[-1]
    assert (moved.to_stage, moved.cause, moved.revision_id) == ("sql", "human", revision)
    listed = CliRunner().invoke(history, ["--config", str(store.config), "--json"])
    entry = next(e for e in json.loads(listed.output) if e["id"] == revision)
    assert (entry["actor"], entry["why"], entry["current"]) == ("editor@example.com", WHY, True)


def test_a_table_can_be_edited_with_the_keyboard_alone(sign_in, store):
    page = sign_in("editor@example.com")
    page.goto("/rules")
    page.get_by_label("sql fit at least").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    page.keyboard.press("Enter")  # submits the table's form, as any form does
    expect(page.locator("#flash")).to_contain_text("Draft updated")
    assert "+fit_at_least = 45" in page.locator("section.draft details").text_content()
    page.get_by_role("button", name="Discard the draft").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_contain_text("Draft discarded")
    assert page.get_by_label("sql fit at least").input_value() == "40"
