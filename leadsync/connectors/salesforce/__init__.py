"""Salesforce: Leads, Contacts, opportunities and activities, on simple-salesforce.

settings    `SalesforceSettings` ([salesforce] in config.toml)
auth        client credentials, JWT bearer or a given token; the CA-trusting session
client      simple-salesforce behind budget, re-login and retries
records     Salesforce records as raw records
query       windowed SOQL on SystemModstamp, deletions through queryAll
bulk        Bulk API 2.0 for large windows
writes      sObject Collections, converted Leads redirected to their Contact
connector   `SalesforceConnector`, the `leadsync.connectors` entry point
"""

from leadsync.connectors.salesforce.connector import SalesforceConnector
from leadsync.connectors.salesforce.settings import SalesforceSettings

__all__ = ["SalesforceConnector", "SalesforceSettings"]
