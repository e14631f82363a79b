"""Writing contacts: 100 per call, backward lifecycle moves in two requests, read back.

Calls for n changes: ceil(n/100) batch updates (or creates). Changes with `clear_first` add one
batch update that empties those properties first (HubSpot ignores a backward `lifecyclestage`
write, and a clear and a set inside one request are not ordered) and one batch read after the
set to check the value landed; a value that did not land is `ok=False, code="NOT_APPLIED"`.

A record id appears at most once per batch (HubSpot rejects duplicate ids). When HubSpot
refuses a whole batch for one record's value, the records its error names are failed and the
rest resent; if it names none, the batch is halved until the culprit stands alone. A create
that meets an existing contact updates that contact instead, so a create repeated after a
lost answer does not make a second contact:

- each input carries its own `objectWriteTraceId`, so HubSpot answers 207 with a CONFLICT per
  existing email naming its id: those are updated (one batch update);
- when HubSpot refuses the whole batch anyway (409 "Contact already exists", no id), the
  batch's emails are looked up in one batch read by email, the contacts found are updated and
  the rest created again: 1 refused create + 1 read + ceil(k/100) updates + 1 create.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from leadsync.connectors.base import Change, WriteResult
from leadsync.connectors.batches import batches
from leadsync.connectors.hubspot.client import HubSpotClient, RejectedRequest
from leadsync.errors import RateLimited, Transient
from leadsync.mapping.writeback import as_text

Send = Callable[[list[Change]], dict[str, WriteResult]]
OBJECTS = ("contact", "contacts")
_EXISTING = re.compile(r"Existing ID:\s*(\d+)")


class ContactWriter:
    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self.size = client.settings.batch_size

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        results: dict[str, WriteResult] = {}
        for change in changes:
            if change.obj not in OBJECTS:
                results[change.key] = _failed(
                    change,
                    f"HubSpot connector writes contacts only, not {change.obj!r}",
                    "UNSUPPORTED",
                )
        todo = [c for c in changes if c.key not in results]
        moves = [c for c in todo if c.record_id is not None and c.clear_first]
        cleared = self.update([_clearing(c) for c in moves])
        results |= {k: r for k, r in cleared.items() if not r.ok}
        updates = [c for c in todo if c.record_id is not None and c.key not in results]
        results |= self.update(updates)
        if self.client.settings.write_lifecycle_readback:
            landed = [c for c in moves if results[c.key].ok]
            results |= self.read_back(landed)
        results |= self.create([c for c in todo if c.record_id is None])
        return [results[c.key] for c in changes]

    def update(self, changes: list[Change]) -> dict[str, WriteResult]:
        results: dict[str, WriteResult] = {}
        for chunk in batches(changes, self.size, key=lambda c: c.record_id):
            results |= _isolating(chunk, self._send_update)
        return results

    def create(self, changes: list[Change]) -> dict[str, WriteResult]:
        results: dict[str, WriteResult] = {}
        for chunk in batches(changes, self.size, key=_email):
            results |= _isolating(chunk, self._send_create)
        existing = {k: r for k, r in results.items() if r.code == "CONFLICT" and r.record_id}
        if existing:
            by_key = {c.key: c for c in changes}
            again = [replace(by_key[k], record_id=r.record_id) for k, r in existing.items()]
            results |= self.update(again)
        return results

    def read_back(self, changes: list[Change]) -> dict[str, WriteResult]:
        results: dict[str, WriteResult] = {}
        for chunk in batches(changes, self.size, key=lambda c: c.record_id):
            names = sorted({p for c in chunk for p in c.clear_first})
            body = {
                "inputs": [{"id": c.record_id} for c in chunk],
                "properties": names,
                "propertiesWithHistory": [],
            }
            try:
                answer = self.client.call(
                    "read back contacts", self.client.batch.read, "contacts", body
                )
            except (Transient, RateLimited):
                continue  # the write went through; only the check could not be made
            found = {o["id"]: o.get("properties") or {} for o in answer.get("results") or []}
            results |= {c.key: _landed(c, found.get(c.record_id or "")) for c in chunk}
        return results

    def _send_update(self, chunk: list[Change]) -> dict[str, WriteResult]:
        body = {"inputs": [{"id": c.record_id, "properties": _text(c)} for c in chunk]}
        answer = self.client.call(
            f"update {len(chunk)} contacts", self.client.batch.update, "contacts", body
        )
        done = {str(o["id"]) for o in answer.get("results") or []}
        errors = _errors_by(answer, "ids")
        return {c.key: _outcome(c, c.record_id, c.record_id in done, errors) for c in chunk}

    def _send_create(self, chunk: list[Change]) -> dict[str, WriteResult]:
        try:
            return self._create_traced(chunk)
        except RejectedRequest as exc:
            if exc.category != "CONFLICT" or exc.status != 409:
                raise
            return self._after_conflict(chunk)

    def _after_conflict(self, chunk: list[Change]) -> dict[str, WriteResult]:
        """The whole batch was refused for an email that exists, naming none: find them."""
        existing = self._ids_by_email([_email(c) for c in chunk if c.properties.get("email")])
        found = [replace(c, record_id=existing[_email(c)]) for c in chunk if _email(c) in existing]
        results = self.update(found)
        rest = [c for c in chunk if c.key not in results]
        return results | (_isolating(rest, self._create_traced) if rest else {})

    def _ids_by_email(self, emails: list[str]) -> dict[str, str]:
        body = {"inputs": [{"id": e} for e in emails], "idProperty": "email",
                "properties": ["email"]}  # fmt: skip
        answer = self.client.call(
            "find existing contacts by email", self.client.batch.read, "contacts", body
        )
        return {
            str((o.get("properties") or {}).get("email") or "").lower(): str(o["id"])
            for o in (answer or {}).get("results") or []
        }

    def _create_traced(self, chunk: list[Change]) -> dict[str, WriteResult]:
        inputs = [
            {"properties": _text(c), "associations": [], "objectWriteTraceId": c.key} for c in chunk
        ]
        answer = self.client.call(
            f"create {len(chunk)} contacts",
            self.client.batch.create,
            "contacts",
            {"inputs": inputs},
        )
        made = _created_ids(chunk, answer.get("results") or [])
        errors = _errors_by(answer, "objectWriteTraceId")
        return {c.key: _outcome(c, made.get(c.key), c.key in made, errors, c.key) for c in chunk}


def _isolating(chunk: list[Change], send: Send) -> dict[str, WriteResult]:
    """Send a batch; when HubSpot refuses all of it, fail only the records that caused it."""
    try:
        return send(chunk)
    except RejectedRequest as exc:
        if len(chunk) == 1:
            return {chunk[0].key: _refused(chunk[0], exc)}
        culprits = _culprits(chunk, exc)
        if culprits:
            results = {c.key: _refused(c, exc) for c in chunk if c.key in culprits}
            rest = [c for c in chunk if c.key not in culprits]
            return results | (_isolating(rest, send) if rest else {})
        half = len(chunk) // 2
        return _isolating(chunk[:half], send) | _isolating(chunk[half:], send)
    except (Transient, RateLimited) as exc:
        return {
            c.key: _failed(c, str(exc), type(exc).__name__.upper(), retryable=True) for c in chunk
        }


def _culprits(chunk: list[Change], exc: RejectedRequest) -> set[str]:
    """Keys of the changes that HubSpot's error names, by record id or property value."""
    ids = set(exc.context.get("ids") or [])
    keys = {c.key for c in chunk if c.record_id in ids}
    for problem in exc.problems:
        name, message = problem["name"], problem["message"]
        for change in chunk:
            if name not in change.properties:
                continue
            value = str(change.properties[name])
            if problem["error"] == "PROPERTY_DOESNT_EXIST" or message.startswith(f"{value} was"):
                keys.add(change.key)
    return keys


