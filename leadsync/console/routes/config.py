"""Mappings and Rules: the effective config as tables (read-only for now)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from leadsync.console import mappings, rules
from leadsync.console.render import render
from leadsync.console.routes import runtime
from leadsync.console.security import current_account

router = APIRouter(dependencies=[Depends(current_account)])


@router.get("/mappings")
def mappings_page(request: Request) -> Response:
    rt = runtime(request)
    return render(
        request,
        "mappings.html",
        vocabularies=mappings.vocabularies(rt),
        field_maps=mappings.field_maps(rt),
        writeback=mappings.writeback(rt),
        machine=mappings.state_machine(),
    )


@router.get("/rules")
def rules_page(request: Request) -> Response:
    cfg = runtime(request).settings.rules
    return render(
        request,
        "rules.html",
        fit=rules.fit_rules(cfg),
        engagement=rules.engagement_rules(cfg),
        gates=rules.gates(cfg),
        suspect=rules.suspect(cfg),
        recycle=rules.recycle(cfg),
        scale=rules.scale(cfg),
    )
