"""People: search by email or name, a page at a time; one person's explanation and trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console import actions, people
from leadsync.console.render import flash, render
from leadsync.console.routes import actor, runtime
from leadsync.console.security import current_account
from leadsync.mapping.model import Stage
from leadsync.sync.cli_report import explanation

router = APIRouter(dependencies=[Depends(current_account)])
STAGES = [s.value for s in Stage]


def _stage(value: str) -> Stage | None:
    if not value:
        return None
    if value not in STAGES:
        raise HTTPException(400, f"stage: {value!r} is not a stage; use one of {', '.join(STAGES)}")
    return Stage(value)


@router.get("/people")
def people_page(request: Request, q: str = "", stage: str = "", page: int = 1) -> Response:
    with runtime(request).sessions() as session:
        found = people.search(session, q, _stage(stage), page)
    fragment = request.headers.get("HX-Target") == "results"
    return render(
        request,
        "_people.html" if fragment else "people.html",
        q=q,
        stage=stage,
        stages=STAGES,
        found=found,
    )


def _email(rt, person_id: int) -> str:
    """The email a person is explained and moved by; 404 when there is none."""
    try:
        with rt.sessions() as session:
            email = people.email_of(session, person_id)
    except LookupError:
        raise HTTPException(404, f"There is no person {person_id}; search on People.") from None
    if email is None:
        raise HTTPException(
            404,
            f"Person {person_id} has no email; explanations and moves look people up "
            "by email, so there is nothing to show.",
        )
    return email


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: int) -> Response:
    rt = runtime(request)
    email = _email(rt, person_id)
    with rt.sessions() as session:
        revisions = people.trail_revisions(session, person_id)
    data = explanation(rt, email)
    return render(request, "person.html", person_id=person_id, data=data, stages=STAGES,
                  revisions=revisions)  # fmt: skip


@router.post("/people/{person_id}/move")
def move_person(
    request: Request,
    person_id: int,
    to: Annotated[str, Form(min_length=1)],
    why: Annotated[str, Form(min_length=1)],
) -> Response:
    """A deliberate move with a reason (`leadsync move EMAIL --to STAGE --why TEXT`)."""
    rt = runtime(request)
    outcome = actions.move_person(rt, _email(rt, person_id), to, why=why, actor=actor(request))
    flash(request, outcome.message, outcome.ok)
    return RedirectResponse(f"/people/{person_id}#trail-h", status_code=303)
