"""Field maps: canonical <- system, many-to-one inbound."""

from __future__ import annotations

import pytest

from leadsync.errors import MappingError
from leadsync.mapping.fields import (
    CANONICAL_FIELDS,
    OUTPUTS,
    default_field_maps,
    default_outbound,
    map_fields,
)


def test_default_maps_only_name_canonical_fields():
    for maps in default_field_maps().values():
        assert {m.canonical for m in maps} <= set(CANONICAL_FIELDS)


def test_every_object_written_to_has_every_output():
    for names in default_outbound().values():
        assert set(names) == set(OUTPUTS)
        assert len(set(names.values())) == len(OUTPUTS), "outbound must be one-to-one"


def test_hubspot_contact_strings_become_typed_values():
    data = {
        "email": " Ana@Shop.Example ",
        "jobtitle": "VP of E-commerce",
        "numemployees": "100-500",
        "annualrevenue": "12500000",
        "industry": "RETAIL",
        "country": "USA",
    }
    fields = map_fields(
        default_field_maps()[("hubspot", "contact")], data, record="hubspot contact 101"
    )
    assert fields["email"] == "ana@shop.example"
    assert fields["email_domain"] == "shop.example"
    assert fields["employees"] == 100
    assert fields["annual_revenue"] == 12_500_000.0
    assert fields["industry"] == "retail"
    assert fields["seniority"] == "vp"
    assert fields["country"] == "United States"


def test_bad_value_names_record_and_field():
    with pytest.raises(MappingError) as err:
        map_fields(
            default_field_maps()[("salesforce", "Lead")],
            {"Email": "not-an-email"},
            record="salesforce Lead 00Q000000000001AAA",
        )
    assert err.value.field == "Email"
    assert "salesforce Lead 00Q000000000001AAA" in str(err.value)
    assert "'not-an-email' is not an email address" in str(err.value)
