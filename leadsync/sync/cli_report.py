"""`leadsync explain EMAIL` and `leadsync report funnel`: the reasons and the numbers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from leadsync.errors import LeadsyncError
from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import Stage
from leadsync.scoring import metrics
from leadsync.scoring.decide import Transition
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.person_fields import merged_fields
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import LedgerRow, LinkRow, PersonRow, ScoreRow

console = Console(highlight=False)


@click.command()
@click.argument("email")
@config_option
@click.option("--json", "as_json", is_flag=True)
@report_errors
def explain(email: str, config_path: str | None, as_json: bool) -> None:
    """Score breakdown, grade, current stage and stage trail of one person."""
    rt = build_runtime(load(config_path, secrets=False))
    data = explanation(rt, email)
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    _print_explanation(data)


def explanation(rt: Runtime, email: str) -> dict[str, Any]:
    with rt.reading() as session:
        person = session.scalars(
            select(PersonRow).where(PersonRow.email == email.strip().lower())
        ).first()
        if person is None:
            raise LeadsyncError(f"no person with email {email!r}; check the spelling or run a sync")
        score = session.get(ScoreRow, person.id)
        trail = session.scalars(
            select(LedgerRow).where(LedgerRow.person_id == person.id).order_by(LedgerRow.id)
        ).all()
        links = session.scalars(select(LinkRow).where(LinkRow.person_id == person.id)).all()
        return {
            "email": person.email,
            "stage": person.stage,
            "duplicate": person.duplicate_flag,
            "records": [{"kind": link.kind, "id": link.record_id} for link in links],
            "score": score.explanation if score else None,
            "scored_at": score.computed_at if score else None,
            "reasons": score.reasons if score else "",
            "fields": field_sources(rt, links),
            "trail": [
                {"at": r.at, "from": r.from_stage, "to": r.to_stage, "actor": r.actor,
                 "cause": r.cause, "reason": r.reason, "rules": r.rule_ids, "score": r.score}
                for r in trail
            ],
        }  # fmt: skip


def field_sources(rt: Runtime, links: Any) -> list[dict[str, Any]]:
    """Each canonical field's value and the CRM record it came from, by the source rules."""
    merged = merged_fields(links, rt.field_maps, rt.source_rules, rt.default_source)
    return [
        {"field": name, "value": sourced.value, **sourced.as_dict(),
         "rule": rt.source_rules.get(name, rt.default_source).describe()}
        for name, sourced in merged.items()
    ]  # fmt: skip


