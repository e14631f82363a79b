"""A throw-away certificate authority for the emulator's HTTPS.

simple-salesforce builds every URL with `https://`, so the emulator serves TLS; clients trust
it by pointing their `requests.Session.verify` at `ca_bundle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import trustme

DEFAULT_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_bundle: Path  # PEM of the CA to trust (session.verify)
    cert_file: Path  # server certificate chain (PEM)
    key_file: Path  # server private key (PEM)

    @property
    def ssl_context(self) -> tuple[str, str]:
        """The `(cert, key)` pair werkzeug's `ssl_context=` accepts."""
        return str(self.cert_file), str(self.key_file)


def issue_certificates(directory: Path, hosts: Sequence[str] = DEFAULT_HOSTS) -> TlsFiles:
    """Create a CA and a server certificate valid for `hosts` under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name="leadsync sandbox")
    server = authority.issue_cert(*hosts)
    files = TlsFiles(
        ca_bundle=directory / "salesforce-ca.pem",
        cert_file=directory / "salesforce-server.pem",
        key_file=directory / "salesforce-server.key",
    )
    authority.cert_pem.write_to_path(str(files.ca_bundle))
    server.private_key_pem.write_to_path(str(files.key_file))
    files.cert_file.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    files.key_file.chmod(0o600)
    return files
