"""Salesforce records as leadsync's raw records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadsync.connectors.base import RawRecord

SYSTEM = "salesforce"


def to_record(obj: str, fields: Mapping[str, Any]) -> RawRecord:
    """`Parent.Field` columns come flat, as Bulk API CSV names them (`Campaign.Type`), so a
    record reads the same whichever API returned it."""
    data: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "attributes":
            continue
        if isinstance(value, Mapping):
            data |= {f"{key}.{k}": v for k, v in value.items() if k != "attributes"}
        else:
            data[key] = value
    deleted = data.get("IsDeleted") in (True, "true")
    return RawRecord(SYSTEM, obj, data["Id"], parse_time(data["SystemModstamp"]), data, deleted)


def parse_time(value: str) -> datetime:
    """`2013-05-08T21:20:00.000+0000` (REST) or `…Z` (Bulk CSV) to aware UTC."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
