"""The replication resources `sobjects/{name}/updated/` and `sobjects/{name}/deleted/`.

Both read SystemModstamp over [start, end) with seconds ignored, refuse windows that start
too long ago (30 days for updated, 15 for deleted) or end before they start, never cover
the current, still-open minute (`latestDateCovered`), and fail with EXCEEDED_ID_LIMIT past
the id cap instead of truncating.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadsync.sandbox.salesforce.errors import ApiError
from leadsync.sandbox.salesforce.schema import SObject
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.values import format_datetime, parse_datetime

UPDATED_WINDOW = timedelta(days=30)
DELETED_WINDOW = timedelta(days=15)


def updated(state: SalesforceState, so: SObject, start: str | None, end: str | None) -> dict:
    with state.locked():
        first, latest = _window(state, start, end, UPDATED_WINDOW)
        rows = [
            r
            for r in state.rows(so.name, include_deleted=False)
            if first <= r["SystemModstamp"] < latest
        ]
        _cap(state, len(rows))
        rows.sort(key=lambda r: (r["SystemModstamp"], r["Id"]))
        return {"ids": [r["Id"] for r in rows], "latestDateCovered": latest}


def deleted(state: SalesforceState, so: SObject, start: str | None, end: str | None) -> dict:
    with state.locked():
        first, latest = _window(state, start, end, DELETED_WINDOW)
        rows = [
            r
            for r in state.rows(so.name, include_deleted=True)
            if r["IsDeleted"] and first <= r["SystemModstamp"] < latest
        ]
        _cap(state, len(rows))
        rows.sort(key=lambda r: (r["SystemModstamp"], r["Id"]))
        return {
            "deletedRecords": [{"id": r["Id"], "deletedDate": r["SystemModstamp"]} for r in rows],
            "earliestDateAvailable": _floor_text(state.earliest_deleted),
            "latestDateCovered": latest,
        }


def _window(
    state: SalesforceState, start: str | None, end: str | None, reach: timedelta
) -> tuple[str, str]:
    begin, finish = _moment("start", start), _moment("end", end)
    if begin >= finish:
        raise _invalid("EndDate must chronologically follow the StartDate")
    now = _floor(state.now())
    if begin < now - reach:
        raise _invalid(f"startDate cannot be more than {reach.days} days ago")
    return format_datetime(begin), format_datetime(min(finish, now))


def _moment(name: str, text: str | None) -> datetime:
    if not text:
        raise ApiError(400, "MISSING_ARGUMENT", f"Missing required parameter: {name}")
    try:
        return _floor(parse_datetime(text))
    except ValueError:
        raise _invalid(f"{name}: unable to parse '{text}' as an ISO-8601 dateTime") from None


def _floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _floor_text(text: str) -> str:
    return format_datetime(_floor(parse_datetime(text)))


def _cap(state: SalesforceState, count: int) -> None:
    if count > state.settings.replication_id_limit:
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached ({count} ids > {state.settings.replication_id_limit}); "
            "narrow the date range",
        )


def _invalid(message: str) -> ApiError:
    return ApiError(400, "INVALID_REPLICATION_DATE", message)
