"""Mappings: stage vocabularies and field maps as editable tables over the editor's draft,
values offered from the CRMs, problems shown at their cells, and `mapping validate --live` on
request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from leadsync.console import live, mapping_edit, mappings
from leadsync.console.editing import LIVE_CHECK, Working, live_check
from leadsync.console.problems import locate
from leadsync.console.render import dom_id, render
from leadsync.console.routes import actor, jobs, posted, runtime, wants_fragment, working_text
from leadsync.console.routes.draft import PREVIEW, edit_draft
from leadsync.console.security import current_account
from leadsync.sync.config_mapping import STAGE_NAMES
from leadsync.sync.wiring import build_connectors

router = APIRouter(dependencies=[Depends(current_account)])
Form = Annotated[dict[str, str], Depends(posted)]


def _tables(work: Working) -> dict:
    vocabularies = mapping_edit.vocabularies(work.data)
    field_maps = mapping_edit.field_maps(work.data)
    cells = [c for t in vocabularies for c in t.cells()] + [
        c for t in field_maps for c in t.cells()
    ]
    rows = [r for t in field_maps for r in t.row_keys()]
    tables = [t.key for t in (*vocabularies, *field_maps)]
    found = locate(work.all_problems, work.where, cells=cells, rows=rows, tables=tables)
    return {"vocabularies": vocabularies, "field_maps": field_maps, "located": found}


def _offers(request: Request, page: dict, *, ask: bool) -> dict:
    """What the CRMs offer each table; asks them (in the background) for what is not kept."""
    kept: live.LiveOptions = request.app.state.live
    if ask:
        rt = runtime(request)
        keys = [t.live_key for t in (*page["vocabularies"], *page["field_maps"])]
        kept.refresh(lambda: build_connectors(rt), keys)
    snapshot = kept.snapshot()
    offers = {t.key: mapping_edit.vocabulary_offer(t, snapshot) for t in page["vocabularies"]}
    offers |= {t.key: mapping_edit.fields_offer(t, snapshot) for t in page["field_maps"]}
    return {"offers": offers, "fetching": snapshot.fetching}


@router.get("/mappings")
def mappings_page(request: Request) -> Response:
    rt, work = runtime(request), working_text(request)
    page = _tables(work)
    return render(
        request, "mappings.html", work=work, writeback=mappings.writeback(rt),
        machine=mappings.state_machine(), stages=mapping_edit.STAGE_CHOICES,
        stage_names=STAGE_NAMES, transforms=mapping_edit.TRANSFORM_CHOICES,
        live_job=jobs(request).latest(LIVE_CHECK, actor(request), key=work.hash),
        preview_job=jobs(request).latest(PREVIEW, actor(request), key=work.hash),
        **page, **_offers(request, page, ask=True),
    )  # fmt: skip


@router.get("/mappings/live")
def live_offers(request: Request) -> Response:
    """The values the CRMs offer, swapped into the page's lists once they are fetched."""
    page = _tables(working_text(request))
    return render(request, "_offers.html", **page, **_offers(request, page, ask=False))


@router.post("/mappings/stages/{system}/{prop}")
def edit_vocabulary(request: Request, system: str, prop: str, form: Form) -> Response:
    def edit(text: str) -> str:
        return mapping_edit.apply_vocabulary(text, request.app.state.console.where, system,
                                             prop, form)  # fmt: skip

    back = f"/mappings#{dom_id('vocabulary', system, prop)}"
    return edit_draft(request, form, edit, f"stages.{system}.{prop}", back)


@router.post("/mappings/fields/{system}/{obj}")
def edit_fields(request: Request, system: str, obj: str, form: Form) -> Response:
    def edit(text: str) -> str:
        return mapping_edit.apply_fields(text, request.app.state.console.where, system, obj,
                                         form)  # fmt: skip

    back = f"/mappings#{dom_id('fields', system, obj)}"
    return edit_draft(request, form, edit, f"fields.{system}.{obj}", back)


@router.post("/mappings/check")
def check_live(request: Request) -> Response:
    """`mapping validate --live` on the draft (or the file): a job, since it asks both CRMs."""
    work = working_text(request)
    job = jobs(request).start(LIVE_CHECK, actor(request),
                              lambda job: live_check(work.text, work.where), key=work.hash)  # fmt: skip
    if wants_fragment(request):
        return render(request, "_job.html", job=job)
    return RedirectResponse("/mappings#check-h", status_code=303)
