"""What sales did and which campaigns people answered: Tasks, Events, campaign members.

Touches drawn in `sales` are logged on the person's Salesforce record (notes stay in
HubSpot). Campaigns mirror the marketing calendar: a Webinar campaign per webinar, a few
Email nurture programmes, and a Trade Show campaign per imported booth-scan list.
"""

from __future__ import annotations

from random import Random
from typing import NamedTuple

from leadsync.sandbox.world import catalog as cat
from leadsync.sandbox.world.activity import Campaign, Webinar
from leadsync.sandbox.world.formats import DAY_MS, MINUTE_MS, salesforce_date, salesforce_time
from leadsync.sandbox.world.org import Org, Record
from leadsync.sandbox.world.people import Person

NURTURES = (
    "Nurture - Commerce leaders",
    "Nurture - Replatforming",
    "Nurture - Peak season",
    "Nurture - B2B portals",
)
NURTURE_MEMBER_RATE = 0.5  # of emailed people sales holds: the lists sales synced
_TASK_SUBTYPES = {"calls": "Call", "emails": "Email", "tasks": "Task"}


class Held(NamedTuple):
    """What the org holds for one person."""

    lead: Record | None
    contact: Record | None
    opportunity: Record | None


def log_touches(rng: Random, org: Org, held_by: dict[str, Held], people: list[Person]) -> None:
    """Calls, emails and tasks as Tasks and meetings as Events, on the person's record.

    Conversion moves a Lead's activities to its Contact, so the Contact is the `WhoId`.
    """
    for person in people:
        held = held_by.get(person.hs_id)
        if held is None:
            continue
        who = held.contact or held.lead
        for kind, at, booked, subject in person.touches:
            if kind == "notes":
                continue
            created = max(booked, who["CreatedDate"])
            modified = max(created, at) if at <= org.now else created
            what = (
                held.opportunity
                if held.opportunity and at >= held.opportunity["CreatedDate"]
                else None
            )
            common = {
                "WhoId": who,
                "WhatId": what,
                "Subject": subject,
                "ActivityDate": salesforce_date(at),
            }
            if kind == "meetings":
                end = at + rng.choice((30, 60)) * MINUTE_MS
                org.add(
                    "Event",
                    created,
                    modified,
                    **common,
                    StartDateTime=salesforce_time(at),
                    EndDateTime=salesforce_time(end),
                )
            else:
                done = at <= org.now
                org.add(
                    "Task",
                    created,
                    modified,
                    **common,
                    Status="Completed" if done else "Not Started",
                    IsClosed=done,
                    TaskSubtype=_TASK_SUBTYPES[kind],
                )


def enrol(
    rng: Random,
    org: Org,
    held_by: dict[str, Held],
    people: list[Person],
    mails: list[Campaign],
    webinars: list[Webinar],
) -> None:
    """Webinar, email nurture and trade-show campaigns with the members sales can see."""
    rng, now = rng, org.now
    events = [
        org.add(
            "Campaign",
            w.at - 30 * DAY_MS,
            w.at - 30 * DAY_MS,
            Name=f"Webinar - {w.topic}",
            Type="Webinar",
        )
        for w in webinars
    ]
    first = mails[0].sent if mails else now
    nurtures = [org.add("Campaign", first, first, Name=name, Type="Email") for name in NURTURES]
    shows = sorted({p.created for p in people if p.imported == "trade_show" and p.hs_id in held_by})
    booths = {
        at: org.add(
            "Campaign",
            at - 14 * DAY_MS,
            at - 14 * DAY_MS,
            Type="Trade Show",
            Name=f"{cat.TRADE_SHOWS[i % len(cat.TRADE_SHOWS)]} booth scans",
        )
        for i, at in enumerate(shows)
    }
    for person in people:
        held = held_by.get(person.hs_id)
        if held is None:
            continue
        for index, registered, attended in person.webinars:
            _member(org, held, events[index], registered, webinars[index].at if attended else None)
        if person.imported == "trade_show":
            _member(org, held, booths[person.created], person.created, person.created)
        if person.emailed is not None and rng.random() < NURTURE_MEMBER_RATE:
            nurture = nurtures[person.emailed % len(nurtures)]
            _member(org, held, nurture, mails[person.emailed].sent, person.last_click)


def _member(org: Org, held: Held, campaign: Record, joined: int, responded: int | None) -> None:
    who = held.lead or held.contact
    created = min(org.now, max(joined, who["CreatedDate"], campaign["CreatedDate"]))
    if responded is not None and (responded < created or responded > org.now):
        responded = None
    lead = held.lead
    contact = held.contact if lead is None or lead["IsConverted"] else None
    org.add(
        "CampaignMember",
        created,
        responded or created,
        CampaignId=campaign,
        LeadId=lead,
        ContactId=contact,
        Status="Responded" if responded else "Sent",
        HasResponded=responded is not None,
        FirstRespondedDate=salesforce_date(responded) if responded else None,
    )
