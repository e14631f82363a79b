"""`check_fields` on HubSpot: properties read must exist, properties written must take a value."""

from __future__ import annotations

from leadsync.connectors.hubspot import HubSpotConnector

from .conftest import hubspot_settings


def test_missing_and_read_only_properties_are_named(sandbox, admin):
    settings = hubspot_settings(sandbox, extra_contact_properties=["favourite_colour"])
    hubspot = HubSpotConnector(settings)
    found = hubspot.check_fields(
        {"contact": ["leadsync_stage", "hs_analytics_num_visits"]},
        {"contact": ["lifecyclestage", "hs_lead_status"]},
    )
    (error,) = found.errors
    assert "'hs_analytics_num_visits'" in error and "read-only" in error
    warnings = "\n".join(found.warnings)
    assert "'favourite_colour'" in warnings  # read but absent: mapped to nothing
    assert "leadsync_stage" in warnings and "creates them before its first write" in warnings


def test_a_portal_with_leadsync_provisioned_has_nothing_to_say(sandbox, admin):
    hubspot = HubSpotConnector(hubspot_settings(sandbox))
    hubspot.provision()
    found = hubspot.check_fields({"contact": ["leadsync_stage"]}, {"contact": ["lifecyclestage"]})
    assert (found.errors, found.warnings) == ([], [])
