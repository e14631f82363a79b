"""Reports that read the whole store, kept between page views.

`report funnel` walks every ledger entry and every CRM snapshot: seconds on 100,000 people,
far more than a page may take. Its result only changes when a run or a stage change lands (or
as time passes, for open stays and cohorts), so it is kept under a version of the store: the
newest run and ledger ids and the current hour. A page asking after the store moved on gets
the kept result at once, marked with when it was computed, while a fresh one is computed in
the background. `leadsync console` starts the first count as it starts, so only a view in
its first seconds waits for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from leadsync.sync.cli_report import funnel_data
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LedgerRow, RunRow

log = logging.getLogger("leadsync.console")


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]
    computed_at: datetime
    refreshing: bool = False


def store_version(rt: Runtime) -> tuple[Any, ...]:
    """Changes whenever a run starts or a stage changes, and on the hour."""
    with rt.sessions() as session:
        run = session.scalar(select(func.max(RunRow.id)))
        moved = session.scalar(select(func.max(LedgerRow.id)))
    return run, moved, rt.clock().replace(minute=0, second=0, microsecond=0)


class KeptReport:
    """One report, computed by `compute(rt)`, kept per `store_version`."""

    def __init__(self, compute: Callable[[Runtime], dict[str, Any]]) -> None:
        self._compute = compute
        self._changed = threading.Condition()
        self._kept: tuple[tuple[Any, ...], Report] | None = None
        self._refreshing = False

    def warm(self, rt: Runtime) -> None:
        """Start the first count in the background (at console start, before anyone asks)."""
        with self._changed:
            if self._kept is None and not self._refreshing:
                self._start(rt, store_version(rt))

    def get(self, rt: Runtime) -> Report:
        version = store_version(rt)
        with self._changed:
            while self._kept is None and self._refreshing:
                self._changed.wait()  # the first count is on its way: better than a second
            kept = self._kept
            if kept is not None and kept[0] != version and not self._refreshing:
                self._start(rt, version)
        if kept is None:
            return self._store(version, Report(self._compute(rt), rt.clock()))
        if kept[0] == version:
            return kept[1]
        return Report(kept[1].data, kept[1].computed_at, refreshing=True)

    def _start(self, rt: Runtime, version: tuple[Any, ...]) -> None:
        self._refreshing = True
        threading.Thread(target=self._refresh, args=(rt, version), daemon=True).start()

    def _store(self, version: tuple[Any, ...], report: Report) -> Report:
        with self._changed:
            self._kept = (version, report)
        return report

    def _refresh(self, rt: Runtime, version: tuple[Any, ...]) -> None:
        try:
            self._store(version, Report(self._compute(rt), rt.clock()))
        except Exception:  # what is kept stays; the next view tries again
            log.exception("console: counting a report failed")
        finally:
            with self._changed:
                self._refreshing = False
                self._changed.notify_all()


def funnel() -> KeptReport:
    return KeptReport(funnel_data)
