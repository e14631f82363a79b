"""Health: last runs, API use against the budget, the error queue, cursors, the pending plan;
and the buttons that act on errors and the plan (through `console.actions`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console import actions, charts, health
from leadsync.console.actions import Outcome
from leadsync.console.render import flash, render
from leadsync.console.routes import actor, jobs, runtime, wants_fragment
from leadsync.console.security import current_account

# `status`'s own account of what is pending; the rest of `status_data` (every open error, people
# per stage) costs 150 ms more on 100,000 people on PostgreSQL, for nothing this page shows.
from leadsync.sync.cli_status import pending_plan as pending_of

router = APIRouter(dependencies=[Depends(current_account)])
USAGE_RUNS = 20
APPLY = "apply"
# Tells the page's error queue and plan sections to load themselves again.
CHANGED = {"HX-Trigger": "health-changed"}


@router.get("/")
def home() -> Response:
    return RedirectResponse("/health", status_code=303)


@router.get("/health")
def health_page(request: Request) -> Response:
    rt = runtime(request)
    with rt.sessions() as session:
        runs = health.last_runs(session, USAGE_RUNS)
        usage = health.api_usage(runs)
        page = {
            "runs": [(run, health.run_summary(run)) for run in runs[:10]],
            "usage": usage,
            "types": health.error_types(session),
            "cursors": health.cursors(session, rt.clock()),
            "plan": health.pending_plan(session),
            "pending": pending_of(session),
        }
    page["apply_job"] = jobs(request).latest(APPLY, actor(request))
    return render(request, "health.html", chart=charts.api_calls(usage), **page)


@router.get("/health/errors")
def error_entries(request: Request, type: str) -> Response:
    with runtime(request).sessions() as session:
        entries, total = health.open_entries(session, type)
    return render(request, "_errors.html", type_=type, entries=entries, total=total)


def _answer(request: Request, outcome: Outcome) -> Response:
    if wants_fragment(request):
        headers = CHANGED if outcome.ok else None
        return render(request, "_outcome.html", outcome=outcome, headers=headers)
    flash(request, outcome.message, outcome.ok)
    return RedirectResponse("/health", status_code=303)


@router.post("/health/errors/{error_id}/retry")
def retry_error(request: Request, error_id: int) -> Response:
    return _answer(request, actions.retry_error(runtime(request), error_id, actor=actor(request)))


@router.post("/health/errors/{error_id}/dismiss")
def dismiss_error(
    request: Request, error_id: int, why: Annotated[str, Form(min_length=1)]
) -> Response:
    outcome = actions.dismiss_error(runtime(request), error_id, why=why, actor=actor(request))
    return _answer(request, outcome)


@router.post("/health/errors/retry")
def retry_type(request: Request, type: Annotated[str, Form(min_length=1)]) -> Response:
    return _answer(request, actions.retry_type(runtime(request), type, actor=actor(request)))


@router.post("/health/errors/dismiss")
def dismiss_type(
    request: Request,
    type: Annotated[str, Form(min_length=1)],
    why: Annotated[str, Form(min_length=1)],
) -> Response:
    outcome = actions.dismiss_type(runtime(request), type, why=why, actor=actor(request))
    return _answer(request, outcome)


@router.post("/health/plan/apply")
def apply_plan(request: Request) -> Response:
    rt, who = runtime(request), actor(request)
    job = jobs(request).start(
        APPLY, who, lambda job: actions.apply_plan(rt, actor=who, progress=job.advance)
    )
    if wants_fragment(request):
        return render(request, "_job.html", job=job)
    return RedirectResponse("/health#plan-h", status_code=303)


@router.post("/health/plan/discard")
def discard_plan(request: Request, why: Annotated[str, Form()] = "") -> Response:
    outcome = actions.discard_plan(runtime(request), actor=actor(request), why=why)
    return _answer(request, outcome)
