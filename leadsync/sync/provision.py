"""Create the CRM properties leadsync writes, once per database, before the first write.

HubSpot properties are created through its properties API (idempotent: an existing property
is left alone). Salesforce custom fields need the Metadata API, which leadsync does not use:
`leadsync mapping validate --live` lists the missing ones instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from leadsync.connectors.base import Connector
from leadsync.connectors.hubspot import PropertySpec
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import RunRow

_LABELS = {
    "stage": ("string", "text", "Canonical lifecycle stage decided by leadsync"),
    "fit": ("number", "number", "Who they are: firmographic fit score"),
    "engagement": ("number", "number", "What they did: decayed engagement score"),
    "total": ("number", "number", "Fit plus engagement"),
    "grade": ("string", "text", "Fit A-D x engagement 1-4"),
    "reasons": ("string", "textarea", "The rules that contributed most to the score"),
}


def hubspot_specs(names: Mapping[str, str]) -> list[PropertySpec]:
    specs = []
    for output, name in names.items():
        kind, field_type, description = _LABELS[output]
        label = f"leadsync {output}"
        specs.append(PropertySpec(name, label, kind, field_type, description))
    return specs


def ensure_provisioned(rt: Runtime, connectors: Mapping[str, Connector]) -> None:
    """Provision HubSpot once; a later config change of names provisions again."""
    hubspot = connectors.get("hubspot")
    if hubspot is None or not hasattr(hubspot, "provision"):
        return
    names = dict(rt.outbound.get(("hubspot", "contact"), {}))
    with rt.sessions() as session:
        done = session.scalars(
            select(RunRow).where(RunRow.kind == "provision", RunRow.status == "ok")
        ).all()
    if any(run.counts.get("names") == names for run in done):
        return
    run_id = start_run(rt.sessions, "provision", rt.clock())
    report = hubspot.provision(hubspot_specs(names))
    finish_run(rt.sessions, run_id, {"names": names, "created": list(report.created)}, rt.clock())
