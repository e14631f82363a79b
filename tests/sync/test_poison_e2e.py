"""Hostile values from a CRM are quarantined one record at a time; everyone else syncs.

PostgreSQL refuses what SQLite swallows (over-long strings, NUL, non-finite numbers in JSON):
before, one such record failed its page on every run and nobody behind it ever synced.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from leadsync.sync.schema import ErrorRow, LinkRow

POISON = {
    "long email": {"email": "a" * 388 + "@example.com"},
    "NUL in a name": {"email": "nul@example.com", "firstname": "Ann\x00"},
    "revenue past float range": {"email": "big@example.com", "annualrevenue": "1" + "0" * 400},
}


def _hubspot_links(world) -> int:
    with world.runtime().sessions() as session:
        return session.scalar(
            select(func.count()).select_from(LinkRow).where(LinkRow.kind == "hubspot_contact")
        )


def _open_errors(world) -> list[ErrorRow]:
    with world.runtime().sessions() as session:
        return list(session.scalars(select(ErrorRow).where(ErrorRow.resolved_at.is_(None))))


def test_hostile_values_are_quarantined_while_every_other_contact_syncs(world):
    contacts = len(world.hs_contacts(["email"]))
    for properties in POISON.values():
        world.hs_create(properties)
    world.tick()
    result = world.cycle()

    # The NUL is dropped from the name; the other two cannot be stored and wait for a fix.
    assert _hubspot_links(world) == contacts + 1
    refused = {e.record: e for e in _open_errors(world) if e.stage == "ingest"}
    assert len(refused) == 2, refused
    messages = " | ".join(e.message for e in refused.values())
    assert "400 characters" in messages and "not a finite number" in messages
    assert result.ingest.quarantined == 2
    with world.runtime().sessions() as session:
        names = session.scalars(text("SELECT fields FROM persons WHERE email = 'nul@example.com'"))
        assert "\x00" not in str(list(names))


def _refuse_emails_containing(world, marker: str) -> None:
    """A rule of the database's own: inserting such a person fails, as a constraint would."""
    engine = world.runtime().sessions.kw["bind"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.email LIKE "
                f"'%{marker}%' THEN RAISE check_violation USING MESSAGE = 'refused by policy'; "
                "END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
            ))  # fmt: skip
            conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON persons "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            ))  # fmt: skip
        else:
            conn.execute(text(
                f"CREATE TRIGGER refuse BEFORE INSERT ON persons WHEN NEW.email LIKE '%{marker}%' "
                "BEGIN SELECT RAISE(ABORT, 'refused by policy'); END"
            ))  # fmt: skip


def test_a_record_the_database_refuses_is_isolated_and_the_rest_of_its_page_commits(world):
    world.runtime()  # migrate first, so the rule sits on the real table
    contacts = len(world.hs_contacts(["email"]))
    world.hs_create({"email": "refused@example.com"})
    _refuse_emails_containing(world, "refused@")
    world.tick()
    world.cycle()

    assert _hubspot_links(world) == contacts
    (error,) = [e for e in _open_errors(world) if e.code == "STORE_REJECTED"]
    assert "refused by policy" in error.message
    assert error.payload["data"]["email"] == "refused@example.com"
