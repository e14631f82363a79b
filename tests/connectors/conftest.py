"""The sandbox over real HTTP(S) for connector tests, and connectors configured against it.

Adapted from the sandbox's own fixtures: one sandbox per test session (per xdist worker),
reset to its seeded world before every test that asks for `admin`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from leadsync.connectors.base import Connector
from leadsync.connectors.hubspot import HubSpotConnector, HubSpotSettings
from leadsync.connectors.retry import RetrySettings
from leadsync.connectors.salesforce import SalesforceConnector, SalesforceSettings
from leadsync.sandbox.server import Sandbox

# Fast waits: the policy's behaviour is the same, the test just does not sleep for real.
FAST_RETRY = RetrySettings(
    backoff_initial=0.01, backoff_max=0.05, rate_limit_wait=0.02, rate_limit_wait_max=0.1
)


class Admin:
    """The sandbox's control API: stats, faults, knobs, reset."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.url = sandbox.urls["sandbox_url"]

    def reset(self) -> None:
        self._post("/_sandbox/reset", {"data": True})
        # Knobs survive a reset: back to a Professional portal and an Enterprise org, without
        # short-window limits unless a test turns them on (the clients' pacers match).
        self.settings(
            hubspot={
                "tier": "professional",
                "ten_second_limit": None,
                "search_per_second": None,
                "max_search_results": 10_000,
                "backward_lifecycle": "ignore",
                "search_lag_seconds": 0.0,
            },
            salesforce={"daily_allowance": 100_000, "query_batch_size": 2000},
        )

    def stats(self, system: str) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=10).json()[system]

    def calls(self, system: str, route: str) -> int:
        return self.stats(system)["by_route"].get(route, 0)

    def fault(self, system: str, status: int, **options: Any) -> None:
        self._post("/_sandbox/faults", {"system": system, "status": status, **options})

    def faults(self) -> list[dict[str, Any]]:
        return requests.get(f"{self.url}/_sandbox/faults", timeout=10).json()["faults"]

    def clear_faults(self) -> None:
        requests.delete(f"{self.url}/_sandbox/faults", timeout=10).raise_for_status()

    def expire_hubspot_token(self, expired: bool = True) -> None:
        self._post("/_sandbox/hubspot/tokens", {"expired": expired})

    def settings(self, **systems: dict[str, Any]) -> None:
        self._post("/_sandbox/settings", systems)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = requests.post(f"{self.url}{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(contacts=300, seed=11) as running:
        yield running


@pytest.fixture
def admin(sandbox: Sandbox) -> Admin:
    control = Admin(sandbox)
    control.reset()
    return control


def hubspot_settings(sandbox: Sandbox, **overrides: Any) -> HubSpotSettings:
    values: dict[str, Any] = {
        "access_token": sandbox.hubspot_token,
        "base_url": sandbox.urls["hubspot_url"],
        "requests_per_10s": 100_000,
        "search_per_second": 100_000,
        "retry": FAST_RETRY,
        **overrides,
    }
    return HubSpotSettings.model_validate(values)


def salesforce_settings(sandbox: Sandbox, **overrides: Any) -> SalesforceSettings:
    emulator = sandbox.salesforce.settings
    values: dict[str, Any] = {
        "instance_url": sandbox.urls["salesforce_url"],
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "ca_bundle": sandbox.ca_bundle,
        "retry": FAST_RETRY,
        **overrides,
    }
    return SalesforceSettings.model_validate(values)


# How the contract suite builds each registered connector against the sandbox.
SANDBOX_CONNECTORS: dict[str, Callable[[Sandbox], Connector]] = {
    "hubspot": lambda sb: HubSpotConnector(hubspot_settings(sb)),
    "salesforce": lambda sb: SalesforceConnector(salesforce_settings(sb)),
}


@pytest.fixture
def hubspot(sandbox: Sandbox, admin: Admin) -> HubSpotConnector:
    return HubSpotConnector(hubspot_settings(sandbox))


@pytest.fixture
def salesforce(sandbox: Sandbox, admin: Admin) -> SalesforceConnector:
    return SalesforceConnector(salesforce_settings(sandbox))


def until_now() -> datetime:
    """The end of a read that covers everything written so far (a run's start time)."""
    return datetime.now(UTC) + timedelta(seconds=2)
