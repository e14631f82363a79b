"""HubSpot contact records: firmographics, analytics roll-ups, lifecycle stage and lead status.

Every property value is a string, as the v3 API returns them; a property without a value is
left out (the API answers null for it). `lastmodifieddate` follows the latest change, and a
few bulk updates (an enrichment workflow, a list clean-up) leave hundreds of contacts with
the same value, as real portals do.
"""

from __future__ import annotations

from random import Random
from typing import Any

from leadsync.sandbox.world.catalog import Weighted
from leadsync.sandbox.world.formats import DAY_MS, MINUTE_MS, hubspot_time
from leadsync.sandbox.world.people import Person

_JUNK_STAGES = (("subscriber", 50), ("lead", 42), ("other", 8))
LIFECYCLE = {
    "freemail": _JUNK_STAGES,
    "student": _JUNK_STAGES,
    "competitor": (("lead", 75), ("other", 25)),
    "jobseeker": _JUNK_STAGES,
    "weak": (("lead", 69), ("subscriber", 30), ("other", 1)),
    "mql": (("marketingqualifiedlead", 70), ("lead", 30)),
    "sql": (("salesqualifiedlead", 60), ("marketingqualifiedlead", 30), ("lead", 10)),
    "opportunity": (("opportunity", 75), ("salesqualifiedlead", 25)),
    "won": (("customer", 85), ("opportunity", 15)),
    # HubSpot never moves a stage back on its own: lost deals keep the stage they reached.
    "lost": (("opportunity", 40), ("salesqualifiedlead", 40), ("marketingqualifiedlead", 20)),
}
# profile -> (chance of a lead status, statuses)
_JUNK_STATUS = (0.5, (("UNQUALIFIED", 60), ("NEW", 40)))
LEAD_STATUS = {
    "freemail": _JUNK_STATUS,
    "student": _JUNK_STATUS,
    "competitor": _JUNK_STATUS,
    "jobseeker": _JUNK_STATUS,
    "weak": (
        0.35,
        (
            ("NEW", 40),
            ("OPEN", 25),
            ("ATTEMPTED_TO_CONTACT", 15),
            ("BAD_TIMING", 10),
            ("UNQUALIFIED", 10),
        ),
    ),
    "mql": (0.6, (("NEW", 50), ("OPEN", 40), ("ATTEMPTED_TO_CONTACT", 10))),
    "sql": (0.85, (("IN_PROGRESS", 50), ("CONNECTED", 30), ("ATTEMPTED_TO_CONTACT", 20))),
    "opportunity": (0.9, (("OPEN_DEAL", 1),)),
    "won": (0.5, (("OPEN_DEAL", 1),)),
    "lost": (0.8, (("BAD_TIMING", 50), ("UNQUALIFIED", 30), ("CONNECTED", 20))),
}
BULK_UPDATES_DAYS_AGO = (2, 31, 95)
SOURCE_DETAIL = {"OFFLINE": "IMPORT", "PAID_SEARCH": "google", "PAID_SOCIAL": "LinkedIn"}


def contacts(rng: Random, people: list[Person], now: int) -> list[dict[str, Any]]:
    """One record per person, in id order."""
    stages = {profile: Weighted(*zip(*table, strict=True)) for profile, table in LIFECYCLE.items()}
    statuses = {
        profile: (chance, Weighted(*zip(*table, strict=True)))
        for profile, (chance, table) in LEAD_STATUS.items()
    }
    modified = [_last_change(person, now) for person in people]
    _bulk_updates(rng, modified, people, now)
    records = []
    for person, changed in zip(people, modified, strict=True):
        props = _properties(person)
        props["lifecyclestage"] = stage = stages[person.profile].draw(rng)
        chance, status = statuses[person.profile]
        if stage == "other":
            props["hs_lead_status"] = "UNQUALIFIED"
        elif rng.random() < chance:
            props["hs_lead_status"] = status.draw(rng)
        props |= stage_dates(person, stage, changed)
        props["createdate"] = created = hubspot_time(person.created)
        props["lastmodifieddate"] = updated = hubspot_time(changed)
        records.append(
            {"id": person.hs_id, "properties": props, "createdAt": created, "updatedAt": updated}
        )
    return records


