"""`POST /crm/v3/objects/{type}/search`: request checks, candidates, sorting and paging.

Groups are OR'ed, filters in a group AND'ed (their semantics are in `filters`). The common
incremental pattern (a range on the modified-date property, sorted by it) is answered from
the store's index without scanning; a modified-date window otherwise narrows the scan to
that slice of the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadsync.sandbox.hubspot.filters import Filter, Typer, predicate, sort_key, text_match
from leadsync.sandbox.hubspot.properties import PropertyRegistry
from leadsync.sandbox.hubspot.render import names_from_body
from leadsync.sandbox.hubspot.responses import parse_time_ms, validation_error
from leadsync.sandbox.hubspot.store import ObjectStore, Record

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 10, 25
MAX_LIMIT, DEFAULT_LIMIT = 200, 10
RANGE_OPERATORS = {"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN"}
OPERATORS = RANGE_OPERATORS | {
    "NEQ",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


def _top_level(body: dict[str, Any], groups: list[list[Filter]]) -> list[list[Filter]]:
    """A `filters` array outside `filterGroups`: HubSpot ANDs it like one group (reported in
    HubSpot/hubspot-api-nodejs#491, as in the search guide's examples). Never ignored: with
    `filterGroups` as well the intent is unclear, so that is refused."""
    if "filters" not in body:
        return []
    if groups:
        raise validation_error(
            "Send filters either inside filterGroups or as one top-level filters array, not both"
        )
    top = [_filter(f) for f in _objects(body["filters"], "filters")]
    return [top] if top else []


@dataclass
class Query:
    groups: list[list[Filter]]
    sort: tuple[str, bool] | None  # (property, descending)
    limit: int
    offset: int
    properties: list[str] | None
    text: str | None


def parse(
    body: dict[str, Any], registry: PropertyRegistry, object_type: str, max_results: int
) -> Query:
    groups = [
        [_filter(f) for f in _objects(g.get("filters"), "filters")]
        for g in _objects(body.get("filterGroups"), "filterGroups")
    ]
    groups += _top_level(body, groups)
    total = sum(len(g) for g in groups)
    if (
        len(groups) > MAX_GROUPS
        or total > MAX_FILTERS
        or any(len(g) > MAX_FILTERS_PER_GROUP for g in groups)
    ):
        raise validation_error(
            f"Too many filters: at most {MAX_GROUPS} filterGroups, {MAX_FILTERS_PER_GROUP} filters "
            f"per group and {MAX_FILTERS} filters in total are allowed; got {len(groups)} groups "
            f"with {total} filters."
        )
    for f in (f for g in groups for f in g):
        if registry.get(object_type, f.name) is None:
            raise validation_error(f'Property "{f.name}" does not exist on {object_type}')
    limit = _int(body.get("limit", DEFAULT_LIMIT), "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_LIMIT}; got {limit}")
    offset = _int(body.get("after") or 0, "after")
    if offset >= max_results:
        raise validation_error(
            f"Paging past the first {max_results} results of a search is not supported "
            f"(after={offset}). Narrow the filters instead."
        )
    return Query(
        groups,
        _sort(body.get("sorts")),
        limit,
        offset,
        names_from_body(body.get("properties")),
        (body.get("query") or "").strip() or None,
    )


def run(
    store: ObjectStore, registry: PropertyRegistry, query: Query, cutoff_ms: int | None
) -> tuple[list[Record], int]:
    """One page of matching records and the total number of matches.

    Ties in the sort order are broken by id, ascending for ascending sorts and descending
    for descending ones; without a sort, records come in id order.
    """
    fast = _from_index(store, query, cutoff_ms)
    if fast is not None:
        return fast
    typed = Typer(store, registry)
    matched = _matching(store, query, cutoff_ms, typed)
    if query.sort is not None:
        name, descending = query.sort
        if descending:
            matched.reverse()
        matched.sort(key=lambda r: sort_key(typed.value(r, name)), reverse=descending)
    return matched[query.offset : query.offset + query.limit], len(matched)


def _from_index(
    store: ObjectStore, query: Query, cutoff_ms: int | None
) -> tuple[list[Record], int] | None:
    kind = store.kind
    if query.text or len(query.groups) > 1:
        return None
    group = query.groups[0] if query.groups else []
    by_id = query.sort is None or query.sort == ("hs_object_id", False)
    if by_id and not group and cutoff_ms is None:
        ids = store.ids[query.offset : query.offset + query.limit]
        return [store.records[i] for i in ids], len(store.ids)
    if query.sort is None or query.sort[0] != kind.modified_property:
        return None
    if any(f.name != kind.modified_property or f.operator not in RANGE_OPERATORS for f in group):
        return None
    low, high = _bounds(group)
    if cutoff_ms is not None:
        high = cutoff_ms if high is None else min(high, cutoff_ms)
    lo, hi = store.modified_range(low, high)
    if query.sort[1]:
        end = hi - query.offset
        keys = store.modified[max(lo, end - query.limit) : max(lo, end)][::-1]
    else:
        start = lo + query.offset
        keys = store.modified[start : min(hi, start + query.limit)]
    return [store.records[i] for _, i in keys], hi - lo


def _bounds(group: list[Filter]) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    for f in group:
        value = _time(f.value)
        lows = {"EQ": value, "GT": value + 1, "GTE": value, "BETWEEN": value}
        highs = {"EQ": value, "LT": value - 1, "LTE": value}
        if f.operator == "BETWEEN":
            highs["BETWEEN"] = _time(f.high)
        if f.operator in lows:
            low = lows[f.operator] if low is None else max(low, lows[f.operator])
        if f.operator in highs:
            high = highs[f.operator] if high is None else min(high, highs[f.operator])
    return low, high


def _matching(
    store: ObjectStore, query: Query, cutoff_ms: int | None, typed: Typer
) -> list[Record]:
    """Matching records in id order."""
    predicates = [[predicate(f, typed) for f in group] for group in query.groups] or [[]]
    if query.text:
        words = query.text.lower().split()
        for group in predicates:
            group.append(lambda r: text_match(r, words))
    candidates, by_modified = _candidates(store, query, cutoff_ms)
    matched = []
    for record_id in candidates:
        record = store.records[record_id]
        if cutoff_ms is not None and record.updated_ms > cutoff_ms:
            continue
        if any(all(p(record) for p in group) for group in predicates):
            matched.append(record)
    if by_modified:
        matched.sort(key=lambda r: r.id)
    return matched


def _candidates(store: ObjectStore, query: Query, cutoff_ms: int | None) -> tuple[list[int], bool]:
    """Ids worth testing: a modified-date window narrows one group to a slice of the index."""
    name = store.kind.modified_property
    windows = (
        [f for f in query.groups[0] if f.name == name and f.operator in RANGE_OPERATORS]
        if len(query.groups) == 1
        else []
    )
    if not windows:
        return store.ids, False
    low, high = _bounds(windows)
    if cutoff_ms is not None:
        high = cutoff_ms if high is None else min(high, cutoff_ms)
    lo, hi = store.modified_range(low, high)
    return [record_id for _, record_id in store.modified[lo:hi]], True


def _objects(value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise validation_error(f"{name} must be a list of objects")
    return value


def _filter(raw: dict[str, Any]) -> Filter:
    operator = str(raw.get("operator", "EQ")).upper()
    if operator not in OPERATORS:
        raise validation_error(f"Unknown filter operator: {operator}")
    name = raw.get("propertyName")
    if not name:
        raise validation_error("Each filter needs a propertyName")
    values = tuple(raw.get("values") or ())
    if operator in ("IN", "NOT_IN") and not values:
        raise validation_error(f"Operator {operator} requires values")
    if operator == "BETWEEN" and raw.get("highValue") is None:
        raise validation_error("Operator BETWEEN requires highValue")
    needs_value = operator not in ("IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY")
    if needs_value and raw.get("value") is None:
        raise validation_error(f"Operator {operator} requires a value")
    return Filter(str(name), operator, raw.get("value"), raw.get("highValue"), values)


def _sort(raw: Any) -> tuple[str, bool] | None:
    if not raw:
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str | dict) for v in raw):
        raise validation_error("sorts must be a list of property names or sort objects")
    if len(raw) > 1:
        raise validation_error("Only one sort is supported per search request")
    first = raw[0]
    if isinstance(first, str):
        return (first[1:], True) if first.startswith("-") else (first, False)
    direction = str(first.get("direction", "ASCENDING")).upper()
    return str(first.get("propertyName")), direction == "DESCENDING"


def _time(value: Any) -> int:
    moment = parse_time_ms(value)
    if moment is None:
        raise validation_error(f"{value!r} is not a valid date value")
    return moment


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise validation_error(f"{name} must be an integer; got {value!r}") from None
