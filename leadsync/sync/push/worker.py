"""The push worker: drains the queue of notifications, one mini-cycle per burst.

It wakes when a notification is queued, waits `push.batch_wait_seconds` so the rest of a burst
arrives, then takes the cycle lock and syncs the records the pending notifications name: one
mini-cycle per pushed stream (a CRM's contacts, leads, ...). While a poll holds the lock the notifications stay queued and the worker tries
again a second later; it also looks every few seconds on its own, so rows left by a crash or a
refused lock are never stranded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadsync.connectors.base import Connector
from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import RecordKind
from leadsync.sync.lock import Busy, cycle_lock
from leadsync.sync.push import queue
from leadsync.sync.push.minicycle import mini_cycle
from leadsync.sync.runtime import Runtime

log = logging.getLogger("leadsync.push")
IDLE_SECONDS = 5.0
# Processed notices are kept this long (duplicates of them are still recognised), then pruned.
KEEP = timedelta(days=7)
BUSY_RETRY_SECONDS = 1.0


def _person_kind(system: str, stream: str) -> RecordKind | None:
    """The person records a pushed stream holds (None: others, like deals, hold none)."""
    person = catalog().people_stream(system, stream)
    return person.kind if person else None


class PushWorker:
    """One background thread per process, started by the first `wake`."""

    def __init__(self, rt: Runtime, connectors: Mapping[str, Connector]) -> None:
        self.rt = rt
        self.connectors = connectors
        self.settings = rt.settings.push
        self._pruned_at: datetime | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def wake(self) -> None:
        """Something was queued: start the thread if needed and have it look soon."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="leadsync-push",
                                                daemon=True)  # fmt: skip
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=IDLE_SECONDS)
            self._wake.clear()
            if self._stopping.is_set():
                return
            time.sleep(self.settings.batch_wait_seconds)
            try:
                while self.drain_once():
                    pass
            except Busy:
                time.sleep(BUSY_RETRY_SECONDS)
                self._wake.set()
            except Exception as exc:  # logged; the queued rows wait for the next wake
                log.error("push: %s: %s", type(exc).__name__, exc)

    def drain_once(self) -> bool:
        """One mini-cycle per stream over the pending notifications; False when there were
        none, or one failed (its notices wait for a retry). Raises `Busy` when a cycle holds
        the lock."""
        # Looked at without the lock first: an idle worker must not hold up a poll.
        with self.rt.reading() as session:
            if not queue.pending(session):
                return False
        with cycle_lock(self.rt.sessions.kw["bind"]):
            with self.rt.sessions() as session:
                jobs = queue.pending(session)
            return bool(jobs) and all([self._run(job) for job in jobs])

    def _run(self, job: queue.Job) -> bool:
        if not job.records and not self._streams(job):  # echoes of leadsync's own writes
            with self.rt.sessions.begin() as session:
                queue.settle_done(session, job.ids, None)
            return True
        try:
            result = mini_cycle(self.rt, self.connectors, system=job.source, stream=job.stream,
                                kind=_person_kind(job.source, job.stream),
                                record_ids=job.records, streams=self._streams(job))  # fmt: skip
        except Exception as exc:
            with self.rt.sessions.begin() as session:
                queue.settle_failed(session, job.ids, exc, self.settings.max_attempts)
            log.error("push: a %s mini-cycle failed; its notices wait for a retry: %s",
                      job.source, exc)  # fmt: skip
            return False
        with self.rt.sessions.begin() as session:
            queue.settle_done(session, job.ids, result.run_id)
            self._prune(session)
        log.info("push run %s (%s %s): %s records read, %s stage changes, %s written",
                 result.run_id, job.source, job.stream, result.ingest.pulled,
                 result.decide.moved, result.apply.done)  # fmt: skip
        return True

    def _prune(self, session: Any) -> None:
        """Forget old processed notices, at most once an hour."""
        now = self.rt.clock()
        if self._pruned_at is None or now - self._pruned_at > timedelta(hours=1):
            queue.prune(session, now - KEEP)
            self._pruned_at = now

    def _streams(self, job: queue.Job) -> list[str]:
        """What to read on from its cursor besides the records: a conversion's events, or the
        whole stream's recent changes when a change event could not name its records."""
        if job.converted:
            return list(self.settings.conversion_streams)
        return [job.stream] if job.refresh else []
