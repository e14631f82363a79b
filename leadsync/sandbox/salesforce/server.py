"""Run the emulator over HTTPS on a background thread (tests, `leadsync demo`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from leadsync.sandbox.control import Control
from leadsync.sandbox.salesforce.app import create_app
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.tls import TlsFiles


@dataclass
class RunningEmulator:
    """A serving emulator; `url` is its `instance_url` (`https://127.0.0.1:PORT`)."""

    url: str
    state: SalesforceState
    tls: TlsFiles
    server: BaseWSGIServer
    thread: threading.Thread

    def session(self) -> requests.Session:
        """A session that trusts the emulator's CA.

        `trust_env` is off because requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override
        `session.verify`; a connector pointed at the sandbox must guard against the same.
        """
        session = requests.Session()
        session.verify = str(self.tls.ca_bundle)
        session.trust_env = False
        return session

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (tests issue thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def serve(
    state: SalesforceState,
    tls: TlsFiles,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    control: Control | None = None,
) -> RunningEmulator:
    """Start a threaded HTTPS server for `state` (port 0 picks a free port)."""
    app = create_app(state, control)
    server = make_server(
        host,
        port,
        app,
        threaded=True,
        request_handler=_QuietHandler,
        ssl_context=tls.ssl_context,
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # quick shutdown() between tests
        name="salesforce-emulator",
        daemon=True,
    )
    thread.start()
    return RunningEmulator(f"https://{host}:{server.server_port}", state, tls, server, thread)
