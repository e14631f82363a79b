"""What the console's buttons do: the one place routes call to change the sync.

Each hook takes the runtime, its target and the acting account's email (the audit log's
actor) and returns an `Outcome` the page shows. They are to call the same functions as the
commands of the safe-changes work (`errors retry|dismiss`, `apply`, `plan --discard`), which
record the audit entry themselves; until those exist every hook answers "not available yet"
and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadsync.sync.runtime import Runtime


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def _not_yet(what: str, command: str) -> Outcome:
    return Outcome(
        False,
        f"{what} is not available in the console yet; `{command}` will do it "
        "once the error queue and plan commands land. Nothing was changed.",
    )


def retry_error(rt: Runtime, error_id: int, *, actor: str) -> Outcome:
    """Retry one open error-queue entry now."""
    return _not_yet("Retrying an error", f"leadsync errors retry {error_id}")


def retry_type(rt: Runtime, code: str, *, actor: str) -> Outcome:
    """Retry every open entry of one error type."""
    return _not_yet("Retrying a whole error type", f"leadsync errors retry --type {code}")


def dismiss_error(rt: Runtime, error_id: int, *, why: str, actor: str) -> Outcome:
    """Close one entry without retrying it; `why` is kept in the audit log."""
    return _not_yet("Dismissing an error", f"leadsync errors dismiss {error_id} --why ...")


def apply_plan(rt: Runtime, *, actor: str) -> Outcome:
    """Send exactly the pending writes the Health page shows."""
    return _not_yet("Applying the plan", "leadsync apply")


def discard_plan(rt: Runtime, *, actor: str) -> Outcome:
    """Drop every pending write (audited)."""
    return _not_yet("Discarding the plan", "leadsync plan --discard")
