"""Funnel: people per stage in each system, MQL→SQL plain and by monthly cohort, and how a
shadow candidate compares (a fragment of its own, so the page does not wait for it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from leadsync.console import charts
from leadsync.console.render import render
from leadsync.console.routes import runtime
from leadsync.console.security import current_account
from leadsync.sync.shadow_report import OUTCOMES, shadow_report

router = APIRouter(dependencies=[Depends(current_account)])


@router.get("/funnel")
def funnel_page(request: Request) -> Response:
    report = request.app.state.funnel.get(runtime(request))
    data = report.data
    return render(
        request,
        "funnel.html",
        data=data,
        report=report,
        funnel_chart=charts.funnel(data["stages"]),
        cohort_chart=charts.cohorts(data["cohorts"]),
    )


@router.get("/funnel/shadow")
def shadow_fragment(request: Request) -> Response:
    """What `leadsync shadow report` says: agreement, divergence, each side's MQLs later."""
    with runtime(request).reading() as session:
        data = shadow_report(session, examples=3)
    return render(request, "_shadow.html", shadow=data, outcomes=OUTCOMES)
