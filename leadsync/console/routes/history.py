"""History: every revision of the config (`leadsync config history`), what each changed, and a
rollback (`leadsync config rollback REV`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from leadsync.console.render import flash, render
from leadsync.console.routes import actor, runtime, state
from leadsync.console.security import current_account
from leadsync.errors import LeadsyncError
from leadsync.sync import revisions
from leadsync.sync.schema import RevisionRow

router = APIRouter(dependencies=[Depends(current_account)])


@router.get("/history")
def history_page(request: Request) -> Response:
    text = state(request).file_text()
    with runtime(request).sessions() as session:
        entries = revisions.history(session, current_text=text)
    return render(request, "history.html", entries=entries, label=revisions.label)


def _revision(session, rev_id: int) -> RevisionRow:
    row = session.get(RevisionRow, rev_id)
    if row is None:
        raise HTTPException(404, f"There is no revision r{rev_id}; History lists them.")
    return row


@router.get("/history/{rev_id}")
def revision_page(request: Request, rev_id: int) -> Response:
    """What revision `rev_id` changed from the one before it, and how it differs from the file."""
    text = state(request).file_text()
    with runtime(request).sessions() as session:
        row = _revision(session, rev_id)
        query = select(RevisionRow).where(RevisionRow.id < rev_id).order_by(RevisionRow.id.desc())
        before = session.scalars(query.limit(1)).first()
        label = revisions.label(row)
        changed = revisions.unified_diff(before.text if before else "", row.text,
                                         revisions.label(before) if before else "(nothing)",
                                         label)  # fmt: skip
        to_file = revisions.unified_diff(row.text, text, label, "the file now")
        current = revisions.content_hash(text) == row.hash
    return render(request, "revision.html", row=row, label=label, changed=changed,
                  to_file=to_file, current=current)  # fmt: skip


@router.post("/history/{rev_id}/rollback")
def rollback(request: Request, rev_id: int, why: Annotated[str, Form(min_length=1)]) -> Response:
    console, rt = state(request), runtime(request)
    text = console.file_text()
    try:
        with rt.sessions.begin() as session:
            target = _revision(session, rev_id)
            if revisions.content_hash(text) == target.hash:
                flash(request, f"The file already holds {revisions.label(target)}.", ok=False)
                return RedirectResponse(f"/history/{rev_id}", status_code=303)
            row = revisions.rollback(session, target, path=console.config_path, current_text=text,
                                     actor=actor(request), why=why, at=rt.clock())  # fmt: skip
            done = (f"{console.config_path.name} now holds the text of "
                    f"{revisions.label(target)}, recorded as {revisions.label(row)}; the next "
                    "sync uses it.")  # fmt: skip
    except LeadsyncError as exc:
        flash(request, f"Not rolled back: {exc}", ok=False)
        return RedirectResponse(f"/history/{rev_id}", status_code=303)
    flash(request, done)
    return RedirectResponse("/history", status_code=303)
