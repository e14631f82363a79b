"""Funnel: people per stage in each system, MQL→SQL plain and by monthly cohort."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from leadsync.console import charts
from leadsync.console.render import render
from leadsync.console.routes import runtime
from leadsync.console.security import current_account

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
