"""People: search by email or name, a page at a time; one person's explanation and trail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from leadsync.console import people
from leadsync.console.render import render
from leadsync.console.routes import runtime
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


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: int) -> Response:
    rt = runtime(request)
    try:
        with rt.sessions() as session:
            email = people.email_of(session, person_id)
    except LookupError:
        raise HTTPException(404, f"There is no person {person_id}; search on People.") from None
    if email is None:
        raise HTTPException(
            404,
            f"Person {person_id} has no email; explanations look people up "
            "by email, so there is no explanation to show.",
        )
    return render(request, "person.html", person_id=person_id, data=explanation(rt, email))
