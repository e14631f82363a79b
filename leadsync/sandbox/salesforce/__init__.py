"""A fake Salesforce that the official simple-salesforce client talks to unchanged.

    state = SalesforceState(SalesforceSettings(daily_allowance=5000))
    state.load({"Lead": [{"Email": "ada@example.com", "LastName": "Lovelace", "Company": "AE"}]})
    tls = issue_certificates(Path("certs"))   # the client's session trusts tls.ca_bundle
    app = create_app(state, control)          # a Flask app; or `serve(state, tls)` on a thread

Connecting a client. simple-salesforce's own logins post to
`https://{domain}.salesforce.com/services/oauth2/token`, a host the emulator cannot be. A
connector that works the same against the sandbox and a real org:

1. POSTs the token endpoint itself, `{login_url}/services/oauth2/token`, with
   `grant_type=client_credentials` (HTTP Basic or form `client_id`/`client_secret`) or
   `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an RS256 `assertion`;
   `login_url` is the org's My Domain URL, or the emulator's URL;
2. builds `Salesforce(instance_url=body["instance_url"], session_id=body["access_token"],
   session=session)`;
3. on `SalesforceExpiredSession` (401 INVALID_SESSION_ID; simple-salesforce does not refresh
   a session it was given) repeats 1 and 2 once and retries the call.

The session trusts the emulator with `session.verify = ca_bundle`; requests lets the
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE variables override that, so also set
`session.trust_env = False` (or pass `verify=` per request).
"""

from leadsync.sandbox.salesforce.app import create_app
from leadsync.sandbox.salesforce.server import RunningEmulator, serve
from leadsync.sandbox.salesforce.settings import SalesforceSettings
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.tls import TlsFiles, issue_certificates

__all__ = [
    "RunningEmulator",
    "SalesforceSettings",
    "SalesforceState",
    "TlsFiles",
    "create_app",
    "issue_certificates",
    "serve",
]
