"""Salesforce Change Data Capture over the Pub/Sub API: gRPC, HTTP/2, Avro payloads.

    client = ChangeStream(connector)
    for batch in client.subscribe("/data/LeadChangeEvent", replay_id=stored):
        ...  # batch.events: ChangeEvent; store batch.latest_replay_id to resume after it

Every call carries the session as metadata (`accesstoken`, `instanceurl`, `tenantid`).
`Subscribe` is flow-controlled: the client asks for `BATCH` events and asks again once the
server has sent them. An event's payload is Avro, decoded with the schema `GetSchema` gives for
its `schema_id` (cached). leadsync needs only each event's `ChangeEventHeader`: which records
changed and how (CREATE, UPDATE, DELETE, UNDELETE; GAP_* events carry ids but no field data,
GAP_OVERFLOW stands for more changes than the stream could carry). Field bitmaps are not
decoded: the records are read again by id, which is the documented handling of gaps anyway.
"""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import fastavro
import grpc

from leadsync.connectors.salesforce.auth import CALL_CLIENT
from leadsync.connectors.salesforce.pubsub import pubsub_api_pb2 as pb
from leadsync.connectors.salesforce.pubsub import pubsub_api_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from leadsync.connectors.salesforce.connector import SalesforceConnector

BATCH = 100
HEADER = "ChangeEventHeader"
# The channels of the objects leadsync reads, and the sObject (stream) each one reports on.
TOPICS = {
    "/data/LeadChangeEvent": "Lead",
    "/data/ContactChangeEvent": "Contact",
    "/data/OpportunityChangeEvent": "Opportunity",
}


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One change event's header: what changed, where it can be resumed after."""

    topic: str
    replay_id: bytes
    entity: str
    change_type: str
    record_ids: tuple[str, ...]
    committed_at: datetime
    origin: str = ""

    @property
    def own(self) -> bool:
        """Made by leadsync's own calls (see `auth.CALL_CLIENT`): an echo, nothing to read."""
        return f"client={CALL_CLIENT}" in self.origin.split(";")

    @property
    def overflow(self) -> bool:
        """Too many changes to name: read the entity's recent changes instead of ids."""
        return self.change_type == "GAP_OVERFLOW" or (
            self.change_type.startswith("GAP_") and not self.record_ids
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """What one `FetchResponse` brought (no events: a keepalive)."""

    topic: str
    events: list[ChangeEvent]
    latest_replay_id: bytes


class ChangeStream:
    """A Pub/Sub API client on the connector's Salesforce session."""

    def __init__(self, connector: SalesforceConnector) -> None:
        self.connector = connector
        settings = connector.settings
        roots = settings.ca_bundle.read_bytes() if settings.ca_bundle else None
        channel = grpc.secure_channel(settings.pubsub_url, grpc.ssl_channel_credentials(roots))
        self.stub = pb_grpc.PubSubStub(channel)
        self._channel = channel
        self._schemas: dict[str, Any] = {}
        self._calls: list[Any] = []
        self._lock = threading.Lock()

    def metadata(self) -> tuple[tuple[str, str], ...]:
        sf = self.connector.client.sf
        token = sf.session_id
        tenant = self.connector.settings.org_id or token.split("!", 1)[0]
        return (("accesstoken", token), ("instanceurl", f"https://{sf.sf_instance}"),
                ("tenantid", tenant))  # fmt: skip

    def relogin(self) -> None:
        """A fresh session (call after an UNAUTHENTICATED answer)."""
        self.connector.client.relogin()

    def topic(self, name: str) -> pb.TopicInfo:
        return self.stub.GetTopic(pb.TopicRequest(topic_name=name), metadata=self.metadata())

    def subscribe(self, topic: str, replay_id: bytes | None) -> Iterator[Batch]:
        """Batches from right after `replay_id` (None: from now on), until `close()` or an
        `grpc.RpcError` (the caller resubscribes from the last replay id it stored)."""
        asks: queue.Queue[pb.FetchRequest | None] = queue.Queue()
        preset = pb.ReplayPreset.CUSTOM if replay_id else pb.ReplayPreset.LATEST
        asks.put(pb.FetchRequest(topic_name=topic, replay_preset=preset,
                                 replay_id=replay_id or b"", num_requested=BATCH))  # fmt: skip
        call = self.stub.Subscribe(iter(asks.get, None), metadata=self.metadata())
        with self._lock:
            self._calls.append(call)
        try:
            for response in call:
                if response.pending_num_requested == 0:
                    asks.put(pb.FetchRequest(topic_name=topic, num_requested=BATCH))
                events = [self._event(topic, e) for e in response.events]
                yield Batch(topic, events, response.latest_replay_id)
        finally:
            asks.put(None)
            call.cancel()
            with self._lock:
                self._calls.remove(call)

    def close(self) -> None:
        """End every open subscription (their iterators raise a CANCELLED `RpcError`)."""
        with self._lock:
            calls = list(self._calls)
        for call in calls:
            call.cancel()
        self._channel.close()

    def _event(self, topic: str, consumed: pb.ConsumerEvent) -> ChangeEvent:
        record = fastavro.schemaless_reader(
            io.BytesIO(consumed.event.payload), self._schema(consumed.event.schema_id)
        )
        header = record.get(HEADER) or {}
        committed = datetime.fromtimestamp(int(header.get("commitTimestamp") or 0) / 1000, UTC)
        return ChangeEvent(
            topic, consumed.replay_id, str(header.get("entityName") or TOPICS.get(topic, "")),
            str(header.get("changeType") or ""), tuple(header.get("recordIds") or ()),
            committed, str(header.get("changeOrigin") or ""),
        )  # fmt: skip

    def _schema(self, schema_id: str) -> Any:
        if schema_id not in self._schemas:
            info = self.stub.GetSchema(pb.SchemaRequest(schema_id=schema_id),
                                       metadata=self.metadata())  # fmt: skip
            self._schemas[schema_id] = fastavro.parse_schema(json.loads(info.schema_json))
        return self._schemas[schema_id]
