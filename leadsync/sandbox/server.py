"""Run the sandbox: HubSpot over HTTP, Salesforce over HTTPS and the admin API, in-process.

    with Sandbox(contacts=500, seed=7) as sandbox:
        HubSpot(access_token=sandbox.hubspot_token, host=sandbox.urls["hubspot_url"])

Each server is werkzeug's threaded server on 127.0.0.1 in a daemon thread; port 0 picks a
free port. The synthetic world comes from `leadsync.sandbox.world.generate` and is loaded
into both emulators; `POST /_sandbox/reset {"data": true}` returns to it.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from leadsync.sandbox.admin import create_admin_app
from leadsync.sandbox.control import Control
from leadsync.sandbox.hubspot import HubSpotSettings, HubSpotState, create_app

HOST = "127.0.0.1"
log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    # Keep-alive (HTTP/1.1) so the clients' connection pools are reused; no access log.
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Sandbox:
    """Both CRM emulators and the admin API: `start()` / `stop()` or a context manager."""

    def __init__(
        self,
        *,
        contacts: int = 200,
        seed: int = 7,
        tier: str = "professional",
        port: int = 0,
        hubspot_port: int = 0,
        salesforce_port: int = 0,
        hubspot_token: str | None = None,
        workdir: Path | None = None,
        world: Any = None,
    ) -> None:
        self.contacts, self.seed = contacts, seed
        self._ports = {"sandbox": port, "hubspot": hubspot_port, "salesforce": salesforce_port}
        self._workdir, self._own_workdir = workdir, workdir is None
        self.control = Control(seed)
        tokens = [hubspot_token] if hubspot_token else None
        self.hubspot = HubSpotState(HubSpotSettings.for_tier(tier), tokens=tokens)
        self.salesforce: Any = None
        self.world = world
        self.ca_bundle: Path | None = None
        self._servers: dict[str, BaseWSGIServer] = {}
        self._threads: list[threading.Thread] = []
        self._pubsub: Any = None
        self.pubsub_port: int | None = None

    def start(self) -> Sandbox:
        if self._servers:
            return self
        self.world = self.world if self.world is not None else _generate(self.contacts, self.seed)
        if self.world is not None:
            self.hubspot.load(self.world.hubspot)
        try:
            self._serve("hubspot", create_app(self.hubspot, self.control))
            self._start_salesforce()
            admin = create_admin_app(self.control, self.hubspot, self.salesforce, self.info)
            self._serve("sandbox", admin)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._pubsub is not None:
            self._pubsub.stop(grace=None)
            self._pubsub = None
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def urls(self) -> dict[str, str | None]:
        def url(name: str, scheme: str) -> str | None:
            server = self._servers.get(name)
            return None if server is None else f"{scheme}://{HOST}:{server.server_port}"

        return {
            "hubspot_url": url("hubspot", "http"),
            "salesforce_url": url("salesforce", "https"),
            "sandbox_url": url("sandbox", "http"),
        }

    @property
    def hubspot_token(self) -> str:
        return self.hubspot.token

    @property
    def salesforce_token(self) -> str | None:
        return None if self.salesforce is None else self.salesforce.session_id

    def info(self) -> dict[str, Any]:
        """What `leadsync sandbox serve` prints: urls, the CA to trust and the tokens."""
        pubsub = None if self.pubsub_port is None else f"localhost:{self.pubsub_port}"
        return {
            **self.urls,
            "pubsub_url": pubsub,
            "ca_bundle": None if self.ca_bundle is None else str(self.ca_bundle),
            "hubspot_token": self.hubspot_token,
            "salesforce_token": self.salesforce_token,
        }

    def _serve(self, name: str, app: Flask, ssl_context: Any = None) -> None:
        server = make_server(
            HOST,
            self._ports[name],
            app,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=ssl_context,
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{name}",
            daemon=True,
        )
        thread.start()
        self._servers[name] = server
        self._threads.append(thread)

    def _start_salesforce(self) -> None:
        parts = _salesforce_parts()
        if parts is None:
            # TODO(salesforce emulator): runs once leadsync.sandbox.salesforce exposes
            # create_app(state, control) and SalesforceState.
            log.warning("Salesforce emulator not available; serving HubSpot only")
            return
        create_salesforce_app, state_class, issue_certificates = parts
        self.salesforce = state_class()
        if self.world is not None:
            self.salesforce.load(self.world.salesforce)
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="leadsync-sandbox-"))
        tls = issue_certificates(self._workdir)
        self.ca_bundle = tls.ca_bundle
        app = create_salesforce_app(self.salesforce, self.control)
        self._serve("salesforce", app, ssl_context=tls.ssl_context)
        self._start_pubsub(tls)

    def _start_pubsub(self, tls: Any) -> None:
        """Change Data Capture over gRPC, on the Salesforce emulator's certificate."""
        from leadsync.sandbox.salesforce import pubsub

        self.salesforce.changes = pubsub.ChangeLog(seed=self.seed)
        self._pubsub, self.pubsub_port = pubsub.serve(
            self.salesforce.changes, self.salesforce.is_valid_token, tls.cert_file, tls.key_file
        )


def _generate(contacts: int, seed: int) -> Any:
    try:
        world = importlib.import_module("leadsync.sandbox.world")
    except ImportError:
        log.warning("leadsync.sandbox.world is not available; starting with empty CRMs")
        return None
    return world.generate(contacts, seed)


def _salesforce_parts() -> tuple[Any, Any, Any] | None:
    """(create_app, SalesforceState, issue_certificates) if the Salesforce emulator is present."""
    try:
        package = importlib.import_module("leadsync.sandbox.salesforce")
        tls = importlib.import_module("leadsync.sandbox.salesforce.tls")
        create = getattr(package, "create_app", None)
        state_class = getattr(package, "SalesforceState", None)
        if create is None:
            create = importlib.import_module("leadsync.sandbox.salesforce.app").create_app
        if state_class is None:
            state_class = importlib.import_module(
                "leadsync.sandbox.salesforce.state"
            ).SalesforceState
    except (ImportError, AttributeError):
        return None
    return create, state_class, tls.issue_certificates
