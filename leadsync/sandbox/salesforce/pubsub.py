"""The emulator's Pub/Sub API: Change Data Capture for Lead, Contact and Opportunity over gRPC.

Every save of one of those records (`SalesforceState.put`) publishes a change event on its
channel (`/data/LeadChangeEvent`, ...): an Avro record whose `ChangeEventHeader` names the
entity, the change type (CREATE, UPDATE, DELETE, UNDELETE), the record ids, the changed fields,
the commit timestamp and user, followed by the record's fields. Replay ids count up per
channel (8 bytes, big-endian); a subscription can start at the newest (LATEST), the oldest
(EARLIEST) or right after a replay id (CUSTOM). Served over TLS with the emulator's CA.

Knobs (`POST /_sandbox/salesforce/cdc`): `drop` (rate of changes never published), `gap`
(rate published as GAP_* events without field data), `overflow` (rate published as one
GAP_OVERFLOW without record ids), `keepalive_seconds` (an empty answer when nothing happens).
"""

from __future__ import annotations

import io
import json
import random
import threading
from concurrent import futures
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import fastavro
import grpc
from flask import has_request_context, request

from leadsync.connectors.salesforce.pubsub import pubsub_api_pb2 as pb
from leadsync.connectors.salesforce.pubsub import pubsub_api_pb2_grpc as pb_grpc

# The fields each change event carries after its header (leadsync reads the record by id).
FIELDS = {
    "Lead": ["Email", "FirstName", "LastName", "Company", "Title", "Status", "Industry"],
    "Contact": ["Email", "FirstName", "LastName", "Title", "AccountId"],
    "Opportunity": ["Name", "StageName", "IsClosed", "IsWon", "Amount", "CloseDate"],
}
CHANNELS = {
    "/data/LeadChangeEvent": "Lead",
    "/data/ContactChangeEvent": "Contact",
    "/data/OpportunityChangeEvent": "Opportunity",
}
_QUIET = frozenset({"LastModifiedDate", "SystemModstamp", "LastModifiedById"})
MAX_BATCH = 100


def schema_of(entity: str, fields: list[str]) -> dict[str, Any]:
    """The Avro schema of `entity`'s change events: the header, then every field as text."""
    header = {"type": "record", "name": "ChangeEventHeader", "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
        {"name": "changeType", "type": "string"},
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": {"type": "array", "items": "string"}},
        {"name": "diffFields", "type": {"type": "array", "items": "string"}},
        {"name": "changedFields", "type": {"type": "array", "items": "string"}},
    ]}  # fmt: skip
    body = [{"name": name, "type": ["null", "string"], "default": None} for name in fields]
    return {"type": "record", "name": f"{entity}ChangeEvent", "namespace": "com.sforce.eventbus",
            "fields": [{"name": "ChangeEventHeader", "type": header}, *body]}  # fmt: skip


@dataclass
class _Channel:
    entity: str
    schema_id: str
    schema: Any
    schema_json: str
    names: list[str]
    events: list[pb.ConsumerEvent] = field(default_factory=list)


@dataclass
class Knobs:
    drop: float = 0.0
    gap: float = 0.0
    overflow: float = 0.0
    keepalive_seconds: float = 30.0


class ChangeLog:
    """Every change event published, per channel; what subscriptions read from."""

    def __init__(self, fields: dict[str, list[str]] = FIELDS, seed: int = 0) -> None:
        self.cond = threading.Condition()
        self.knobs = Knobs()
        self.counts: dict[str, int] = {"published": 0, "dropped": 0}
        self._rng = random.Random(seed)
        self.channels: dict[str, _Channel] = {}
        for topic, entity in CHANNELS.items():
            schema = schema_of(entity, fields.get(entity, []))
            text = json.dumps(schema)
            schema_id = f"{entity.lower()}-{abs(hash(text)) % 10**8:08d}"
            parsed = fastavro.parse_schema(schema)
            self.channels[topic] = _Channel(entity, schema_id, parsed, text, fields.get(entity, []))

    def record(self, name: str, before: dict | None, after: dict, now: datetime) -> None:
        """A save of `after` (over `before`) by the emulator: publish its change event."""
        topic = next((t for t, e in CHANNELS.items() if e == name), None)
        if topic is None:
            return
        kind, changed = _change(before, after)
        if not changed and kind == "UPDATE":
            return
        with self.cond:
            if self._rng.random() < self.knobs.drop:
                self.counts["dropped"] += 1
                return
            kind, ids, data = self._shaped(kind, after)
            self._publish(topic, kind, ids, changed, data, after, now)

    def _shaped(self, kind: str, after: dict) -> tuple[str, list[str], dict]:
        roll = self._rng.random()
        if roll < self.knobs.overflow:
            return "GAP_OVERFLOW", [], {}
        if roll < self.knobs.overflow + self.knobs.gap:
            return f"GAP_{kind}", [after["Id"]], {}
        return kind, [after["Id"]], after

    def _publish(self, topic: str, kind: str, ids: list[str], changed: list[str], data: dict,
                 after: dict, now: datetime) -> None:  # fmt: skip
        channel = self.channels[topic]
        replay = len(channel.events) + 1
        header = {
            "entityName": channel.entity, "recordIds": ids, "changeType": kind,
            "changeOrigin": _origin(), "transactionKey": f"tx-{replay}",
            "sequenceNumber": 1, "commitTimestamp": int(now.timestamp() * 1000),
            "commitNumber": replay, "commitUser": str(after.get("LastModifiedById") or ""),
            "nulledFields": [], "diffFields": [], "changedFields": [] if not data else changed,
        }  # fmt: skip
        values = {name: _text(data.get(name)) for name in channel.names}
        out = io.BytesIO()
        fastavro.schemaless_writer(out, channel.schema, {"ChangeEventHeader": header, **values})
        event = pb.ProducerEvent(id=f"{topic}-{replay}", schema_id=channel.schema_id,
                                 payload=out.getvalue())  # fmt: skip
        channel.events.append(pb.ConsumerEvent(event=event, replay_id=replay.to_bytes(8, "big")))
        self.counts["published"] += 1
        self.cond.notify_all()

    def status(self) -> dict[str, Any]:
        with self.cond:
            per = {t: len(c.events) for t, c in self.channels.items()}
            return {"knobs": vars(self.knobs), "events": per, **self.counts}

    def set_knobs(self, body: dict[str, Any]) -> None:
        unknown = set(body) - set(vars(self.knobs))
        if unknown:
            raise ValueError(
                f"unknown CDC knobs {sorted(unknown)}; known: {sorted(vars(self.knobs))}"
            )
        with self.cond:
            for name, value in body.items():
                setattr(self.knobs, name, float(value))


