"""The plugin seam: a third CRM, installed through an entry point, syncs with no change to
leadsync's core.

TinyCRM (tests/plugins/tinycrm) is a small marketing CRM with its own HTTP emulator. Its
package declares what the core needs (people, streams, vocabulary, field maps, write-back
names) and registers under `leadsync.connectors`; `make test` installs it. The test runs the
real cycle against three CRMs over HTTP and checks what a RevOps admin would look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from leadsync_tinycrm.emulator import TinyCrm
from sqlalchemy import select

from leadsync.connectors import registry
from leadsync.mapping.catalog import catalog
from leadsync.sync.schema import LinkRow, PersonRow

KEY = "tiny-secret"


@pytest.fixture
def tiny(world, monkeypatch) -> Iterator[TinyCrm]:
    crm = TinyCrm(KEY)
    url = crm.start()
    world.config.write_text(world.config.read_text() + f'\n[tinycrm]\nbase_url = "{url}"\n')
    monkeypatch.setenv("LEADSYNC_TINYCRM__API_KEY", KEY)
    world.env["LEADSYNC_TINYCRM__API_KEY"] = KEY
    try:
        yield crm
    finally:
        crm.stop()


def _people_by_kind(world) -> dict[int, dict[str, str]]:
    with world.runtime().sessions() as session:
        rows = session.execute(select(LinkRow.person_id, LinkRow.kind, LinkRow.record_id)).all()
    found: dict[int, dict[str, str]] = {}
    for person_id, kind, record_id in rows:
        found.setdefault(person_id, {})[kind] = record_id
    return found


def test_the_third_crm_is_found_through_its_entry_point_alone():
    assert "tinycrm" in registry.available()
    assert catalog()["tinycrm"].role == "marketing"
    assert catalog().kind_of("tinycrm", "person") == "tinycrm_person"


def test_a_full_cycle_with_three_crms(world, tiny):
    contact = next(iter(world.hs_contacts(["email"]).values()))
    shared = tiny.add_person(contact["email"], first_name="Known", status="subscriber")
    keen = tiny.add_person("keen@tinyco.example", first_name="Kim", last_name="Keen",
                           company="Tinyco", job_title="VP Operations", headcount=300,
                           status="subscriber")  # fmt: skip
    for days in (1, 3, 6, 9):
        tiny.add_activity(keen, "webinar", world.now - timedelta(days=days), campaign="w1")
    for days in (1, 2):
        tiny.add_activity(keen, "page_view", world.now - timedelta(days=days),
                          url="https://example.com/pricing")  # fmt: skip
    world.tick()

    result = world.cycle()
    assert result.error is None, result.error
    assert result.ingest.by_stream.get("tinycrm.people") == 2
    assert result.ingest.by_stream.get("tinycrm.activities") == 6

    # Identity: TinyCRM's record of a HubSpot contact is the same person, by email.
    people = _people_by_kind(world)
    merged = [kinds for kinds in people.values() if kinds.get("tinycrm_person") == shared]
    assert merged and "hubspot_contact" in merged[0]

    # Scoring counted TinyCRM's engagement, and the decision went back to TinyCRM.
    with world.runtime().sessions() as session:
        kim = session.scalars(
            select(PersonRow).where(PersonRow.email == "keen@tinyco.example")
        ).one()
    assert kim.stage in ("mql", "sql"), kim.stage
    written = tiny.people[keen]
    assert written["ls_stage"] == kim.stage
    assert written["status"] == {"mql": "hot", "sql": "sales_ready"}[kim.stage]
    assert float(written["ls_engagement"]) > 0
    assert "webinar" in written["ls_reasons"].lower() or "pricing" in written["ls_reasons"].lower()

    # The sales CRM got its lead for the person only TinyCRM knew (the handoff).
    leads = world.sf_query(
        "SELECT Id, Email, Company FROM Lead WHERE Email = 'keen@tinyco.example'"
    )
    assert [lead["Company"] for lead in leads] == ["Tinyco"]

    # A second cycle with nothing new is quiet in TinyCRM too: its echoes are recognised.
    writes_before = [call for call in tiny.calls if call[0] == "POST"]
    world.tick()
    again = world.cycle()
    assert again.error is None and again.decide.moved == 0
    assert [call for call in tiny.calls if call[0] == "POST"] == writes_before


def test_an_installed_crm_without_a_table_is_left_alone(world):
    """Installed is not configured: a config without `[tinycrm]` never calls it."""
    rt = world.runtime()
    assert "tinycrm" not in rt.settings.connectors
    assert not [v for v in rt.vocabularies if v.system == "tinycrm"]
    assert world.cycle().error is None


CORE = ("sync", "mapping", "scoring")


def test_the_core_names_no_crm():
    """sync/, mapping/ and scoring/ know CRMs only through the catalog: no connector's name or
    label appears in their code, comments or shipped data."""
    root = Path(__file__).resolve().parents[2] / "leadsync"
    names = {word.lower() for d in catalog().declarations.values() for word in (d.name, d.label)}
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for part in CORE for path in sorted((root / part).rglob("*"))
        if path.is_file() and path.suffix in (".py", ".toml", ".html", ".txt")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(name in line.lower() for name in names)
    ]  # fmt: skip
    assert not found, "\n".join(found[:20])
