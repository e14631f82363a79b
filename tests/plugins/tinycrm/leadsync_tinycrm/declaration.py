"""What leadsync's core knows about TinyCRM: this declaration, and nothing else.

TinyCRM is a second marketing CRM: its people carry a `status` that scoring owns, and its
activities (webinars attended, pages viewed) are engagement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadsync.mapping.catalog import Declaration, PersonObject
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.model import EngagementEvent, EventKind, Stage
from leadsync.mapping.normalize import Engagement, PersonRef, url_attributes, when_of
from leadsync.mapping.stages import Vocabulary
from leadsync_tinycrm.connector import TinyCrmSettings

SYSTEM, PERSON = "tinycrm", "tinycrm_person"

STATUS = Vocabulary(
    system=SYSTEM,
    obj="person",
    prop="status",
    inbound={
        "subscriber": Stage.LEAD,
        "hot": Stage.MQL,
        "sales_ready": Stage.SQL,
        "prospect": Stage.PROSPECT,
        "opportunity": Stage.OPPORTUNITY,
        "customer": Stage.CUSTOMER,
        "junk": Stage.SUSPECT,
    },
    outbound={
        Stage.LEAD: "subscriber",
        Stage.MQL: "hot",
        Stage.SQL: "sales_ready",
        Stage.PROSPECT: "prospect",
        Stage.OPPORTUNITY: "opportunity",
        Stage.CUSTOMER: "customer",
        Stage.SUSPECT: "junk",
    },
)

FIELDS = (
    FieldMap("email", "email", "email"),
    FieldMap("first_name", "first_name"),
    FieldMap("last_name", "last_name"),
    FieldMap("title", "job_title"),
    FieldMap("seniority", "job_title", "seniority"),
    FieldMap("company", "company"),
    FieldMap("employees", "headcount", "integer"),
)

WRITEBACK = {"stage": "ls_stage", "fit": "ls_fit", "engagement": "ls_engagement",
             "total": "ls_score", "grade": "ls_grade", "reasons": "ls_reasons"}  # fmt: skip

_KINDS = {"webinar": EventKind.WEBINAR, "page_view": EventKind.PAGE_VIEW}


def engagement(stream: str, record_id: str, data: Mapping[str, Any]) -> Engagement | None:
    kind = _KINDS.get(str(data.get("type"))) if stream == "activities" else None
    if kind is None:
        return None
    attrs = url_attributes(str(data["url"])) if data.get("url") else {}
    attrs.update({k: str(data[k]) for k in ("campaign",) if data.get(k)})
    at = when_of(data.get("at"), f"{SYSTEM} {stream} {record_id}")
    event = EngagementEvent(SYSTEM, record_id, kind, at, attrs)
    return Engagement((PersonRef(PERSON, str(data["person_id"])),), event)


DECLARATION = Declaration(
    name=SYSTEM,
    label="TinyCRM",
    role="marketing",
    connector="leadsync_tinycrm.connector:TinyCrmConnector",
    settings=TinyCrmSettings,
    streams=("people", "activities"),
    people=(PersonObject("person", "people", PERSON),),
    vocabularies=(STATUS,),
    field_maps={"person": FIELDS},
    writeback={"person": WRITEBACK},
    precedence=30,
    engagement=engagement,
    stamps=frozenset({"updated_at"}),
)
