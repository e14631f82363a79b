"""Create the CRM properties leadsync writes, once per database, before the first write.

A connector that can create them offers `provision_outputs({object: {output: property}})`
(idempotent: an existing property is left alone). A CRM whose fields need an API leadsync
does not use has no such method: `leadsync mapping validate --live` lists the missing ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from leadsync.connectors.base import Connector
from leadsync.mapping.catalog import catalog
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import RunRow


def ensure_provisioned(rt: Runtime, connectors: Mapping[str, Connector]) -> None:
    """Provision each CRM that can be, once; a later config change of names provisions again."""
    for name, connector in connectors.items():
        if hasattr(connector, "provision_outputs") and name in catalog():
            _provision(rt, name, connector)


def _provision(rt: Runtime, name: str, connector: Connector) -> None:
    names = {p.obj: dict(rt.outbound.get((name, p.obj), {})) for p in catalog()[name].people}
    with rt.sessions() as session:
        done = session.scalars(
            select(RunRow).where(RunRow.kind == "provision", RunRow.status == "ok")
        ).all()
    if any(run.counts.get("system") == name and run.counts.get("names") == names for run in done):
        return
    run_id = start_run(rt.sessions, "provision", rt.clock())
    report = connector.provision_outputs(names)  # type: ignore[attr-defined]
    finish_run(rt.sessions, run_id, {"system": name, "names": names,
                                     "created": list(report.created)}, rt.clock())  # fmt: skip
