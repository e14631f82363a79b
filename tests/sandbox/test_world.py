"""The sandbox's synthetic world: reproducible, in the shapes the CRMs use, and a believable funnel."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadsync.sandbox.world import World, generate
from leadsync.sandbox.world.formats import salesforce_id

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SIZE = 5_000
SITE = "https://www.example-saas.com"

HUBSPOT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SALESFORCE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
SALESFORCE_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{18}$")
PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
}
DATE_FIELDS = ("ConvertedDate", "CloseDate", "ActivityDate", "FirstRespondedDate")
LEAD_STATUSES = {
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
}
OPEN_STAGES = {
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
}
FREE_MAIL = {
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "gmx.de",
}
HAND_RAISES = {"Demo request", "Contact sales", "Request a quote"}
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def world() -> World:
    return generate(SIZE, seed=7, now=NOW)


@pytest.fixture(scope="module")
def contacts(world: World) -> dict[str, dict[str, str]]:
    return {c["id"]: c["properties"] for c in world.hubspot.contacts}


def domain(email: str) -> str:
    return email.rsplit("@", 1)[1].lower()


def by_id(world: World, sobject: str) -> dict[str, dict[str, Any]]:
    return {record["Id"]: record for record in world.salesforce[sobject]}


# Reproducibility


def test_the_same_seed_gives_the_same_world() -> None:
    assert generate(800, seed=11, now=NOW) == generate(800, seed=11, now=NOW)


def test_another_seed_gives_another_world() -> None:
    first, second = generate(800, seed=11, now=NOW), generate(800, seed=12, now=NOW)
    assert first.hubspot.contacts != second.hubspot.contacts
    assert first.salesforce["Lead"] != second.salesforce["Lead"]


def test_history_ends_at_the_clock_when_no_now_is_given() -> None:
    world = generate(30, seed=1)
    assert abs(world.now - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_empty_world_is_allowed() -> None:
    world = generate(0, seed=1, now=NOW)
    assert world.hubspot.contacts == [] and world.salesforce["Lead"] == []
    assert sum(world.summary()["funnel"].values()) == 0


# HubSpot shapes


def test_hubspot_contacts_have_string_properties_and_ids_in_creation_order(world: World) -> None:
    records = world.hubspot.contacts
    assert [r["id"] for r in records] == [str(n) for n in range(101, 101 + SIZE)]
    created = [r["properties"]["createdate"] for r in records]
    assert created == sorted(created)
    for record in records:
        props = record["properties"]
        assert all(isinstance(value, str) for value in props.values()), props
        assert props["hs_object_id"] == record["id"]
        assert record["createdAt"] == props["createdate"]
        assert record["updatedAt"] == props["lastmodifieddate"]
        assert HUBSPOT_TIME.match(props["createdate"]) and HUBSPOT_TIME.match(record["updatedAt"])
        assert props["createdate"] <= props["lastmodifieddate"] <= "2025-06-01T12:00:00.000Z"
        assert props["hs_analytics_num_page_views"].isdigit()
        assert props.get("recent_conversion_date", "0").isdigit()


def test_hubspot_contacts_carry_firmographics_in_hubspot_vocabularies(contacts: dict) -> None:
    bands = {"1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+"}
    with_company = [p for p in contacts.values() if "company" in p]
    assert len(with_company) > 0.8 * SIZE
    for props in with_company:
        assert props["numemployees"] in bands
        assert re.fullmatch(r"[A-Z_]+", props["industry"])
        assert props["annualrevenue"].isdigit()
        assert props["website"].startswith("https://www.")
    assert {p["ecommerce_platform"] for p in with_company} >= {"Shopify", "Magento", "custom"}
    assert {p.get("country") for p in contacts.values()} >= {"United States", "Germany"}


def test_hubspot_events_reference_contacts_and_keep_their_shapes(world: World) -> None:
    hub = world.hubspot
    emails = {c["properties"]["email"] for c in hub.contacts}
    ids = {c["id"] for c in hub.contacts}
    for view in hub.page_views[:20_000]:
        assert set(view) == {"id", "contact_id", "occurred_at", "url"}
        assert view["contact_id"] in ids and view["url"].startswith(SITE)
        assert HUBSPOT_TIME.match(view["occurred_at"])
    guids = {form["guid"] for form in hub.forms}
    assert {form["name"] for form in hub.forms} >= HAND_RAISES | {"Newsletter signup"}
    for submission in hub.form_submissions:
        assert submission["form_guid"] in guids and submission["contact_id"] in ids
        assert isinstance(submission["submitted_at"], int)
        assert submission["values"][0]["name"] == "email"
    for event in hub.email_events:
        assert event["recipient"] in emails and isinstance(event["created"], int)
        assert ("url" in event) == (event["type"] == "CLICK")
    kinds = Counter(event["type"] for event in hub.email_events)
    assert set(kinds) == {"SENT", "OPEN", "CLICK", "UNSUBSCRIBED"}
    assert kinds["SENT"] > kinds["OPEN"] > kinds["CLICK"] > kinds["UNSUBSCRIBED"]


def test_hubspot_ids_are_unique_and_follow_time(world: World) -> None:
    hub = world.hubspot
    for rows, key, time in (
        (hub.page_views, "id", "occurred_at"),
        (hub.email_events, "id", "created"),
        (hub.form_submissions, "conversion_id", "submitted_at"),
    ):
        assert len({row[key] for row in rows}) == len(rows)
        times = [row[time] for row in rows]
        assert times == sorted(times)
    engagement_ids = [e["id"] for rows in hub.engagements.values() for e in rows]
    assert len(set(engagement_ids)) == len(engagement_ids)


def test_engagements_hold_string_properties_for_known_contacts(world: World) -> None:
    engagements = world.hubspot.engagements
    assert set(engagements) == {"meetings", "calls", "notes", "tasks", "emails"}
    ids = {c["id"] for c in world.hubspot.contacts}
    for rows in engagements.values():
        assert rows
        for row in rows:
            assert all(isinstance(v, str) for v in row["properties"].values())
            assert HUBSPOT_TIME.match(row["properties"]["hs_timestamp"])
            assert set(row["contact_ids"]) <= ids
    assert all("hs_meeting_title" in m["properties"] for m in engagements["meetings"])


# Salesforce shapes


def test_salesforce_ids_are_unique_prefixed_and_sort_in_creation_order(world: World) -> None:
    for sobject, prefix in PREFIXES.items():
        records = world.salesforce[sobject]
        assert records, sobject
        ids = [record["Id"] for record in records]
        assert all(SALESFORCE_ID.match(i) and i.startswith(prefix) for i in ids), sobject
        assert ids == sorted(ids) and len(set(ids)) == len(ids), sobject
        created = [record["CreatedDate"] for record in records]
        assert created == sorted(created), sobject


def test_salesforce_ids_carry_the_case_safe_suffix() -> None:
    counter = 0
    for char in "D000000IqhSL":  # Salesforce's documented 001D000000IqhSL -> ...IAZ
        counter = (
            counter * 62
            + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".index(char)
        )
    assert salesforce_id("001", counter) == "001D000000IqhSLIAZ"


def test_salesforce_timestamps_are_formatted_and_never_after_now(world: World) -> None:
    now = "2025-06-01T12:00:00.000+0000"
    for sobject, records in world.salesforce.items():
        for record in records:
            assert SALESFORCE_TIME.match(record["CreatedDate"]), sobject
            assert record["LastModifiedDate"] == record["SystemModstamp"]
            assert record["CreatedDate"] <= record["LastModifiedDate"] <= now, record
            assert record["IsDeleted"] is False
            for name in DATE_FIELDS:
                assert record.get(name) is None or SALESFORCE_DATE.match(record[name])


def test_opportunity_flags_follow_the_stage(world: World) -> None:
    stages = Counter()
    for opportunity in world.salesforce["Opportunity"]:
        stage = opportunity["StageName"]
        stages[stage] += 1
        assert stage in OPEN_STAGES | {"Closed Won", "Closed Lost"}
        assert opportunity["IsClosed"] == (stage in ("Closed Won", "Closed Lost"))
        assert opportunity["IsWon"] == (stage == "Closed Won")
        assert opportunity["Amount"] > 0
    assert stages["Closed Won"] and stages["Closed Lost"] and set(stages) & OPEN_STAGES


def test_converted_leads_point_to_their_contact_account_and_opportunity(world: World) -> None:
    contacts, accounts = by_id(world, "Contact"), by_id(world, "Account")
    opportunities = by_id(world, "Opportunity")
    roles = {
        (r["OpportunityId"], r["ContactId"]) for r in world.salesforce["OpportunityContactRole"]
    }
    converted = [lead for lead in world.salesforce["Lead"] if lead["IsConverted"]]
    assert converted
    for lead in converted:
        assert lead["Status"] == "Closed - Converted" and lead["ConvertedDate"]
        contact = contacts[lead["ConvertedContactId"]]
        opportunity = opportunities[lead["ConvertedOpportunityId"]]
        assert lead["ConvertedAccountId"] in accounts
        assert contact["AccountId"] == opportunity["AccountId"] == lead["ConvertedAccountId"]
        assert contact["Email"] == lead["Email"]
        assert (opportunity["Id"], contact["Id"]) in roles
    for lead in world.salesforce["Lead"]:
        if not lead["IsConverted"]:
            assert lead["Status"] != "Closed - Converted" and lead["ConvertedContactId"] is None


def test_every_salesforce_reference_resolves(world: World) -> None:
    known = {record["Id"] for records in world.salesforce.values() for record in records}
    references = {
        "Contact": ("AccountId",),
        "Opportunity": ("AccountId",),
        "OpportunityContactRole": ("OpportunityId", "ContactId"),
        "Task": ("WhoId", "WhatId"),
        "Event": ("WhoId", "WhatId"),
        "CampaignMember": ("CampaignId", "LeadId", "ContactId"),
    }
    for sobject, fields in references.items():
        for record in world.salesforce[sobject]:
            values = [record[field] for field in fields]
            assert all(value is None or value in known for value in values), record
    members = world.salesforce["CampaignMember"]
    for member in members:
        assert member["LeadId"] or member["ContactId"]
        assert member["HasResponded"] == (member["Status"] == "Responded")
        assert member["HasResponded"] == (member["FirstRespondedDate"] is not None)
    assert {member["Status"] for member in members} == {"Sent", "Responded"}


def test_salesforce_picklists_use_the_default_values(world: World) -> None:
    sources = {"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
    industries = {
        "Technology", "Retail", "Finance", "Healthcare", "Education", "Consulting",
        "Manufacturing", "Media", "Apparel", "Consumer Goods", "Other", None,
    }  # fmt: skip
    for lead in world.salesforce["Lead"]:
        assert lead["Status"] in LEAD_STATUSES and lead["LeadSource"] in sources
        assert lead["Industry"] in industries and lead["Company"]
    assert {lead["Status"] for lead in world.salesforce["Lead"]} == LEAD_STATUSES
    assert {t["TaskSubtype"] for t in world.salesforce["Task"]} == {"Call", "Email", "Task"}
    assert {c["Type"] for c in world.salesforce["Campaign"]} == {"Webinar", "Email", "Trade Show"}


# The funnel


def test_the_intended_funnel_has_the_stated_proportions(world: World) -> None:
    funnel = world.summary()["funnel"]
    assert sum(funnel.values()) == SIZE
    qualified = sum(funnel[step] for step in ("mql-like", "sql-like", "opportunity", "won", "lost"))
    assert 0.10 * SIZE <= qualified <= 0.20 * SIZE
    assert funnel["sql-like"] < funnel["mql-like"]
    assert funnel["opportunity"] and funnel["won"] and funnel["lost"]
    assert funnel["weak"] > SIZE / 2
    assert 0.05 * SIZE <= funnel["junk"] <= 0.25 * SIZE


def test_the_data_itself_shows_the_funnel(world: World, contacts: dict) -> None:
    """Firmographics plus engagement, as a scoring rule would see them, land MQLs at 10-20%."""
    forms = {form["guid"]: form["name"] for form in world.hubspot.forms}
    submitted = defaultdict(list)
    for row in world.hubspot.form_submissions:
        submitted[row["contact_id"]].append((forms[row["form_guid"]], row["submitted_at"]))
    views = Counter(view["contact_id"] for view in world.hubspot.page_views)
    now_ms = int(NOW.timestamp() * 1000)
    target = {"RETAIL", "APPAREL_FASHION", "CONSUMER_GOODS", "INTERNET"}
    sized = {"50-100", "100-500", "500-1000", "1000+"}
    buyers = re.compile(r"Chief|CEO|CTO|CMO|COO|CFO|VP|Director|Head|Manager")
    fit = {
        cid for cid, p in contacts.items()
        if p.get("industry") in target and p.get("numemployees") in sized
        and buyers.search(p.get("jobtitle", ""))
    }  # fmt: skip
    engaged = {
        cid for cid, rows in submitted.items()
        if views[cid] >= 12 and any(n != "Newsletter signup" for n, _ in rows)
    }  # fmt: skip
    hands = {
        cid for cid, rows in submitted.items()
        if any(n in HAND_RAISES and now_ms - at < 30 * DAY_MS for n, at in rows)
    }  # fmt: skip
    assert 0.10 * SIZE <= len(fit & engaged) <= 0.20 * SIZE
    assert 0 < len(fit & hands) < len(fit & engaged)


def test_hubspot_stages_are_mostly_early_and_lead_status_is_partial(contacts: dict) -> None:
    stages = Counter(p["lifecyclestage"] for p in contacts.values())
    assert stages["lead"] + stages["subscriber"] > 0.7 * SIZE
    for stage in ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"):
        assert stages[stage] > 0, stage
    assert 0 < stages["other"] < 0.05 * SIZE
    statuses = Counter(p.get("hs_lead_status") for p in contacts.values())
    assert 0.2 * SIZE < SIZE - statuses[None] < 0.8 * SIZE
    assert statuses["UNQUALIFIED"] > 0


def test_salesforce_holds_part_of_the_people(world: World, contacts: dict) -> None:
    known = {
        record["Email"].lower()
        for sobject in ("Lead", "Contact")
        for record in world.salesforce[sobject]
    }
    held = sum(p["email"] in known for p in contacts.values())
    assert 0.4 * SIZE <= held <= 0.6 * SIZE


def test_salesforce_sometimes_disagrees_with_hubspot(world: World, contacts: dict) -> None:
    stage_by_email = {p["email"]: p["lifecyclestage"] for p in contacts.values()}
    pairs = Counter(
        (lead["Status"], stage_by_email.get(lead["Email"])) for lead in world.salesforce["Lead"]
    )
    assert pairs[("Working - Contacted", "lead")] > 0
    assert pairs[("Closed - Not Converted", "marketingqualifiedlead")] > 0


def test_every_junk_kind_shows_its_signal(world: World, contacts: dict) -> None:
    kinds = defaultdict(list)
    for cid, profile in world.profiles.items():
        kinds[profile].append(contacts[cid])
    assert all(domain(p["email"]) in FREE_MAIL for p in kinds["freemail"])
    assert all(p["jobtitle"] == "Student" and p["email"].endswith(".edu") for p in kinds["student"])
    competitors = {"rivalsync.com", "funnelforge.io", "leadbridge.com"}
    assert all(domain(p["email"]) in competitors for p in kinds["competitor"])
    seekers = {p["hs_object_id"] for p in kinds["jobseeker"]}
    seeker_urls = {v["url"] for v in world.hubspot.page_views if v["contact_id"] in seekers}
    assert seeker_urls and all(url.startswith(f"{SITE}/careers") for url in seeker_urls)
    assert all(kinds[kind] for kind in ("freemail", "student", "competitor", "jobseeker"))


def test_paid_ad_contacts_landed_with_utm_tags(world: World, contacts: dict) -> None:
    paid = {
        cid for cid, p in contacts.items() if p.get("hs_analytics_source", "").startswith("PAID_")
    }
    assert 0.05 * SIZE < len(paid) < 0.3 * SIZE
    first_view: dict[str, str] = {}
    for view in world.hubspot.page_views:  # time order: the first seen is the landing
        first_view.setdefault(view["contact_id"], view["url"])
    for cid in paid:
        assert "utm_medium=" in contacts[cid]["hs_analytics_first_url"]
        assert first_view[cid] == contacts[cid]["hs_analytics_first_url"]


def test_activity_clusters_around_a_buying_journey(world: World) -> None:
    """Qualified people did most of their browsing within a few weeks, not evenly over 18 months."""
    times = defaultdict(list)
    for view in world.hubspot.page_views:
        times[view["contact_id"]].append(view["occurred_at"])
    clustered = 0
    mqls = [cid for cid, profile in world.profiles.items() if profile == "mql"]
    for cid in mqls:
        stamps = sorted(datetime.fromisoformat(t) for t in times[cid])
        window = timedelta(days=21)
        best = max(
            sum(1 for other in stamps if stamp <= other < stamp + window) for stamp in stamps
        )
        clustered += best >= len(stamps) / 2
    assert clustered > 0.7 * len(mqls)


# Awkward data the sync must survive


def test_same_email_duplicates_exist_in_salesforce_only(world: World, contacts: dict) -> None:
    emails = [p["email"] for p in contacts.values()]
    assert len(set(emails)) == len(emails)  # HubSpot refuses duplicate emails
    leads = Counter(lead["Email"].lower() for lead in world.salesforce["Lead"])
    assert sum(1 for count in leads.values() if count > 1) > 0
    open_leads = {
        lead["Email"].lower() for lead in world.salesforce["Lead"] if not lead["IsConverted"]
    }
    contact_emails = {contact["Email"].lower() for contact in world.salesforce["Contact"]}
    assert open_leads & contact_emails


def test_some_emails_carry_apostrophes(world: World, contacts: dict) -> None:
    assert any("'" in p["email"] for p in contacts.values())
    assert any("'" in lead["Email"] for lead in world.salesforce["Lead"])


def test_many_records_share_a_modification_instant(world: World) -> None:
    hubspot = Counter(c["updatedAt"] for c in world.hubspot.contacts)
    assert hubspot.most_common(1)[0][1] >= 50
    assert Counter(c["createdAt"] for c in world.hubspot.contacts).most_common(1)[0][1] >= 20
    leads = world.salesforce["Lead"]
    assert Counter(lead["SystemModstamp"] for lead in leads).most_common(1)[0][1] >= 50
    assert Counter(lead["CreatedDate"] for lead in leads).most_common(1)[0][1] >= 20


def test_volume_and_summary(world: World) -> None:
    summary = world.summary()
    hubspot = summary["hubspot"]
    assert hubspot["contacts"] == SIZE
    assert hubspot["page_views"] == len(world.hubspot.page_views)
    assert summary["salesforce"]["Lead"] == len(world.salesforce["Lead"])
    events = sum(count for name, count in hubspot.items() if name not in ("contacts", "forms"))
    assert 12 * SIZE < events < 30 * SIZE
    assert set(summary["junk"]) == {"freemail", "student", "competitor", "jobseeker"}
