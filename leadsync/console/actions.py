"""What the console's buttons do: the one place routes call to change the sync.

Each action calls the function the matching command calls (`errors retry|dismiss`, `apply`,
`plan --discard`, `move`), with the console account's email as the actor; those functions
record the audit entry in the same transaction as the change (`apply`, which has none of its
own, is recorded here). An action answers an `Outcome` the page shows, and changes nothing
when it is refused. Actions that run a cycle or write to the CRMs take the database's cycle
lock first and answer "busy" when another cycle holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadsync.errors import LeadsyncError
from leadsync.mapping.model import Stage
from leadsync.sync import audit, outbox, triage
from leadsync.sync.cycle import run_cycle
from leadsync.sync.lock import cycle_lock
from leadsync.sync.moves import move_people
from leadsync.sync.runtime import Runtime
from leadsync.sync.wiring import build_connectors


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def _attempt(rt: Runtime, change: Callable[[Session], str]) -> Outcome:
    """Run `change` in one transaction; its message, or the reason nothing was changed."""
    try:
        with rt.sessions.begin() as session:
            return Outcome(True, change(session))
    except LeadsyncError as exc:
        return _refused(exc)


def _refused(exc: LeadsyncError) -> Outcome:
    said = str(exc).rstrip()
    return Outcome(False, f"{said}{'' if said.endswith('.') else '.'} Nothing was changed.")


@contextmanager
def _locked(rt: Runtime) -> Iterator[None]:
    with cycle_lock(rt.sessions.kw["bind"]):
        yield


RETRIED = (
    "failed writes are back in the pending plan (Apply sends them, as does the next cycle); "
    "records that could not be read in are taken again by the next cycle."
)


def retry_error(rt: Runtime, error_id: int, *, actor: str) -> Outcome:
    """Make one open error-queue entry due now (`leadsync errors retry ID`)."""

    def change(session: Session) -> str:
        triage.retry(session, entry_id=error_id, actor=actor, now=rt.clock())
        return f"Entry #{error_id} is due for retry: {RETRIED}"

    return _attempt(rt, change)


def retry_type(rt: Runtime, type_: str, *, actor: str) -> Outcome:
    """Make every open entry of one type due now (`leadsync errors retry --type T`)."""

    def change(session: Session) -> str:
        chosen = triage.retry(session, type_=type_, actor=actor, now=rt.clock())
        return f"{len(chosen)} {type_} entries are due for retry: {RETRIED}"

    return _attempt(rt, change)


def dismiss_error(rt: Runtime, error_id: int, *, why: str, actor: str) -> Outcome:
    """Close one entry without retrying it; `why` is kept in the audit log."""

    def change(session: Session) -> str:
        triage.dismiss(session, error_id, why=why, actor=actor, now=rt.clock())
        return f"Entry #{error_id} is dismissed; the audit log keeps your reason."

    return _attempt(rt, change)


def dismiss_type(rt: Runtime, type_: str, *, why: str, actor: str) -> Outcome:
    """Dismiss every open entry of one type, each audited with `why`."""

    def change(session: Session) -> str:
        now = rt.clock()
        chosen = triage.entries(session, type_=type_)
        for entry in chosen:
            triage.dismiss(session, entry.id, why=why, actor=actor, now=now)
        return f"{len(chosen)} {type_} entries are dismissed; the audit log keeps your reason."

    return _attempt(rt, change)


def discard_plan(rt: Runtime, *, actor: str, why: str = "") -> Outcome:
    """Drop every pending write (`leadsync plan --discard`); writes sent without an answer
    stay, since they must be sent again."""
    try:
        with _locked(rt), rt.sessions.begin() as session:
            dropped = outbox.discard(session, actor=actor, why=why, now=rt.clock())
    except LeadsyncError as exc:
        return _refused(exc)
    return Outcome(True, f"Discarded {dropped} pending writes; the audit log records it.")


def apply_plan(rt: Runtime, *, actor: str, progress: Callable[[int], None]) -> dict[str, Any]:
    """`leadsync apply`: decide the people waiting and send every queued write. Raises `Busy`
    when another cycle runs. Long: the console runs it as a job."""
    connectors = build_connectors(rt)
    with _locked(rt):
        result = run_cycle(rt, connectors, pull_data=False, kind="apply",
                           apply_progress=progress)  # fmt: skip
    counts = {
        "run": result.run_id, "moved": result.decide.moved, "written": result.apply.done,
        "batches": result.apply.calls_batches, "failed": result.apply.failed,
        "retrying": result.apply.retrying,
    }  # fmt: skip
    with rt.sessions.begin() as session:
        audit.record(session, at=rt.clock(), actor=actor, action="plan.apply",
                     target=f"run {result.run_id}", after=counts)  # fmt: skip
    return counts


def move_person(rt: Runtime, email: str, to: str, *, why: str, actor: str) -> Outcome:
    """`leadsync move EMAIL --to STAGE --why TEXT`: recorded in the ledger and the audit log,
    decided again from there and written to both CRMs."""
    try:
        stage = Stage(to)
    except ValueError:
        return _refused(LeadsyncError(f"{to!r} is not a stage"))
    try:
        with _locked(rt):
            moves, counts = move_people(rt, build_connectors(rt), [email], stage, why=why,
                                        actor=actor)  # fmt: skip
    except LeadsyncError as exc:
        return Outcome(False, str(exc))
    if not moves:
        return Outcome(True, f"{email} is already in {stage.value}; nothing was changed.")
    return Outcome(True, f"Moved {email} to {stage.value}; {counts.done} writes sent to the "
                         f"CRMs, {counts.failed} failed (see Health).")  # fmt: skip