# The lifecycle ladder as HubSpot orders it; "other" stands aside.
LADDER = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


def stage_dates(person: Person, stage: str, changed: int) -> dict[str, str]:
    """`hs_date_entered_<stage>` for the stage held and each one passed on the way, at the
    moments of the person's timeline (HubSpot stamps skipped stages too), never after the
    contact's last change `changed`."""
    if stage not in LADDER:  # a subscriber since creation; "other" was set last
        return {f"hs_date_entered_{stage}": hubspot_time(
            person.created if stage == "subscriber" else changed)}  # fmt: skip
    moments = (person.created, person.journey, person.hand_raise, person.converted, person.closed)
    dates, last = {}, person.created
    for value, at in zip(LADDER[: LADDER.index(stage) + 1], moments, strict=False):
        last = min(changed, max(last, at if at is not None else last))
        dates[f"hs_date_entered_{value}"] = hubspot_time(last)
    return dates


def _properties(person: Person) -> dict[str, str]:
    props = {
        "hs_object_id": person.hs_id,
        "email": person.email,
        "firstname": person.first,
        "lastname": person.last,
    }
    company = person.company
    if company is not None:
        props |= {
            "company": company.name,
            "industry": company.industry.hubspot,
            "numemployees": company.band,
            "annualrevenue": str(int(company.revenue)),
            "website": company.website,
            "ecommerce_platform": company.platform,
        }
    optional = {
        "jobtitle": person.title,
        "country": person.country,
        "state": person.region,
        "hs_analytics_source": person.source or "OFFLINE",
        "hs_analytics_first_url": person.first_url,
        "hs_analytics_last_url": person.last_url,
    }
    props |= {key: value for key, value in optional.items() if value}
    if person.source in SOURCE_DETAIL:
        props["hs_analytics_source_data_1"] = SOURCE_DETAIL[person.source]
    props["hs_analytics_num_page_views"] = str(person.page_views)
    props["num_conversion_events"] = str(person.forms)
    props["hs_email_open"] = str(person.opens)
    props["hs_email_click"] = str(person.clicks)
    if person.first_visit is not None:
        props["hs_analytics_first_visit_timestamp"] = hubspot_time(person.first_visit)
        props["hs_analytics_last_visit_timestamp"] = hubspot_time(person.last_visit)
    if person.first_form is not None:
        props["first_conversion_event_name"], first = person.first_form
        props["first_conversion_date"] = str(first)
        props["recent_conversion_event_name"], recent = person.last_form
        props["recent_conversion_date"] = str(recent)
    if person.last_open is not None:
        props["hs_email_last_open_date"] = hubspot_time(person.last_open)
    if person.last_click is not None:
        props["hs_email_last_click_date"] = hubspot_time(person.last_click)
    return props


def _last_change(person: Person, now: int) -> int:
    """The latest moment a property of the contact changed."""
    moments = [person.created, person.last_visit, person.last_open, person.last_click]
    moments += [
        person.last_form and person.last_form[1],
        person.hand_raise,
        person.converted,
        person.closed,
    ]
    return min(now, max(moment for moment in moments if moment is not None))


def _bulk_updates(rng: Random, modified: list[int], people: list[Person], now: int) -> None:
    """Workflows that touched a few hundred quiet contacts at one instant."""
    size = max(3, min(400, len(people) // 40))
    for days in BULK_UPDATES_DAYS_AGO:
        moment = now - days * DAY_MS
        moment -= moment % MINUTE_MS
        quiet = [
            i
            for i, changed in enumerate(modified)
            if changed < moment and people[i].created < moment
        ]
        for index in rng.sample(quiet, min(size, len(quiet))):
            modified[index] = moment
