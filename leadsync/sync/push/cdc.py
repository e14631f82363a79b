"""Change events streamed by a CRM (its `ChangeFeed`) into the push queue: one subscription
per channel.

Each batch of change events is queued (one notice per event, keyed by channel and replay id)
in the same transaction that stores the channel's replay id, so a restart resumes right after
the last event stored: nothing is skipped, and an event delivered twice is queued once. A
keepalive stores the server's latest replay id too (it keeps the stored one from expiring).
When a subscription fails (the network, an expired session) it starts again from the stored
replay id after a pause; an UNAUTHENTICATED answer logs in again first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import grpc

from leadsync.sync.push import queue
from leadsync.sync.runtime import Runtime

log = logging.getLogger("leadsync.push.cdc")
RETRY_SECONDS = (1, 2, 5, 10, 30)


def channel_name(system: str, topic: str) -> str:
    return f"{system}:{topic}"


class CdcListener:
    """Subscribes to `topics` of `system`'s change stream on threads of its own; `wake` is
    told when notices are queued. `entities`: the stream each topic's records belong to."""

    def __init__(
        self, rt: Runtime, system: str, stream: Any, topics: Sequence[str],
        wake: Callable[[], None], entities: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.rt = rt
        self.system = system
        self.stream = stream
        self.topics = list(topics)
        self.wake = wake
        self.entities = dict(entities or {})
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for topic in self.topics:
            thread = threading.Thread(target=self._listen, args=(topic,), daemon=True,
                                      name=f"leadsync-cdc{topic.replace('/', '-')}")  # fmt: skip
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        self.stream.close()
        for thread in self._threads:
            thread.join(timeout=10)

    def _listen(self, topic: str) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                for batch in self.stream.subscribe(topic, self.replay_id(topic)):
                    self.accept(batch)
                    failures = 0
                    if self._stopping.is_set():
                        return
            except grpc.RpcError as exc:
                if self._stopping.is_set():
                    return
                self._recover(topic, exc)
            except Exception as exc:  # a bug or the store: logged, then resubscribed
                log.error("cdc %s: %s: %s", topic, type(exc).__name__, exc)
            failures += 1
            self._stopping.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])

    def _recover(self, topic: str, exc: grpc.RpcError) -> None:
        code = exc.code() if hasattr(exc, "code") else None
        log.warning("cdc %s: subscription ended (%s); resuming from the stored replay id",
                    topic, getattr(code, "name", code))  # fmt: skip
        if code == grpc.StatusCode.INVALID_ARGUMENT and self.replay_id(topic) is not None:
            # The stored position is no longer retained (a CRM keeps days at most): start
            # from the newest event; the next poll reads what happened in between.
            log.warning("cdc %s: the stored replay id is no longer valid; resuming from the "
                        "newest event, the next poll reconciles the gap", topic)  # fmt: skip
            with self.rt.sessions.begin() as session:
                queue.forget_replay(session, channel_name(self.system, topic))
        elif code == grpc.StatusCode.UNAUTHENTICATED:
            try:
                self.stream.relogin()
            except Exception as login_error:
                log.error("cdc %s: could not log in again: %s", topic, login_error)

    def replay_id(self, topic: str) -> bytes | None:
        with self.rt.sessions() as session:
            return queue.replay_of(session, channel_name(self.system, topic))

    def accept(self, batch: Any) -> int:
        """Queue a batch's events and store where to resume, in one transaction."""
        notices = [_notice(e, self.entities) for e in batch.events]
        resume = batch.events[-1].replay_id if batch.events else batch.latest_replay_id
        now = self.rt.clock()
        with self.rt.sessions.begin() as session:
            new = queue.enqueue(session, self.system, notices, now) if notices else 0
            if resume:
                queue.save_replay(session, channel_name(self.system, batch.topic), resume, now)
        if new:
            self.wake()
        return new


def _notice(event: Any, entities: Mapping[str, str]) -> queue.Notice:
    """A change event as a queued notice: its records, or (an overflow) its whole stream; an
    echo of leadsync's own write is kept for the record, with nothing to read."""
    return queue.Notice(
        f"{event.topic}:{event.replay_id.hex()}",
        f"{event.entity}.{event.change_type}"[:64],
        event.record_ids[0] if event.record_ids else "",
        event.committed_at,
        () if event.own else event.record_ids,
        stream=event.entity or entities.get(event.topic, ""),
        refresh=event.overflow and not event.own,
    )
