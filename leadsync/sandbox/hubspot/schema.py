"""Default property definitions the emulator ships, in the Properties API's JSON shape.

Only properties a lead-sync integration touches, with HubSpot's internal names and option
values. Portals customise these; integrations must read options from the Properties API,
so the emulator lets tests change them there.
"""

from __future__ import annotations

from typing import Any

SCHEMA_TIME = "2019-08-06T02:41:08.304Z"

LIFECYCLE_STAGES = [
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
]
LEAD_STATUSES = [
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
]
EMPLOYEE_RANGES = [(v, v) for v in ("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000")]
EMPLOYEE_RANGES.append(("1000+", "1000+"))
ANALYTICS_SOURCES = [
    ("ORGANIC_SEARCH", "Organic Search"),
    ("PAID_SEARCH", "Paid Search"),
    ("EMAIL_MARKETING", "Email Marketing"),
    ("SOCIAL_MEDIA", "Organic Social"),
    ("REFERRALS", "Referrals"),
    ("OTHER_CAMPAIGNS", "Other Campaigns"),
    ("DIRECT_TRAFFIC", "Direct Traffic"),
    ("OFFLINE", "Offline Sources"),
    ("PAID_SOCIAL", "Paid Social"),
]

GROUPS = {
    "contacts": [
        ("contactinformation", "Contact information"),
        ("analyticsinformation", "Web analytics history"),
        ("emailinformation", "Email information"),
        ("conversioninformation", "Conversion information"),
        ("sales_properties", "Sales properties"),
    ],
    "companies": [("companyinformation", "Company information")],
}
ENGAGEMENT_GROUP = ("engagement", "Engagement information")


def options(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"label": label, "value": value, "description": "", "displayOrder": i, "hidden": False}
        for i, (value, label) in enumerate(pairs)
    ]


def prop(
    name: str,
    label: str,
    kind: str = "string",
    field_type: str = "text",
    group: str = "contactinformation",
    *,
    choices: list[tuple[str, str]] | None = None,
    read_only: bool = False,
    external: bool = False,
) -> dict[str, Any]:
    """One property definition as `GET /crm/v3/properties/{objectType}/{name}` returns it."""
    return {
        "updatedAt": SCHEMA_TIME,
        "createdAt": SCHEMA_TIME,
        "name": name,
        "label": label,
        "type": kind,
        "fieldType": field_type,
        "description": "",
        "groupName": group,
        "options": options(choices or []),
        "displayOrder": -1,
        "calculated": read_only,
        "externalOptions": external,
        "archived": False,
        "hasUniqueValue": False,
        "hidden": False,
        "hubspotDefined": True,
        "modificationMetadata": {
            "archivable": not read_only,
            "readOnlyDefinition": True,
            "readOnlyValue": read_only,
        },
        "formField": not read_only,
        "dataSensitivity": "non_sensitive",
    }


def stage_date_properties(value: str, label: str) -> list[dict[str, Any]]:
    """`hs_date_entered_<stage>` / `hs_date_exited_<stage>`, maintained on lifecycle change."""
    return [
        prop(
            f"hs_date_{edge}_{value}",
            f"Date {edge} '{label} (Lifecycle Stage Pipeline)'",
            "datetime",
            "calculation_read_time",
            "contactinformation",
            read_only=True,
        )
        for edge in ("entered", "exited")
    ]


def contact_properties() -> list[dict[str, Any]]:
    text = [
        ("email", "Email"),
        ("firstname", "First Name"),
        ("lastname", "Last Name"),
        ("company", "Company Name"),
        ("jobtitle", "Job Title"),
        ("industry", "Industry"),
        ("annualrevenue", "Annual Revenue"),
        ("phone", "Phone Number"),
        ("website", "Website URL"),
        ("city", "City"),
        ("state", "State/Region"),
        ("country", "Country/Region"),
    ]
    props = [prop(name, label) for name, label in text]
    props += [
        prop("hs_object_id", "Record ID", "number", "number", read_only=True),
        prop("createdate", "Create Date", "datetime", "date", read_only=True),
        prop("lastmodifieddate", "Last Modified Date", "datetime", "date", read_only=True),
        prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", choices=LIFECYCLE_STAGES),
        prop("hs_lead_status", "Lead Status", "enumeration", "radio", choices=LEAD_STATUSES),
        prop("hs_updated_by_user_id", "Updated by user ID", "number", "number", read_only=True),
        prop(
            "numemployees", "Number of Employees", "enumeration", "select", choices=EMPLOYEE_RANGES
        ),
        prop(
            "hubspot_owner_id",
            "Contact owner",
            "enumeration",
            "select",
            "sales_properties",
            external=True,
        ),
    ]
    props += _analytics_properties() + _conversion_properties() + _email_properties()
    for value, label in LIFECYCLE_STAGES:
        props += stage_date_properties(value, label)
    return props


