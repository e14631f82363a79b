"""Sales work on the contacts reps picked up: calls, emails, meetings, tasks and notes.

Touches are drawn once per person (`plan`) and then logged where reps log them: a share as
HubSpot engagements here, and as Salesforce Tasks and Events in `salesforce`. A meeting or
task may be booked for the next two weeks; it was created before `now` all the same.
"""

from __future__ import annotations

from operator import itemgetter
from random import Random
from typing import Any

from leadsync.sandbox.world import catalog as cat
from leadsync.sandbox.world.catalog import Weighted
from leadsync.sandbox.world.formats import DAY_MS, MINUTE_MS, fold, hubspot_time
from leadsync.sandbox.world.people import Person

# profile -> (chance a rep works them, fewest touches, most touches)
WORK = {
    "freemail": (0.02, 1, 1),
    "student": (0.01, 1, 1),
    "competitor": (0.05, 1, 2),
    "jobseeker": (0.0, 0, 0),
    "weak": (0.08, 1, 3),
    "mql": (0.3, 1, 2),
    "sql": (1.0, 2, 6),
    "opportunity": (1.0, 4, 12),
    "won": (1.0, 6, 15),
    "lost": (1.0, 4, 10),
}
KINDS = (("calls", 35), ("emails", 30), ("meetings", 15), ("tasks", 10), ("notes", 10))
LOGGED_IN_HUBSPOT = {"meetings": 0.7, "calls": 0.5, "emails": 0.6, "notes": 0.4, "tasks": 0.4}
_SCHEDULABLE = frozenset({"meetings", "tasks"})


def plan(rng: Random, people: list[Person], now: int) -> None:
    """Set `person.touches` to (kind, at, booked at, subject) tuples in time order."""
    kinds = Weighted(*zip(*KINDS, strict=True))
    for person in people:
        chance, fewest, most = WORK[person.profile]
        if chance and rng.random() < chance:
            person.touches = _touches(rng, kinds, person, rng.randint(fewest, most), now)


def _touches(
    rng: Random, kinds: Weighted, person: Person, count: int, now: int
) -> list[tuple[str, int, int, str]]:
    begin = (
        person.hand_raise if person.hand_raise is not None else max(person.journey, person.created)
    )
    begin = min(begin, now)
    if person.closed is not None:
        end = person.closed
    elif person.profile in ("sql", "opportunity"):
        end = now + 14 * DAY_MS
    else:
        end = min(begin + 60 * DAY_MS, now)
    planned = [(kinds.draw(rng), rng.randint(begin, max(begin, end))) for _ in range(count)]
    if person.hand_raise is not None:  # a hand raise gets a demo
        planned[0] = ("meetings", begin + rng.randint(DAY_MS, 6 * DAY_MS))
    touches = []
    for kind, at in planned:
        if kind not in _SCHEDULABLE:
            at = fold(at, begin, now)
        at -= at % MINUTE_MS
        booked = at if at <= now else max(begin, now - rng.randint(0, 3 * DAY_MS))
        touches.append((kind, at, booked, rng.choice(cat.SALES_SUBJECTS[kind])))
    touches.sort(key=itemgetter(1))
    return touches


def engagements(rng: Random, people: list[Person], now: int) -> dict[str, list[dict[str, Any]]]:
    """HubSpot engagement objects per kind, ids ascending with creation time."""
    rows: dict[str, list[tuple[int, int, str, str]]] = {kind: [] for kind, _ in KINDS}
    for person in people:
        for kind, at, booked, subject in person.touches:
            if rng.random() < LOGGED_IN_HUBSPOT[kind]:
                rows[kind].append((booked, at, person.hs_id, subject))
    result = {}
    for base, (kind, entries) in enumerate(sorted(rows.items()), start=1):
        entries.sort(key=itemgetter(0))
        result[kind] = [
            {
                "id": str(base * 10_000_000_000 + number),
                "properties": _properties(rng, kind, at, booked, subject, now),
                "contact_ids": [contact],
            }
            for number, (booked, at, contact, subject) in enumerate(entries, start=1)
        ]
    return result


def _properties(
    rng: Random, kind: str, at: int, booked: int, subject: str, now: int
) -> dict[str, str]:
    done = at <= now
    props = {
        "hs_timestamp": hubspot_time(at),
        "hs_createdate": hubspot_time(booked),
        "hs_lastmodifieddate": hubspot_time(min(at, now) if done else booked),
    }
    if kind == "meetings":
        minutes = rng.choice((30, 45, 60))
        outcome = rng.choices(("COMPLETED", "NO_SHOW", "RESCHEDULED"), (85, 10, 5))[0]
        props |= {
            "hs_meeting_title": subject,
            "hs_meeting_body": f"{subject} with the buying team.",
            "hs_meeting_start_time": props["hs_timestamp"],
            "hs_meeting_end_time": hubspot_time(at + minutes * MINUTE_MS),
            "hs_meeting_outcome": outcome if done else "SCHEDULED",
        }
    elif kind == "calls":
        connected = rng.random() < 0.6
        props |= {
            "hs_call_title": subject,
            "hs_call_body": "Left a voicemail."
            if not connected
            else f"{subject}: discussed requirements.",
            "hs_call_direction": "OUTBOUND" if rng.random() < 0.85 else "INBOUND",
            "hs_call_duration": str(
                rng.randint(2, 40) * MINUTE_MS if connected else rng.randint(10, 40) * 1000
            ),
            "hs_call_status": "COMPLETED" if connected else "NO_ANSWER",
        }
    elif kind == "emails":
        props |= {
            "hs_email_subject": subject,
            "hs_email_direction": "EMAIL" if rng.random() < 0.75 else "INCOMING_EMAIL",
            "hs_email_status": "SENT",
        }
    elif kind == "tasks":
        props |= {
            "hs_task_subject": subject,
            "hs_task_status": "COMPLETED" if done else "NOT_STARTED",
            "hs_task_priority": rng.choice(("LOW", "MEDIUM", "HIGH")),
            "hs_task_type": rng.choice(("CALL", "EMAIL", "TODO")),
        }
    else:
        props["hs_note_body"] = subject
    return props
