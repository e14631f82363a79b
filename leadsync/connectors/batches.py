"""Splitting changes into API-sized batches in which no record repeats.

Both CRMs refuse (or merge unpredictably) a batch that names one record twice, so a repeated
record goes to a later batch; batches stay as full as the API allows otherwise, which keeps
n changes at ceil(n / size) calls when ids are distinct.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from leadsync.connectors.base import Change


def batches(
    changes: Sequence[Change], size: int, *, key: Callable[[Change], Hashable]
) -> list[list[Change]]:
    """At most `size` changes per batch; a change whose key repeats lands after its predecessor."""
    found: list[list[Change]] = []
    last: dict[Hashable, int] = {}
    for change in changes:
        k = key(change)
        start = last.get(k, -1) + 1
        index = next((i for i in range(start, len(found)) if len(found[i]) < size), None)
        if index is None:
            found.append([])
            index = len(found) - 1
        found[index].append(change)
        last[k] = index
    return found
