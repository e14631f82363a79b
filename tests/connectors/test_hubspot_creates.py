"""Creating contacts whose email may already exist: nothing lost, nothing doubled.

HubSpot answers a batch create with a conflicting email per input (207) only when every
input carries an `objectWriteTraceId`; otherwise it refuses the whole batch with 409 naming
no existing id (recorded). Both answers must end with every change applied exactly once.
"""

from __future__ import annotations

import uuid

import pytest

from leadsync.connectors.base import Change, Window
from leadsync.connectors.hubspot import HubSpotConnector

from .conftest import hubspot_settings, until_now

CREATE = "POST /crm/v3/objects/contacts/batch/create"
READ = "POST /crm/v3/objects/contacts/batch/read"
UPDATE = "POST /crm/v3/objects/contacts/batch/update"


def emails(hubspot: HubSpotConnector) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in hubspot.read("contacts", Window(None, until_now())):
        found.setdefault(str(record.data.get("email")).lower(), []).append(record.id)
    return found


@pytest.mark.parametrize("multi_status", [True, False], ids=["207", "whole-batch-409"])
def test_creates_meeting_existing_emails_update_them(sandbox, admin, multi_status):
    admin.settings(hubspot={"batch_multi_status": multi_status})
    hubspot = HubSpotConnector(hubspot_settings(sandbox))
    before = emails(hubspot)
    taken = sorted(before)[:2]
    fresh = [f"new-{uuid.uuid4().hex[:6]}-{n}@example.com" for n in range(3)]
    changes = [
        Change(f"k{n}", "contact", None, {"email": address.upper() if n == 0 else address,
                                          "jobtitle": "Buyer"})
        for n, address in enumerate([*taken, *fresh])
    ]  # fmt: skip
    results = hubspot.write(changes)
    assert all(r.ok for r in results), [r.reason for r in results]
    after = emails(hubspot)
    assert [r.record_id for r in results[:2]] == [before[e][0] for e in taken]
    assert all(len(after[e]) == 1 for e in [*taken, *fresh])
    assert len(after) == len(before) + 3
    titles = {
        r.id: r.data.get("jobtitle") for r in hubspot.read("contacts", Window(None, until_now()))
    }
    assert all(titles[r.record_id] == "Buyer" for r in results)
    creates = admin.calls("hubspot", CREATE)
    assert creates == (1 if multi_status else 2)  # the refused batch, then the rest
    assert admin.calls("hubspot", READ) == (0 if multi_status else 1)
    assert admin.calls("hubspot", UPDATE) == 1
