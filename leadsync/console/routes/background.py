"""A background job's progress and result, polled by the page that started it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from leadsync.console.jobs import DONE, Job
from leadsync.console.render import render
from leadsync.console.routes import actor, jobs
from leadsync.console.security import current_account

router = APIRouter(dependencies=[Depends(current_account)])
SVG = "image/svg+xml"
# When a job that changed the store is over, the Health page reloads its sections.
CHANGES_STORE = {"apply"}


def _job(request: Request, job_id: str) -> Job:
    job = jobs(request).get(job_id, actor(request))
    if job is None:
        raise HTTPException(404, "That job is not known here (the console restarted, or it "
                                 "belongs to another account); start it again.")  # fmt: skip
    return job


@router.get("/jobs/{job_id}")
def job_fragment(request: Request, job_id: str) -> Response:
    job = _job(request, job_id)
    over = job.state != "running" and job.kind in CHANGES_STORE
    return render(request, "_job.html", job=job,
                  headers={"HX-Trigger": "health-changed"} if over else None)  # fmt: skip


@router.get("/jobs/{job_id}/chart.svg")
def job_chart(request: Request, job_id: str) -> Response:
    job = _job(request, job_id)
    if job.state != DONE or not isinstance(job.result, dict) or not job.result.get("chart"):
        raise HTTPException(404, "This job has no chart (yet).")
    return Response(job.result["chart"], media_type=SVG)