def _outcome(
    change: Change,
    record_id: str | None,
    done: bool,
    errors: dict[str, dict[str, Any]],
    error_key: str | None = None,
) -> WriteResult:
    if done:
        return WriteResult(change.key, True, record_id, written=dict(change.properties))
    error = errors.get(error_key or change.record_id or "")
    if error is None:
        return _failed(
            change, "HubSpot returned no result for this record", "NO_RESULT", retryable=True
        )
    code = str(error.get("category") or "ERROR")
    existing = (error.get("context") or {}).get("existingId") or _EXISTING.findall(
        str(error.get("message") or "")
    )
    return WriteResult(
        change.key,
        False,
        str(existing[0]) if existing else change.record_id,
        reason=str(error.get("message") or code),
        code=code,
    )


def _refused(change: Change, exc: RejectedRequest) -> WriteResult:
    reason = next((p["message"] for p in exc.problems if p["name"] in change.properties), str(exc))
    existing = _EXISTING.findall(exc.detail_message)
    record_id = existing[0] if exc.category == "CONFLICT" and existing else change.record_id
    return WriteResult(change.key, False, record_id, reason=reason, code=exc.category or "REJECTED")


def _failed(change: Change, reason: str, code: str, *, retryable: bool = False) -> WriteResult:
    return WriteResult(change.key, False, change.record_id, reason, code, retryable)


def _errors_by(answer: dict[str, Any], context_key: str) -> dict[str, dict[str, Any]]:
    """207 errors indexed by the ids (or trace ids) their `context` names."""
    found: dict[str, dict[str, Any]] = {}
    for error in answer.get("errors") or []:
        for value in (error.get("context") or {}).get(context_key) or []:
            found[str(value)] = error
    return found


def _created_ids(chunk: list[Change], created: list[dict[str, Any]]) -> dict[str, str]:
    """Change key → new id, by trace id, else by email (HubSpot does not promise result order)."""
    keys = {c.key for c in chunk}
    by_email = {_email(c): c.key for c in chunk if _email(c)}
    made: dict[str, str] = {}
    for obj in created:
        trace = obj.get("objectWriteTraceId")
        email = str((obj.get("properties") or {}).get("email") or "").lower()
        key = trace if trace in keys else by_email.get(email)
        if key:
            made[key] = str(obj["id"])
    if not made and len(created) == len(chunk):
        made = {c.key: str(o["id"]) for c, o in zip(chunk, created, strict=True)}
    return made


def _landed(change: Change, found: dict[str, Any] | None) -> WriteResult:
    if found is None:
        return _failed(change, "HubSpot did not return the contact when read back", "NOT_FOUND")
    wanted = {
        p: as_text(change.properties[p]) for p in change.clear_first if p in change.properties
    }
    actual = {p: found.get(p) for p in wanted}
    missed = {p: v for p, v in wanted.items() if actual[p] != v}
    if not missed:
        return WriteResult(change.key, True, change.record_id, written=dict(change.properties))
    shown = ", ".join(f"{p}={actual[p]!r} (wanted {v!r})" for p, v in missed.items())
    return WriteResult(
        change.key,
        False,
        change.record_id,
        reason=f"HubSpot kept {shown} after clearing and setting; check workflows that set it",
        code="NOT_APPLIED",
        written=actual,
    )


def _clearing(change: Change) -> Change:
    return replace(change, properties={p: "" for p in change.clear_first}, clear_first=())


def _text(change: Change) -> dict[str, str]:
    """HubSpot takes every property value as text; None clears like ""."""
    return {k: as_text(v) for k, v in change.properties.items()}


def _email(change: Change) -> str:
    return str(change.properties.get("email") or change.key).lower()