def _print_explanation(data: dict[str, Any]) -> None:
    score = data["score"] or {}
    records = ", ".join(f"{r['kind']} {r['id']}" for r in data["records"])
    console.print(f"[bold]{data['email']}[/bold]  stage [bold]{data['stage']}[/bold]  ({records})")
    if data["duplicate"]:
        console.print(f"[yellow]flagged duplicate:[/yellow] {data['duplicate']}")
    console.print(
        f"fit {score.get('fit')}  +  engagement {score.get('engagement')}  =  "
        f"[bold]{score.get('total')}[/bold]   grade {score.get('grade')}"
    )
    table = Table(title="why")
    for column in ("points", "rule", "axis", "evidence"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for c in score.get("contributions", []):
        style = "green" if c["points"] > 0 else "red"
        table.add_row(f"[{style}]{c['points']:+g}[/{style}]", c["label"], c["axis"], c["evidence"])
    console.print(table)
    decision = score.get("stage")
    if decision:
        console.print(f"stage decision: {decision['reason']}")
    fields = Table(title="fields and where they came from")
    for column in ("field", "value", "from", "rule"):
        fields.add_column(column)
    for f in data["fields"]:
        fields.add_row(f["field"], str(f["value"]), f"{f['system']} {f['object']} {f['record']}",
                       f["rule"])  # fmt: skip
    console.print(fields)
    trail = Table(title="stage trail (ledger)")
    for column in ("when", "from", "to", "by", "why"):
        trail.add_column(column)
    for t in data["trail"]:
        trail.add_row(str(t["at"])[:19], t["from"] or "-", t["to"], t["actor"], t["reason"])
    console.print(trail)


@click.group()
def report() -> None:
    """Reports over the store."""


@report.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@report_errors
def funnel(config_path: str | None, as_json: bool) -> None:
    """Per stage: canonical and each CRM's counts; MQL->SQL conversion; time in stage."""
    rt = build_runtime(load(config_path, secrets=False))
    data = funnel_data(rt)
    if as_json:
        print(json.dumps(data, default=str, indent=2))
        return
    print_funnel(data)


def _moves(rt: Runtime) -> list[Transition]:
    with rt.reading() as session:
        rows = session.execute(
            select(LedgerRow.person_id, LedgerRow.from_stage, LedgerRow.to_stage, LedgerRow.at)
        ).all()
    return [
        Transition(str(p), Stage(src) if src else None, Stage(dst), at, None)  # type: ignore[arg-type]
        for p, src, dst, at in rows
    ]


def _system_counts(rt: Runtime) -> dict[str, Counter[str]]:
    """Per CRM, its records by the stage their primary stage property shows."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in rt.settings.connectors}
    primary = {(v.system, v.obj): v for v in rt.vocabularies if v.primary}
    objects = {kind: catalog().object_of(kind) for kind in catalog().kinds()}
    with rt.reading() as session:
        for kind, snapshot in session.execute(select(LinkRow.kind, LinkRow.snapshot)):
            key = objects.get(kind)
            vocab = primary.get(key) if key else None
            if vocab is None:
                continue
            stage = vocab.inbound.get(str((snapshot or {}).get(vocab.prop)))
            counts.setdefault(key[0], Counter())
            counts[key[0]][stage.value if stage else "(none)"] += 1
    return counts


def funnel_data(rt: Runtime) -> dict[str, Any]:
    moves = _moves(rt)
    now = rt.clock()
    with rt.reading() as session:
        canonical = Counter(stage or "(none)" for stage in session.scalars(select(PersonRow.stage)))
    systems = _system_counts(rt)
    conversion = metrics.mql_to_sql(moves)
    times = metrics.time_in_stage(moves, now)
    return {
        # The configured CRMs, in the catalog's order: each stage row has a count under each.
        "systems": [{"name": n, "label": catalog().label(n)} for n in systems],
        "stages": [
            {
                "stage": s.value,
                "canonical": canonical.get(s.value, 0),
                **{name: systems[name].get(s.value, 0) for name in systems},
                "mean_days": times[s].mean_days if s in times else None,
            }
            for s in Stage
        ],
        "ever_reached": {s.value: n for s, n in metrics.funnel(moves).items()},
        "mql_to_sql": {
            "mql": conversion.entered,
            "sql": conversion.converted,
            "rate": conversion.rate,
            "mean_days": _days(metrics.sales_cycle(moves)),
        },
        "cohorts": [
            {
                "month": c.month,
                "mql": c.conversion.entered,
                "sql": c.conversion.converted,
                "rate": c.conversion.rate,
                "complete": c.complete,
            }
            for c in metrics.cohorts(moves, now)
        ],
    }


def _days(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds() / 86400, 1)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def print_funnel(data: dict[str, Any]) -> None:
    table = Table(title="funnel: people per stage")
    systems = [s["name"] for s in data["systems"]]
    columns = ["stage", "leadsync", *(s["label"] for s in data["systems"]), "mean days in stage"]
    for column in columns:
        table.add_column(column, justify="left" if column == "stage" else "right")
    for row in data["stages"]:
        days = "-" if row["mean_days"] is None else f"{row['mean_days']:.1f}"
        table.add_row(row["stage"], str(row["canonical"]),
                      *(str(row[name]) for name in systems), days)  # fmt: skip
    console.print(table)
    conv = data["mql_to_sql"]
    console.print(
        f"MQL -> SQL: {conv['sql']} SQL / {conv['mql']} MQL = [bold]{_pct(conv['rate'])}[/bold]"
        + ("" if conv["mean_days"] is None else f", {conv['mean_days']} days on average")
    )
    cohorts = Table(title="MQL -> SQL by monthly cohort (within the average sales cycle)")
    for column in ("month", "MQLs", "SQLs", "rate", ""):
        cohorts.add_column(column)
    for c in data["cohorts"][-12:]:
        cohorts.add_row(c["month"], str(c["mql"]), str(c["sql"]), _pct(c["rate"]),
                        "" if c["complete"] else "open")  # fmt: skip
    console.print(cohorts)


COMMANDS = [explain, report]
