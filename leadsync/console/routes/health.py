"""Health: last runs, API use against the budget, the error queue, cursors, the pending plan;
and the buttons that act on errors and the plan (through `console.actions`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console import actions, charts, health
from leadsync.console.actions import Outcome
from leadsync.console.render import flash, render
from leadsync.console.routes import actor, runtime, wants_fragment
from leadsync.console.security import current_account

router = APIRouter(dependencies=[Depends(current_account)])
USAGE_RUNS = 20


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
            "groups": health.error_groups(session),
            "cursors": health.cursors(session, rt.clock()),
            "plan": health.pending_plan(session),
        }
    return render(request, "health.html", chart=charts.api_calls(usage), **page)


@router.get("/health/errors")
def error_entries(request: Request, code: str) -> Response:
    with runtime(request).sessions() as session:
        entries = health.open_errors_of(session, code)
    return render(request, "_errors.html", code=code, entries=entries)


def _answer(request: Request, outcome: Outcome) -> Response:
    if wants_fragment(request):
        return render(request, "_outcome.html", outcome=outcome)
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
def retry_type(request: Request, code: Annotated[str, Form(min_length=1)]) -> Response:
    return _answer(request, actions.retry_type(runtime(request), code, actor=actor(request)))


@router.post("/health/plan/apply")
def apply_plan(request: Request) -> Response:
    return _answer(request, actions.apply_plan(runtime(request), actor=actor(request)))


@router.post("/health/plan/discard")
def discard_plan(request: Request) -> Response:
    return _answer(request, actions.discard_plan(runtime(request), actor=actor(request)))