def _change(before: dict | None, after: dict) -> tuple[str, list[str]]:
    if before is None:
        return "CREATE", sorted(k for k, v in after.items() if v is not None and k not in _QUIET)
    if after.get("IsDeleted") and not before.get("IsDeleted"):
        return "DELETE", []
    if before.get("IsDeleted") and not after.get("IsDeleted"):
        return "UNDELETE", []
    changed = sorted(k for k in after if after.get(k) != before.get(k) and k not in _QUIET)
    return "UPDATE", changed


def _origin() -> str:
    """`changeOrigin` as Salesforce fills it: the API, and the client a caller named in
    `Sforce-Call-Options: client=...`."""
    origin = "com/salesforce/api/rest/59.0"
    if not has_request_context():
        return origin
    options = request.headers.get("Sforce-Call-Options", "")
    client = next(
        (o.split("=", 1)[1] for o in options.split(",") if o.strip().startswith("client=")), ""
    )
    return f"{origin};client={client.strip()}" if client else origin


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class PubSubService(pb_grpc.PubSubServicer):
    """GetTopic, GetSchema and Subscribe over the change log; a session token is required."""

    def __init__(self, log: ChangeLog, valid_token: Any) -> None:
        self.log = log
        self.valid_token = valid_token

    def _check(self, context: grpc.ServicerContext) -> None:
        token = dict(context.invocation_metadata()).get("accesstoken", "")
        if not self.valid_token(token):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "Invalid or expired session")

    def _channel(self, topic: str, context: grpc.ServicerContext) -> _Channel:
        channel = self.log.channels.get(topic)
        if channel is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Topic {topic} does not exist")
        return channel

    def GetTopic(self, request: pb.TopicRequest, context: grpc.ServicerContext) -> pb.TopicInfo:
        self._check(context)
        channel = self._channel(request.topic_name, context)
        return pb.TopicInfo(topic_name=request.topic_name, tenant_guid="sandbox", can_publish=False,
                            can_subscribe=True, schema_id=channel.schema_id)  # fmt: skip

    def GetSchema(self, request: pb.SchemaRequest, context: grpc.ServicerContext) -> pb.SchemaInfo:
        self._check(context)
        for channel in self.log.channels.values():
            if channel.schema_id == request.schema_id:
                return pb.SchemaInfo(schema_json=channel.schema_json, schema_id=channel.schema_id)
        context.abort(grpc.StatusCode.NOT_FOUND, f"Schema {request.schema_id} does not exist")

    def Subscribe(self, requests: Any, context: grpc.ServicerContext) -> Any:
        self._check(context)
        first = next(requests)
        channel = self._channel(first.topic_name, context)
        start = self._start(channel, first)
        if start is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          "The Replay ID validation failed: it is not retained on this channel")  # fmt: skip
        state = {"asked": first.num_requested, "at": start}
        threading.Thread(target=self._asks, args=(requests, state), daemon=True).start()
        while context.is_active():
            with self.log.cond:
                self.log.cond.wait_for(lambda: state["asked"] > 0 and len(channel.events)
                                       > state["at"], timeout=self.log.knobs.keepalive_seconds)  # fmt: skip
                taken = channel.events[state["at"] : state["at"] + min(state["asked"], MAX_BATCH)]
                state["at"] += len(taken)
                state["asked"] -= len(taken)
                latest = state["at"].to_bytes(8, "big")
            yield pb.FetchResponse(events=taken, latest_replay_id=latest, rpc_id="sandbox",
                                   pending_num_requested=state["asked"])  # fmt: skip

    def _start(self, channel: _Channel, first: pb.FetchRequest) -> int | None:
        """How many events of the channel the subscription skips (None: a replay id this
        channel never issued, as after a retention period has passed)."""
        with self.log.cond:
            if first.replay_preset == pb.ReplayPreset.EARLIEST:
                return 0
            if first.replay_preset == pb.ReplayPreset.CUSTOM:
                after = int.from_bytes(first.replay_id, "big")
                return after if 0 < after <= len(channel.events) else None
            return len(channel.events)

    def _asks(self, requests: Any, state: dict[str, int]) -> None:
        try:
            for ask in requests:
                with self.log.cond:
                    state["asked"] += ask.num_requested
                    self.log.cond.notify_all()
        except grpc.RpcError:
            return


def serve(log: ChangeLog, valid_token: Any, cert_file: Path, key_file: Path) -> tuple[Any, int]:
    """The gRPC server on a free port of 127.0.0.1, over TLS: (server, port)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    pb_grpc.add_PubSubServicer_to_server(PubSubService(log, valid_token), server)
    credentials = grpc.ssl_server_credentials([(key_file.read_bytes(), cert_file.read_bytes())])
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, port
