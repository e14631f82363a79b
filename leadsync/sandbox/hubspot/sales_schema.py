"""Deals and tickets: their default properties, as a new portal defines them.

Values of the default pipelines: deal stages of the "default" pipeline, ticket stages of
pipeline "0" (HubSpot's internal ids for them).
"""

from __future__ import annotations

from typing import Any

from leadsync.sandbox.hubspot.schema import prop

DEAL_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled"), ("qualifiedtobuy", "Qualified To Buy"),
    ("presentationscheduled", "Presentation Scheduled"),
    ("decisionmakerboughtin", "Decision Maker Bought-In"), ("contractsent", "Contract Sent"),
    ("closedwon", "Closed Won"), ("closedlost", "Closed Lost"),
]  # fmt: skip
TICKET_STAGES = [("1", "New"), ("2", "Waiting on contact"), ("3", "Waiting on us"),
                 ("4", "Closed")]  # fmt: skip
PRIORITIES = [("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High")]
GROUPS = {
    "deals": [("dealinformation", "Deal information")],
    "tickets": [("ticketinformation", "Ticket information")],
}


def _system(group: str) -> list[dict[str, Any]]:
    return [
        prop("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        prop("createdate", "Create Date", "datetime", "date", group, read_only=True),
        prop("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", group,
             read_only=True),
        prop("hubspot_owner_id", "Owner", "enumeration", "select", group, external=True),
    ]  # fmt: skip


def deal_properties() -> list[dict[str, Any]]:
    group = "dealinformation"
    return [
        *_system(group),
        prop("dealname", "Deal Name", group=group),
        prop("amount", "Amount", "number", "number", group),
        prop("closedate", "Close Date", "datetime", "date", group),
        prop("pipeline", "Pipeline", "enumeration", "select", group,
             choices=[("default", "Sales Pipeline")]),
        prop("dealstage", "Deal Stage", "enumeration", "radio", group, choices=DEAL_STAGES),
        prop("dealtype", "Deal Type", "enumeration", "radio", group,
             choices=[("newbusiness", "New Business"), ("existingbusiness", "Existing Business")]),
    ]  # fmt: skip


def ticket_properties() -> list[dict[str, Any]]:
    group = "ticketinformation"
    return [
        *_system(group),
        prop("subject", "Ticket name", group=group),
        prop("content", "Ticket description", "string", "textarea", group),
        prop("hs_pipeline", "Pipeline", "enumeration", "select", group,
             choices=[("0", "Support Pipeline")]),
        prop("hs_pipeline_stage", "Ticket status", "enumeration", "radio", group,
             choices=TICKET_STAGES),
        prop("hs_ticket_priority", "Priority", "enumeration", "radio", group, choices=PRIORITIES),
        prop("hs_ticket_category", "Category", "enumeration", "checkbox", group,
             choices=[("PRODUCT_ISSUE", "Product Issue"), ("BILLING_ISSUE", "Billing Issue"),
                      ("GENERAL_INQUIRY", "General Inquiry")]),
    ]  # fmt: skip
