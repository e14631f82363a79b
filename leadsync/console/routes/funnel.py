"""Funnel: people per stage in each system, MQL→SQL plain and by monthly cohort, and how a
shadow candidate compares (a fragment of its own, so the page does not wait for it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console import charts
from leadsync.console.calibration import calibration_elsewhere
from leadsync.console.render import render
from leadsync.console.routes import actor, jobs, runtime, wants_fragment
from leadsync.console.security import current_account
from leadsync.sync.calibration import OUTCOMES as CALIBRATION_OUTCOMES
from leadsync.sync.shadow_report import OUTCOMES, shadow_report

router = APIRouter(dependencies=[Depends(current_account)])
CALIBRATION = "calibration"


@router.get("/funnel")
def funnel_page(request: Request) -> Response:
    report = request.app.state.funnel.get(runtime(request))
    data = report.data
    return render(
        request,
        "funnel.html",
        data=data,
        report=report,
        funnel_chart=charts.funnel(data["stages"], data["systems"]),
        cohort_chart=charts.cohorts(data["cohorts"]),
        outcomes=CALIBRATION_OUTCOMES,
        calibration=jobs(request).latest(CALIBRATION, actor(request)),
    )


@router.get("/funnel/shadow")
def shadow_fragment(request: Request) -> Response:
    """What `leadsync shadow report` says: agreement, divergence, each side's MQLs later."""
    with runtime(request).reading() as session:
        data = shadow_report(session, examples=3)
    return render(request, "_shadow.html", shadow=data, outcomes=OUTCOMES)


@router.post("/funnel/calibrate")
def calibrate(request: Request, outcome: str = Form("won")) -> Response:
    """`leadsync calibrate` against the chosen outcome, as a job in a child process."""
    rt = runtime(request)
    source = rt.settings.source
    if source is None or outcome not in CALIBRATION_OUTCOMES:
        return RedirectResponse("/funnel#calibration-h", status_code=303)
    work = jobs(request).in_process(calibration_elsewhere, source.text, str(source.path),
                                    rt.clock(), outcome)  # fmt: skip
    job = jobs(request).start(CALIBRATION, actor(request), work, key=outcome)
    if wants_fragment(request):
        return render(request, "_job.html", job=job)
    return RedirectResponse("/funnel#calibration-h", status_code=303)
