"""`POST /crm/v3/objects/contacts/merge`: two contacts become one, as HubSpot merges them.

Body `{"primaryObjectId", "objectIdToMerge"}`. The primary keeps its values and takes the
merged contact's for properties it lacks (its email stays); the merged contact is archived.
Webhooks see one `contact.merge` event naming both, not a deletion.
"""

from __future__ import annotations

from flask import Flask, Response

from leadsync.sandbox.hubspot.inputs import json_body
from leadsync.sandbox.hubspot.objects import OBJECT_TYPES
from leadsync.sandbox.hubspot.render import full
from leadsync.sandbox.hubspot.responses import ApiError, json_response
from leadsync.sandbox.hubspot.state import HubSpotState

PATH = "/crm/v3/objects/contacts/merge"


def register(app: Flask, state: HubSpotState) -> None:
    def merge() -> Response:
        body = json_body()
        with state.lock:
            store = state.store("contacts")
            primary = store.get(str(body.get("primaryObjectId", "")))
            merged = store.get(str(body.get("objectIdToMerge", "")))
            if primary is None or merged is None:
                raise ApiError(404, "OBJECT_NOT_FOUND", "Both contacts must exist to merge them")
            if primary.id == merged.id:
                raise ApiError(400, "VALIDATION_ERROR", "A contact cannot be merged into itself")
            now = state.now_ms()
            taken = {k: v for k, v in merged.properties.items()
                     if k not in primary.properties and k != "email"}  # fmt: skip
            store.archive(merged, now, quiet=True)
            state.writer("contacts").update(primary, taken, now)
            state.webhooks.observe("merge", primary.id, {}, "API", now, merged=(merged.id,))
            return json_response(full(OBJECT_TYPES["contacts"], primary))

    app.add_url_rule(PATH, "contacts_merge", merge, methods=["POST"])
