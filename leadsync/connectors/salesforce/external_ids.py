"""The External ID field that makes creates idempotent, created when the org lacks it.

Every record leadsync creates carries leadsync's own id for the person in
`salesforce.external_id_field` (default `LeadSync_Id__c`) and is written by upsert on it, so
a create whose answer was lost (a timeout, a 502 after the save, a kill) updates the record
it made when sent again instead of making a second one.

Calls: the object's describe (shared with reads, once per connector); when the field is
missing, one Tooling API create (`tooling/sobjects/CustomField`) and one describe more.
A user without the Customize Application permission cannot create it: the answer then says
exactly what to create in Setup. A real org shows a new field to nobody until field-level
security grants it, so a created field that stays invisible asks for that grant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadsync.connectors.salesforce.client import RejectedCall, SalesforceClient
from leadsync.errors import AuthError, Rejected

LENGTH = 255
LABEL = "LeadSync Id"


@dataclass
class FieldReport:
    """What `ensure` found per object: created now, there already, or what stands in the way."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


class ExternalIds:
    """Checks (once per object per connector) that the External ID field is usable."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.name = client.settings.external_id_field
        self._problems: dict[str, str | None] = {}

    def problem(self, obj: str) -> str | None:
        """None when `obj` has a usable External ID field (creating it if needed), else why."""
        if obj not in self._problems:
            self._problems[obj] = self._ensure(obj)
        return self._problems[obj]

    def ensure(self, objects: tuple[str, ...]) -> FieldReport:
        report = FieldReport()
        for obj in objects:
            there = self._described(obj) is not None
            problem = self.problem(obj)
            if problem:
                report.problems[obj] = problem
            else:
                (report.existing if there else report.created).append(f"{obj}.{self.name}")
        return report

    def _ensure(self, obj: str) -> str | None:
        described = self._described(obj)
        if described is not None:
            return self._unusable(obj, described)
        try:
            self._create(obj)
        except (Rejected, AuthError) as exc:
            code = exc.code if isinstance(exc, RejectedCall) else type(exc).__name__
            if code != "DUPLICATE_DEVELOPER_NAME":
                return self._setup_needed(obj, str(exc))
        self.client.forget_describe(obj)
        described = self._described(obj)
        return self._unusable(obj, described) if described else self._grant_needed(obj)

    def _described(self, obj: str) -> dict | None:
        fields = self.client.describe(obj).get("fields") or []
        return next((f for f in fields if f["name"].lower() == self.name.lower()), None)

    def _create(self, obj: str) -> None:
        body = {
            "FullName": f"{obj}.{self.name}",
            "Metadata": {
                "type": "Text",
                "length": LENGTH,
                "externalId": True,
                "unique": True,
                "caseSensitive": False,
                "label": LABEL,
                "description": "leadsync's id for the person; creates are upserts on it",
            },
        }
        self.client.call(
            f"create the External ID field {obj}.{self.name}",
            lambda sf: sf.toolingexecute(
                "sobjects/CustomField", method="POST", data=body, timeout=self.client.timeout
            ),
        )

    def _unusable(self, obj: str, described: dict) -> str | None:
        if described.get("externalId") and described.get("createable"):
            return None
        return (
            f"Salesforce: {obj}.{self.name} exists but is not a writable External ID field, so "
            "leadsync cannot create records idempotently. Mark it External ID (and Unique) in "
            f"Setup → Object Manager → {obj} → Fields & Relationships, give the integration user "
            "Edit access to it, or set salesforce.external_id_field to another External ID field."
        )

    def _setup_needed(self, obj: str, why: str) -> str:
        return (
            f"Salesforce: leadsync needs the External ID field {obj}.{self.name} so a create it "
            f"has to resend never makes a second {obj}, and could not create it ({why}). In Setup "
            f"→ Object Manager → {obj} → Fields & Relationships → New, create a Text field of "
            f'length {LENGTH} labelled "{LABEL}" named "{self.name.removesuffix("__c")}", tick '
            '"Unique" (case-insensitive) and "External ID", and give the integration user Read '
            "and Edit access to it; or give the integration user the Customize Application "
            "permission and run again."
        )

    def _grant_needed(self, obj: str) -> str:
        return (
            f"Salesforce: the External ID field {obj}.{self.name} exists but the integration "
            "user cannot see it. Grant Read and Edit on it (Setup → Object Manager → "
            f"{obj} → Fields & Relationships → {LABEL} → Set Field-Level Security, or a "
            "permission set of the integration user) and run again."
        )
