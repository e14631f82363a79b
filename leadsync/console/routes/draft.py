"""The editor's draft: each table's edit goes into it; then try it on a person, preview its
impact, and save it as a new revision of the config file (or discard it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console import tryout
from leadsync.console.actions import Outcome
from leadsync.console.render import flash, render
from leadsync.console.routes import (
    actor,
    drafts,
    jobs,
    runtime,
    state,
    wants_fragment,
    working_text,
)
from leadsync.console.security import current_account
from leadsync.errors import ConfigError, LeadsyncError
from leadsync.sync import revisions
from leadsync.sync.config_save import save

router = APIRouter(dependencies=[Depends(current_account)])
PREVIEW = "preview"


def back_to(request: Request, fallback: str = "/rules") -> str:
    """The editor page the request came from (only this console's own pages)."""
    referer = request.headers.get("referer", "")
    for page in ("/mappings", "/rules"):
        if page in referer:
            return page
    return fallback


def edit_draft(
    request: Request, form: dict[str, str], edit: Callable[[str], str], note: str, back: str
) -> Response:
    """Apply one table's edit to the account's draft, then show the page again."""
    who, console = actor(request), state(request)
    file_text = console.file_text()
    before = drafts(request).working_text(who, file_text)
    if form.get("draft") != revisions.content_hash(before):
        flash(request, "The config changed since this page was shown (your draft, in another "
                       "tab, or the file itself); the page now shows it as it is. Make the "
                       "change again.", ok=False)  # fmt: skip
        return RedirectResponse(back, status_code=303)
    try:
        changed = drafts(request).change(who, file_text, edit, note)
    except LeadsyncError as exc:
        flash(request, f"{exc} The draft was not changed.", ok=False)
        return RedirectResponse(back, status_code=303)
    if changed.text == before:
        flash(request, "That table holds what it held: the draft did not change.")
    else:
        flash(request, f"Draft updated ({len(changed.edits)} edits so far). Nothing is saved "
                       "until you save the draft with a comment.")  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/draft/preview")
def preview(request: Request) -> Response:
    """`leadsync preview` of the draft over every stored person, as a job."""
    work, rt = working_text(request), runtime(request)
    try:
        settings = tryout.candidate(work.text, work.where)
    except ConfigError:
        return _refused(request, "The draft has problems (marked in the tables): fix them, "
                                 "then preview.")  # fmt: skip
    work_elsewhere = _preview_work(request, rt, settings, work)
    job = jobs(request).start(PREVIEW, actor(request), work_elsewhere, key=work.hash)
    if wants_fragment(request):
        return render(request, "_job.html", job=job)
    return RedirectResponse(f"{back_to(request)}#draft-h", status_code=303)


def _preview_work(request: Request, rt, settings, work) -> Callable:
    """In a child process (it computes for long; see `jobs`), from the texts of the config in
    use and of the draft; on a thread only for a runtime not loaded from a file."""
    if rt.settings.source is None:
        return lambda job: tryout.preview_report(rt, settings)
    return jobs(request).in_process(tryout.preview_elsewhere, rt.settings.source.text, work.text,
                                    work.where, rt.clock())  # fmt: skip


def _refused(request: Request, message: str) -> Response:
    if wants_fragment(request):
        return render(request, "_outcome.html", outcome=Outcome(False, message))
    flash(request, message, ok=False)
    return RedirectResponse(f"{back_to(request)}#draft-h", status_code=303)


@router.get("/draft/try")
def try_on(request: Request, email: str = "") -> Response:
    work = working_text(request)
    data, problem = None, None
    try:
        if email.strip():
            draft = tryout.candidate(work.text, work.where)
            data = tryout.try_on(runtime(request), draft, email)
    except ConfigError:
        problem = "The draft has problems (marked in the tables): fix them, then try it."
    except LeadsyncError as exc:
        problem = str(exc)
    return render(request, "_tryout.html", data=data, email=email, problem=problem)


@router.post("/draft/save")
def save_draft(request: Request, why: Annotated[str, Form()] = "") -> Response:
    who, console = actor(request), state(request)
    draft = drafts(request).get(who)
    back = back_to(request)
    if draft is None:
        flash(request, "There is no draft to save: change a table first.", ok=False)
        return RedirectResponse(back, status_code=303)
    rt = runtime(request)
    try:
        with rt.sessions.begin() as session:
            row = save(session, path=console.config_path, base_hash=draft.base_hash,
                       text=draft.text, actor=who, why=why, at=rt.clock())  # fmt: skip
            label = revisions.label(row)
    except LeadsyncError as exc:
        flash(request, f"Not saved: {exc}", ok=False)
        return RedirectResponse(f"{back}#draft-h", status_code=303)
    drafts(request).discard(who)
    flash(request, f"Saved {console.config_path.name} as revision {label}: the next sync uses "
                   "it. History shows what changed.")  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/draft/discard")
def discard_draft(request: Request) -> Response:
    drafts(request).discard(actor(request))
    flash(request, "Draft discarded; the pages show the file as it is.")
    return RedirectResponse(back_to(request), status_code=303)