def _analytics_properties() -> list[dict[str, Any]]:
    group = "analyticsinformation"
    sources = ANALYTICS_SOURCES
    return [
        prop(
            "hs_analytics_source",
            "Original Traffic Source",
            "enumeration",
            "select",
            group,
            choices=sources,
        ),
        prop(
            "hs_latest_source",
            "Latest Traffic Source",
            "enumeration",
            "select",
            group,
            choices=sources,
        ),
        prop("hs_analytics_source_data_1", "Original Traffic Source Drill-Down 1", group=group),
        prop("hs_analytics_source_data_2", "Original Traffic Source Drill-Down 2", group=group),
        prop(
            "hs_analytics_num_page_views",
            "Number of Pageviews",
            "number",
            "number",
            group,
            read_only=True,
        ),
        prop(
            "hs_analytics_num_visits",
            "Number of Sessions",
            "number",
            "number",
            group,
            read_only=True,
        ),
        prop("hs_analytics_first_url", "First Page Seen", group=group, read_only=True),
        prop("hs_analytics_last_url", "Last Page Seen", group=group, read_only=True),
        prop(
            "hs_analytics_first_visit_timestamp",
            "Time of First Session",
            "datetime",
            "date",
            group,
            read_only=True,
        ),
        prop(
            "hs_analytics_last_visit_timestamp",
            "Time of Last Session",
            "datetime",
            "date",
            group,
            read_only=True,
        ),
    ]


def _conversion_properties() -> list[dict[str, Any]]:
    group = "conversioninformation"
    return [
        prop(
            "num_conversion_events",
            "Number of Form Submissions",
            "number",
            "number",
            group,
            read_only=True,
        ),
        prop("first_conversion_event_name", "First Conversion", group=group, read_only=True),
        prop(
            "first_conversion_date",
            "First Conversion Date",
            "datetime",
            "date",
            group,
            read_only=True,
        ),
        prop("recent_conversion_event_name", "Recent Conversion", group=group, read_only=True),
        prop(
            "recent_conversion_date",
            "Recent Conversion Date",
            "datetime",
            "date",
            group,
            read_only=True,
        ),
    ]


def _email_properties() -> list[dict[str, Any]]:
    group = "emailinformation"
    return [
        prop(
            "hs_email_last_open_date",
            "Last marketing email open date",
            "datetime",
            "date",
            group,
            read_only=True,
        ),
        prop(
            "hs_email_last_click_date",
            "Last marketing email click date",
            "datetime",
            "date",
            group,
            read_only=True,
        ),
        prop("hs_email_open", "Marketing emails opened", "number", "number", group, read_only=True),
        prop(
            "hs_email_click", "Marketing emails clicked", "number", "number", group, read_only=True
        ),
    ]


ENGAGEMENT_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "meetings": [
        ("hs_meeting_title", "Meeting name", "string"),
        ("hs_meeting_body", "Meeting description", "string"),
        ("hs_meeting_start_time", "Start Time", "datetime"),
        ("hs_meeting_end_time", "End Time", "datetime"),
        ("hs_meeting_outcome", "Meeting outcome", "string"),
    ],
    "calls": [
        ("hs_call_title", "Call Title", "string"),
        ("hs_call_body", "Call notes", "string"),
        ("hs_call_duration", "Call duration", "number"),
        ("hs_call_direction", "Call direction", "string"),
        ("hs_call_disposition", "Call outcome", "string"),
        ("hs_call_status", "Call status", "string"),
    ],
    "notes": [("hs_note_body", "Note body", "string")],
    "tasks": [
        ("hs_task_subject", "Task Title", "string"),
        ("hs_task_body", "Task notes", "string"),
        ("hs_task_status", "Task Status", "string"),
        ("hs_task_priority", "Priority", "string"),
        ("hs_task_type", "Task Type", "string"),
    ],
    "emails": [
        ("hs_email_subject", "Email subject", "string"),
        ("hs_email_text", "Email body", "string"),
        ("hs_email_direction", "Email direction", "string"),
        ("hs_email_status", "Email send status", "string"),
    ],
}

FIELD_TYPES = {"string": "text", "number": "number", "datetime": "date"}


def engagement_properties(object_type: str) -> list[dict[str, Any]]:
    group = ENGAGEMENT_GROUP[0]
    props = [
        prop("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        prop("hs_createdate", "Create Date", "datetime", "date", group, read_only=True),
        prop(
            "hs_lastmodifieddate", "Last Modified Date", "datetime", "date", group, read_only=True
        ),
        prop("hs_timestamp", "Activity date", "datetime", "date", group),
        prop(
            "hubspot_owner_id",
            "Activity assigned to",
            "enumeration",
            "select",
            group,
            external=True,
        ),
    ]
    for name, label, kind in ENGAGEMENT_FIELDS[object_type]:
        props.append(prop(name, label, kind, FIELD_TYPES[kind], group))
    return props
