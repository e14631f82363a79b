"""Knobs of the Salesforce emulator: org allowances, auth secrets and validation hooks."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

# A validation rule: (sObject name, the record as it would be saved) -> error message or None.
# A message rejects the save with FIELD_CUSTOM_VALIDATION_EXCEPTION, like an org's own rule.
ValidationHook = Callable[[str, Mapping[str, Any]], str | None]

ORG_ID = "00D8d000005LSYNEA4"
USER_ID = "0058d000004LSYNAA4"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_session_id() -> str:
    """A token shaped like Salesforce's: the 15-character org id, '!', an opaque part."""
    return f"{ORG_ID[:15]}!AR{secrets.token_urlsafe(72)}"


@dataclass
class SalesforceSettings:
    """Every knob has the value of a fresh Enterprise org unless noted.

    `clock` drives timestamps written by the emulator and the replication windows, so tests
    can move time instead of sleeping.
    """

    daily_allowance: int = 100_000
    query_batch_size: int = 2000
    # None accepts any `vNN.N`; otherwise the exact versions served (e.g. {"59.0", "60.0"}).
    api_versions: frozenset[str] | None = None
    session_id: str = field(default_factory=new_session_id)
    client_id: str = "leadsync-sandbox-consumer-key"
    client_secret: str = "leadsync-sandbox-consumer-secret"
    username: str = "integration@leadsync.example"
    # What a connected app holds after the OAuth web flow (the refresh_token grant).
    refresh_token: str = "sandbox-refresh-token"
    # PEM public key; when set, JWT bearer assertions must carry a valid RS256 signature.
    jwt_public_key: str | None = None
    # Emails (case-insensitive) that an org validation rule rejects on save.
    reject_emails: frozenset[str] = frozenset()
    validation_hook: ValidationHook | None = None
    validation_message: str = "This record was rejected by a validation rule."
    replication_id_limit: int = 600_000
    # Salesforce keeps at most 10 open query cursors per user and drops the oldest.
    max_open_cursors: int = 10
    # Bulk 2.0 query jobs report JobComplete on this poll (1 = first GET of the job).
    bulk_polls_to_complete: int = 2
    org_id: str = ORG_ID
    user_id: str = USER_ID
    clock: Callable[[], datetime] = _utc_now

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply admin changes (from the sandbox control app); unknown names raise ValueError."""
        settable = {f.name for f in fields(self)} - {"clock", "validation_hook"}
        unknown = set(changes) - settable
        if unknown:
            raise ValueError(f"unknown Salesforce settings: {sorted(unknown)}")
        for name, value in changes.items():
            setattr(self, name, _checked(name, value))


def _checked(name: str, value: Any) -> Any:
    if name in ("reject_emails", "api_versions"):
        if value is None and name == "api_versions":
            return None
        return frozenset(str(v).lower() if name == "reject_emails" else str(v) for v in value)
    if name in _POSITIVE_INTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < _POSITIVE_INTS[name]:
            raise ValueError(f"{name} must be an integer >= {_POSITIVE_INTS[name]}, got {value!r}")
        return value
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


_POSITIVE_INTS = {
    "daily_allowance": 0,
    "query_batch_size": 200,
    "replication_id_limit": 1,
    "max_open_cursors": 1,
    "bulk_polls_to_complete": 1,
}
