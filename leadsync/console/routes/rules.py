"""Rules: fit and engagement rules, thresholds and gates as editable tables over the editor's
draft, with problems at their cells; recycle rules, grades and decay as the config has them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from leadsync.console import rules, rules_edit
from leadsync.console.problems import locate
from leadsync.console.render import render
from leadsync.console.routes import actor, jobs, posted, runtime, working_text
from leadsync.console.routes.draft import PREVIEW, edit_draft
from leadsync.console.security import current_account

router = APIRouter(dependencies=[Depends(current_account)])
Form = Annotated[dict[str, str], Depends(posted)]


@router.get("/rules")
def rules_page(request: Request) -> Response:
    work = working_text(request)
    view = rules_edit.tables(work.data)
    cells, rows, tables = rules_edit.cells(view)
    cfg = runtime(request).settings.rules  # what runs now, for the read-only sections
    return render(
        request, "rules.html", work=work, view=view,
        located=locate(work.all_problems, work.where, cells=cells, rows=rows, tables=tables),
        fields=rules_edit.FIELDS, ops=rules_edit.OPS, kinds=rules_edit.KINDS,
        recycle=rules.recycle(cfg), scale=rules.scale(cfg),
        preview_job=jobs(request).latest(PREVIEW, actor(request), key=work.hash),
    )  # fmt: skip


@router.post("/rules/gates")
def edit_gates(request: Request, form: Form) -> Response:
    def edit(text: str) -> str:
        return rules_edit.apply_gates(text, request.app.state.console.where, form)

    return edit_draft(request, form, edit, "scoring.stages", "/rules#gates-h")


@router.post("/rules/{kind}")
def edit_rules(request: Request, kind: str, form: Form) -> Response:
    def edit(text: str) -> str:
        return rules_edit.apply_rules(text, request.app.state.console.where, kind, form)

    return edit_draft(request, form, edit, f"scoring.{kind}", f"/rules#{kind}-h")
