"""Finding connectors: each entry point in the `leadsync.connectors` group is one.

A third-party connector is a package with a class that satisfies `base.Connector` (and,
optionally, a pydantic `settings_model` class attribute) plus one line in its pyproject:

    [project.entry-points."leadsync.connectors"]
    pipedrive = "leadsync_pipedrive:PipedriveConnector"

Its settings are then the `[pipedrive]` table of config.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from leadsync.connectors.base import Connector
from leadsync.errors import ConfigError

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


def load(name: str) -> type[Connector]:
    """The connector class registered as `name`; a miss names what is available."""
    points = available()
    if name not in points:
        names = ", ".join(points) or "none"
        raise ConfigError(
            f"no connector named {name!r}; available: {names}. A connector registers under "
            f"the {GROUP!r} entry-point group of its package."
        )
    try:
        return points[name].load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"connector {name!r} is registered as {points[name].value} but cannot be loaded "
            f"({exc}); reinstall the package that provides it"
        ) from None


def create(name: str, settings: BaseModel | Mapping[str, Any]) -> Connector:
    """Build the connector `name` from its `[name]` settings table (validated if it has a model)."""
    cls = load(name)
    model: type[BaseModel] | None = getattr(cls, "settings_model", None)
    if model is not None and not isinstance(settings, model):
        try:
            settings = model.model_validate(settings)
        except ValidationError as exc:
            raise ConfigError([_problem(name, e) for e in exc.errors()]) from None
    return cls(settings)  # type: ignore[call-arg]


def _problem(name: str, error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"])
    where = f"[{name}] {key}" if key else f"[{name}]"
    return f"{where}: {error['msg']}"
