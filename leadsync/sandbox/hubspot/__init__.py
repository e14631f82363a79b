"""A local HubSpot that the official `hubspot-api-client` talks to unchanged over HTTP.

state = HubSpotState(HubSpotSettings.for_tier("professional"))
state.load(world.hubspot)
app = create_app(state, control)
"""

from leadsync.sandbox.hubspot.app import create_app
from leadsync.sandbox.hubspot.settings import TIERS, HubSpotSettings
from leadsync.sandbox.hubspot.state import DEFAULT_TOKEN, HubSpotState

__all__ = ["DEFAULT_TOKEN", "TIERS", "HubSpotSettings", "HubSpotState", "create_app"]
