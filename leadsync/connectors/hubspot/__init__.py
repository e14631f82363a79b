"""HubSpot: contacts, engagement and leadsync's own properties, on `hubspot-api-client`.

settings    `HubSpotSettings` ([hubspot] in config.toml)
client      the official client behind pacing, budget and retries
records     timestamps, numeric id order, stream order
search      windowed search and list reads of CRM objects
engagement  engagement objects, page views, form submissions, email events
writes      batch updates and creates, backward lifecycle moves
provision   leadsync's property group and properties
connector   `HubSpotConnector`, the `leadsync.connectors` entry point
"""

from leadsync.connectors.hubspot.connector import HubSpotConnector
from leadsync.connectors.hubspot.provision import (
    LEADSYNC_PROPERTY_SPECS,
    PropertySpec,
    ProvisionReport,
)
from leadsync.connectors.hubspot.settings import HubSpotSettings

__all__ = [
    "LEADSYNC_PROPERTY_SPECS",
    "HubSpotConnector",
    "HubSpotSettings",
    "PropertySpec",
    "ProvisionReport",
]
