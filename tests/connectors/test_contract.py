"""The connector contract, checked the same way for every registered connector, over the sandbox."""

from __future__ import annotations

import pytest

from leadsync.connectors import registry
from leadsync.connectors.base import Connector, Window
from leadsync.errors import ConnectorError
from leadsync.mapping.transforms import EPOCH

from .conftest import SANDBOX_CONNECTORS, until_now

# HubSpot's and Salesforce's own batch maxima; a third-party connector declares its own.
API_MAXIMA = {"hubspot": 100, "salesforce": 200}


@pytest.fixture(params=sorted(registry.available()))
def connector(request, sandbox, admin) -> Connector:
    name = request.param
    if name not in SANDBOX_CONNECTORS:
        pytest.skip(f"the sandbox has no emulator for connector {name!r}")
    built = SANDBOX_CONNECTORS[name](sandbox)
    assert type(built) is registry.load(name)
    return built


def test_it_satisfies_the_protocol_and_passes_its_own_check(connector):
    assert isinstance(connector, Connector)
    assert connector.streams
    assert 0 < connector.batch_limit <= API_MAXIMA.get(connector.name, connector.batch_limit)
    connector.check()


def test_every_stream_reads_in_ascending_position_inside_the_window(connector):
    end = until_now()
    for stream in connector.streams:
        # A bounded window is ordered; a full-history read may stream in the CRM's order.
        records = list(connector.read(stream, Window(EPOCH, end)))
        assert [r.position for r in records] == sorted(r.position for r in records), stream
        full = list(connector.read(stream, Window(None, end)))
        assert {r.id for r in full} == {r.id for r in records}, stream
        assert len({r.id for r in records}) == len(records), stream
        assert all(r.system == connector.name and r.stream == stream for r in records)
        assert all(r.modified_at.tzinfo is not None and r.modified_at < end for r in records)


def test_a_read_resumed_from_any_position_returns_exactly_the_rest(connector):
    end = until_now()
    stream = connector.streams[0]
    records = sorted(connector.read(stream, Window(None, end)), key=lambda r: r.position)
    assert len(records) > 20
    for cut in (0, len(records) // 3, len(records) - 2):
        at = records[cut]
        rest = list(connector.read(stream, Window(at.modified_at, end, after_id=at.id)))
        assert [r.id for r in rest] == [r.id for r in records[cut + 1 :]]


def test_an_unknown_stream_is_refused_with_the_streams_named(connector):
    with pytest.raises(ConnectorError) as refused:
        list(connector.read("no_such_stream", Window(None, until_now())))
    assert connector.streams[0] in str(refused.value)


def test_writing_nothing_costs_nothing(connector, admin):
    before = admin.stats(connector.name)["requests"]
    assert connector.write([]) == []
    assert admin.stats(connector.name)["requests"] == before
