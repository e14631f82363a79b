"""Which fields the integration user can read, so every SELECT names only those.

Field-level security hides fields from an integration user: they are absent from its
describe, and a SOQL query naming one fails whole (400 INVALID_FIELD). So each query is built
from the wanted fields (`SalesforceSettings.fields`) that the object's describe lists, one
describe per object per connector. A hidden field is either

    required   leadsync cannot work without it: the read stops with `HiddenField`, naming
               the field and the permission to grant;
    optional   the read goes on without it and `warnings()` says, once, what is lost.

Required: the tables below, plus every custom field wanted on Lead and Contact (those are
the fields leadsync writes back and reads to compare). An object the user cannot describe
at all is skipped with a warning when no person or stage evidence depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadsync.connectors.base import FieldCheck
from leadsync.connectors.salesforce.client import RejectedCall, SalesforceClient
from leadsync.errors import AuthError

_ORDER = ("read changes in order",)
_ALWAYS = {"Id": _ORDER[0], "SystemModstamp": _ORDER[0], "IsDeleted": "notice deletions"}
# Field -> what leadsync needs it for, per object. Missing one of these stops the read.
REQUIRED: dict[str, dict[str, str]] = {
    "Lead": {"Email": "match people between the CRMs", "Status": "read and write the stage"},
    "Contact": {"Email": "match people between the CRMs"},
    "Opportunity": {
        "StageName": "read deal stages",
        "IsClosed": "tell open deals from closed ones",
        "IsWon": "tell won deals from lost ones",
    },
    "OpportunityContactRole": {
        "OpportunityId": "link deals to people",
        "ContactId": "link deals to people",
    },
}
# Objects a sync cannot do without; the others are skipped (with a warning) when hidden.
ESSENTIAL = ("Lead", "Contact")
_SCORED = "is not used for fit scoring"
# (object, field) -> what is lost without it, as the start of a sentence.
LOSSES: dict[tuple[str, str], str] = {
    ("Lead", "HasOptedOutOfEmail"): "unsubscribes from Salesforce are not scored",
    ("Contact", "HasOptedOutOfEmail"): "unsubscribes from Salesforce are not scored",
    ("Lead", "Industry"): f"the Lead's industry {_SCORED}",
    ("Lead", "NumberOfEmployees"): f"the Lead's company size {_SCORED}",
    ("Lead", "AnnualRevenue"): f"the Lead's annual revenue {_SCORED}",
    ("Lead", "Title"): f"the Lead's title {_SCORED}",
    ("Lead", "Country"): f"the Lead's country {_SCORED}",
    ("Lead", "IsConverted"): "converted Leads are not followed to their Contact",
    ("Lead", "ConvertedContactId"): "converted Leads are not followed to their Contact",
    ("Lead", "LastModifiedById"): "changes to Leads are credited to no named person",
    ("Contact", "LastModifiedById"): "changes to Contacts are credited to no named person",
    ("CampaignMember", "Status"): "webinar attendance from Salesforce campaigns is not scored",
    ("CampaignMember", "HasResponded"): "campaign responses are not scored",
    ("CampaignMember", "Campaign.Type"): (
        "webinar attendance in Salesforce counts only as a campaign response"
    ),
    ("Opportunity", "Amount"): "deal amounts are not recorded",
}


class HiddenField(AuthError):
    """A field leadsync needs is hidden from the integration user (field-level security)."""


class FieldAccess:
    """The readable columns of each stream, and the sentences saying what hidden ones cost."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self._columns: dict[str, list[str] | None] = {}
        self._warnings: list[str] = []

    def columns(self, obj: str) -> list[str] | None:
        """The wanted fields of `obj` the user can read; None when `obj` cannot be read at all.

        Raises `HiddenField` when a required field is hidden.
        """
        if obj not in self._columns:
            self._columns[obj] = self._resolve(obj)
        return self._columns[obj]

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def readable(self, obj: str) -> set[str] | None:
        """The names the describe of `obj` lists (None: the object cannot be described)."""
        try:
            described = self.client.describe(obj)
        except RejectedCall as exc:
            if obj in ESSENTIAL:
                raise
            self._warn(
                f"{obj} records are not read: the integration user cannot access {obj} "
                f"({exc.code}); grant Read on {obj} in the user's permission set."
            )
            return None
        return {f["name"] for f in described.get("fields") or []}

    def _resolve(self, obj: str) -> list[str] | None:
        visible = self.readable(obj)
        if visible is None:
            return None
        wanted = list(dict.fromkeys(["Id", "SystemModstamp", "IsDeleted", *self._wanted(obj)]))
        hidden = [f for f in wanted if not self._sees(obj, f, visible)]
        needed = [f for f in hidden if self.purpose(obj, f)]
        if needed:
            raise HiddenField(self.refusal(obj, needed), system="salesforce")
        for name in hidden:
            self._warn(self.loss(obj, name))
        return [f for f in wanted if f not in hidden]

    def _sees(self, obj: str, name: str, visible: set[str]) -> bool:
        """`name` is readable: a field of `obj`, or `Parent.Field` through a lookup."""
        if "." not in name:
            return name in visible
        relationship, _, target_field = name.partition(".")
        lookups = self.client.describe(obj).get("fields") or []
        lookup = next((f for f in lookups if f.get("relationshipName") == relationship), None)
        if lookup is None or lookup["name"] not in visible or not lookup.get("referenceTo"):
            return False
        parent = self.readable(lookup["referenceTo"][0])
        return parent is not None and target_field in parent

    def _wanted(self, obj: str) -> Sequence[str]:
        return self.client.settings.fields.get(obj, ())

    def purpose(self, obj: str, name: str) -> str | None:
        """Why leadsync cannot do without `obj.name`; None for an optional field."""
        if name in _ALWAYS:
            return _ALWAYS[name]
        if obj in ESSENTIAL and name.endswith("__c") and name in self._wanted(obj):
            return "write back the stage and scores, and compare them with what is there"
        return REQUIRED.get(obj, {}).get(name)

    def refusal(self, obj: str, names: Sequence[str]) -> str:
        needs = "; ".join(f"{obj}.{n} to {self.purpose(obj, n) or 'work'}" for n in names)
        return (
            f"Salesforce: the integration user cannot read {', '.join(f'{obj}.{n}' for n in names)}"
            f", which leadsync needs ({needs}). Grant Read on {'them' if len(names) > 1 else 'it'}"
            f" (and Edit on fields leadsync writes) in the integration user's permission set: "
            f"Setup → Object Manager → {obj} → Fields & Relationships → the field → Set "
            "Field-Level Security. Then run again."
        )

    def loss(self, obj: str, name: str) -> str:
        lost = LOSSES.get((obj, name), f"{obj}.{name} is left empty wherever it is mapped")
        return (
            f"{lost[0].upper()}{lost[1:]}: the integration user cannot read {obj}.{name}; grant "
            "Read on it in the user's permission set (Setup → Object Manager → "
            f"{obj} → Fields & Relationships → {name} → Set Field-Level Security)."
        )

    def _warn(self, sentence: str) -> None:
        if sentence not in self._warnings:
            self._warnings.append(sentence)

    def check(self, writes: Mapping[str, Sequence[str]], creates: Sequence[str]) -> FieldCheck:
        """Every field read (readable) and written (updateable; createable where leadsync
        creates records), without stopping at the first problem. One describe per object."""
        errors: list[str] = []
        hidden: set[tuple[str, str]] = set()
        for obj in self.client.settings.fields:
            visible = self._readable_or_error(obj, errors)
            if visible is None:
                continue
            missing = [f for f in self._wanted(obj) if not self._sees(obj, f, visible)]
            hidden |= {(obj, f) for f in missing}
            needed = [f for f in missing if self.purpose(obj, f)]
            if needed:
                errors.append(self.refusal(obj, needed))
            for name in missing:
                if name not in needed:
                    self._warn(self.loss(obj, name))
        for obj, names in writes.items():
            described = field_names(self.client.describe(obj))
            todo = [n for n in names if (obj, n) not in hidden]
            errors += [e for n in todo if (e := _unwritable(obj, n, described, obj in creates))]
        return FieldCheck(errors, self.warnings())

    def _readable_or_error(self, obj: str, errors: list[str]) -> set[str] | None:
        try:
            return self.readable(obj)
        except RejectedCall as exc:
            errors.append(
                f"Salesforce: the integration user cannot access {obj} ({exc.code}); leadsync "
                f"reads and writes {obj} records: grant Read and Edit on {obj}."
            )
            return None


def _unwritable(obj: str, name: str, described: dict[str, Any], creating: bool) -> str | None:
    found = described.get(name)
    where = f"Setup → Object Manager → {obj} → Fields & Relationships"
    if found is None:
        return (
            f"Salesforce: leadsync writes {obj}.{name}, which the org does not have or the "
            f"integration user cannot see: create it in {where}, or grant Read and Edit on it."
        )
    verbs = ["edit"] + (["set on new records"] if creating else [])
    flags = [found.get("updateable")] + ([found.get("createable")] if creating else [])
    if all(flags):
        return None
    return (
        f"Salesforce: leadsync writes {obj}.{name}, which the integration user cannot "
        f"{' or '.join(verbs)}: grant Edit on it in {where} → {name} → Set Field-Level Security."
    )


def field_names(described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in described.get("fields") or []}
