"""`leadsync mapping validate|show`: check the config and print the effective mapping."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from leadsync.mapping.model import Stage
from leadsync.mapping.stages import MOVES, OWNERS, Cause, Guard
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.config_mapping import build_field_maps, build_outbound, build_vocabularies

console = Console(highlight=False)


@click.group()
def mapping() -> None:
    """Validate and show stage vocabularies, the state machine and field maps."""


@mapping.command()
@config_option
@click.option(
    "--live",
    is_flag=True,
    help="Also compare vocabularies with the CRMs' picklists and check every field read or "
    "written (readable, writable) on both CRMs.",
)
@report_errors
def validate(config_path: str | None, live: bool) -> None:
    """Check the config offline; exit 0 when valid, 2 with one line per problem."""
    settings = load(config_path, secrets=live)
    vocabularies = build_vocabularies(settings.stages)
    warnings: list[str] = []
    if live:
        from leadsync.sync.live_check import check_live

        warnings = check_live(settings, vocabularies)
    maps = build_field_maps(settings.fields)
    console.print(
        f"[green]ok[/green] {len(vocabularies)} stage vocabularies, "
        f"{sum(len(m) for m in maps.values())} field maps, "
        f"{len(settings.rules.fit) + len(settings.rules.engagement)} scoring rules"
    )
    for line in warnings:
        console.print(f"[yellow]warning[/yellow] {line}", soft_wrap=True)


@mapping.command()
@config_option
@report_errors
def show(config_path: str | None) -> None:
    """Print the effective vocabularies, state machine and field maps as tables."""
    settings = load(config_path, secrets=False)
    for vocab in build_vocabularies(settings.stages):
        console.print(_vocabulary_table(vocab))
    console.print(_machine_table())
    for (system, obj), maps in build_field_maps(settings.fields).items():
        console.print(_fields_table(system, obj, maps))
    console.print(_outbound_table(build_outbound(settings.writeback)))


def _vocabulary_table(vocab) -> Table:
    kind = "primary" if vocab.primary else "secondary"
    table = Table(title=f"{vocab.system} {vocab.obj}.{vocab.prop} ({kind})")
    table.add_column(f"{vocab.prop} value")
    table.add_column("canonical (inbound)")
    table.add_column("written for (outbound)")
    for value, stage in vocab.inbound.items():
        written = [s.value for s, v in vocab.outbound.items() if v == value]
        table.add_row(value, stage.value if stage else "[dim]ignore[/dim]", ", ".join(written))
    if vocab.release:
        table.caption = f"release value: {vocab.release!r}"
    return table


def _machine_table() -> Table:
    table = Table(title="stage state machine: who may move a person from (row) to (column)")
    table.caption = (
        "S score, E CRM evidence, H human in the owner system, R recycle rule, A admin; "
        "S* only on engagement newer than the disqualification. Column: owner of the stage."
    )
    table.add_column("from \\ to")
    for dst in Stage:
        table.add_column(f"{dst.value}\n[dim]{OWNERS[dst].value}[/dim]")
    for src in (None, *Stage):
        cells = []
        for dst in Stage:
            causes = MOVES[(src, dst)]
            cells.append(" ".join(_cause_label(c, g) for c, g in _by_letter(causes)) or "-")
        table.add_row(src.value if src else "(new)", *cells)
    return table


def _cause_label(cause: Cause, guard: Guard) -> str:
    letter = cause.value[0].upper()
    return f"{letter}*" if guard is not Guard.NONE else letter


def _by_letter(causes) -> list:
    order = "SEHRA"
    return sorted(causes.items(), key=lambda item: order.index(item[0].value[0].upper()))


def _fields_table(system: str, obj: str, maps) -> Table:
    table = Table(title=f"fields: canonical <- {system} {obj}")
    for column in ("canonical", "source property", "transform", "options"):
        table.add_column(column)
    for fmap in maps:
        options = ", ".join(f"{k}={_short(v)}" for k, v in fmap.options.items())
        table.add_row(fmap.canonical, fmap.source, fmap.transform, options)
    return table


def _outbound_table(outbound) -> Table:
    table = Table(title="write-back: canonical output -> property")
    table.add_column("system / object")
    for output in ("stage", "fit", "engagement", "total", "grade", "reasons"):
        table.add_column(output)
    for (system, obj), names in outbound.items():
        table.add_row(
            f"{system} {obj}",
            *(
                names.get(o, "-")
                for o in ("stage", "fit", "engagement", "total", "grade", "reasons")
            ),
        )
    return table


def _short(value) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)} values}}"
    return str(value)
