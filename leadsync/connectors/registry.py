"""Finding connectors: each entry point in the `leadsync.connectors` group is one.

A third-party connector is a package with a class that satisfies `base.Connector` and a
`mapping.catalog.Declaration` that says, as data, what the core needs to know about its CRM
(its settings model, streams, people, vocabularies, field maps, write-back names), plus one
line in its pyproject naming the declaration:

    [project.entry-points."leadsync.connectors"]
    pipedrive = "leadsync_pipedrive.declaration:DECLARATION"

Its settings are then the `[pipedrive]` table of config.toml, and nothing in the core changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from leadsync.connectors.base import Connector
from leadsync.errors import ConfigError
from leadsync.mapping.catalog import Declaration

GROUP = "leadsync.connectors"


def available() -> dict[str, EntryPoint]:
    """Registered connectors by name; two packages claiming one name is a configuration error."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        if point.name in found and found[point.name].value != point.value:
            raise ConfigError(
                f"two installed packages register the connector {point.name!r} "
                f"({found[point.name].value} and {point.value}); uninstall one of them"
            )
        found[point.name] = point
    return dict(sorted(found.items()))


def declarations() -> list[Declaration]:
    """Every installed connector's declaration (what `mapping.catalog` serves the core)."""
    return [declaration(name) for name in available()]


def declaration(name: str) -> Declaration:
    """The declaration registered as `name`; a miss names what is available."""
    points = available()
    if name not in points:
        names = ", ".join(points) or "none"
        raise ConfigError(
            f"no connector named {name!r}; available: {names}. A connector registers under "
            f"the {GROUP!r} entry-point group of its package."
        )
    found = _loaded(name, points[name].value, points[name].load)
    if not isinstance(found, Declaration) or found.name != name:
        raise ConfigError(
            f"connector {name!r} is registered as {points[name].value}, which is not a "
            f"leadsync Declaration named {name!r}; fix the package's entry point"
        )
    return found


def load(name: str) -> type[Connector]:
    """The connector class registered as `name` (imported only now)."""
    where = declaration(name).connector
    module, _, attr = where.partition(":")
    return _loaded(name, where, lambda: getattr(import_module(module), attr))


def _loaded(name: str, where: str, load: Any) -> Any:
    try:
        return load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"connector {name!r} is registered as {where} but cannot be loaded "
            f"({exc}); reinstall the package that provides it"
        ) from None


def create(name: str, settings: BaseModel | Mapping[str, Any], **extra: Any) -> Connector:
    """Build the connector `name` from its `[name]` settings table, validated by its model;
    `extra` goes to the constructor as keywords (what a long-running worker keeps)."""
    cls = load(name)
    model: type[BaseModel] = declaration(name).settings
    if not isinstance(settings, model):
        try:
            settings = model.model_validate(settings)
        except ValidationError as exc:
            raise ConfigError([_problem(name, e) for e in exc.errors()]) from None
    accepted = inspect.signature(cls).parameters
    return cls(settings, **{k: v for k, v in extra.items() if k in accepted})  # type: ignore[call-arg]


def _problem(name: str, error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"])
    where = f"[{name}] {key}" if key else f"[{name}]"
    return f"{where}: {error['msg']}"
