"""Reading an sObject over a window with SOQL on `SystemModstamp`, deletions included.

    SELECT … FROM Lead
    WHERE SystemModstamp < :end
      AND (SystemModstamp > :start OR (SystemModstamp = :start AND Id > :after_id))
    ORDER BY SystemModstamp ASC, Id ASC

(`SystemModstamp >= :start` when there is no `after_id`.) The lower bound is closed; the id
breaks ties at it, never a bare `>` on the timestamp. Salesforce stores datetimes to the
second, so window bounds are rounded up to whole seconds without changing which records match.

Deletions: the query goes to `queryAll`, which also returns deleted records (`IsDeleted =
true`, with the deletion's `SystemModstamp`) in the same order, so deletes need no extra calls.
Salesforce purges its recycle bin after 15 days: a stream left unread longer than that misses
deletions (and should be reconciled by a full backfill).

A window whose first page reports more than `bulk_threshold` records is read through Bulk API
2.0 instead (see `bulk`); that costs the one query call already made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from simple_salesforce.format import format_soql

from leadsync.connectors.base import RawRecord, Window
from leadsync.connectors.salesforce import bulk
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.connectors.salesforce.records import to_record

FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
LOOKUP_CHUNK = 200


def soql(obj: str, fields: list[str], window: Window) -> str:
    """The windowed, ordered query; every literal is quoted and escaped by simple-salesforce."""
    conditions = [format_soql("SystemModstamp < {}", _ceil_second(window.end))]
    if window.start is not None:
        start = _ceil_second(window.start)
        if window.after_id is not None and _whole_second(window.start):
            conditions.append(
                format_soql(
                    "(SystemModstamp > {0} OR (SystemModstamp = {0} AND Id > {1}))",
                    start,
                    window.after_id,
                )
            )
        else:
            conditions.append(format_soql("SystemModstamp >= {}", start))
    columns = ", ".join(dict.fromkeys(["Id", "SystemModstamp", "IsDeleted", *fields]))
    where = " AND ".join(conditions)
    return f"SELECT {columns} FROM {obj} WHERE {where} ORDER BY SystemModstamp ASC, Id ASC"


def lookup(
    client: SalesforceClient, obj: str, fields: list[str], field: str, values: Sequence[str],
    *, include_deleted: bool = False,
) -> Iterator[RawRecord]:  # fmt: skip
    """Live records of `obj` (deleted ones too, flagged, with `include_deleted`) whose `field`
    is one of `values`, one query per 200 values."""
    if not FIELD_NAME.fullmatch(field) or not FIELD_NAME.fullmatch(obj):
        raise ValueError(f"not a Salesforce API name: {obj}.{field}")
    columns = ", ".join(dict.fromkeys(["Id", "SystemModstamp", "IsDeleted", *fields]))
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = list(values[start : start + LOOKUP_CHUNK])
        query = format_soql(f"SELECT {columns} FROM {obj} WHERE {field} IN {{}}", chunk)
        yield from _pages(client, obj, query, include_deleted=include_deleted)


def read(
    client: SalesforceClient, obj: str, fields: list[str], window: Window
) -> Iterator[RawRecord]:
    """Records (deleted ones flagged) inside `window`, ascending by `(SystemModstamp, Id)`.

    `fields` are the columns to select (those the integration user can read, see `access`).
    """
    query = soql(obj, fields, window)
    bulk_above = client.settings.bulk_threshold
    return _pages(client, obj, query, include_deleted=True, bulk_above=bulk_above)


def _pages(
    client: SalesforceClient, obj: str, query: str, *, include_deleted: bool, bulk_above: int = 0
) -> Iterator[RawRecord]:
    options: dict[str, Any] = {"timeout": client.timeout}
    if client.settings.query_batch_size:
        batch = client.settings.query_batch_size
        options["headers"] = {"Sforce-Query-Options": f"batchSize={batch}"}
    page = client.call(
        f"query {obj}", lambda sf: sf.query(query, include_deleted=include_deleted, **options)
    )
    if bulk_above and page.get("totalSize", 0) > bulk_above:
        yield from bulk.read(client, obj, query)
        return
    while True:
        yield from (to_record(obj, r) for r in page.get("records") or [])
        following = page.get("nextRecordsUrl")
        if page.get("done", True) or not following:
            return
        page = client.call(
            f"read the next page of {obj}",
            lambda sf, url=following: sf.query_more(url, identifier_is_url=True, **options),
        )


def _ceil_second(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    if _whole_second(moment):
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _whole_second(moment: datetime) -> bool:
    return moment.microsecond == 0
