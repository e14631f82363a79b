"""Describe results built from the schema, with every key a real describe call carries.

Keys and value types follow the recorded Lead/Contact/Opportunity describes and the global
describe (CumulusCI cassettes); a conformance test compares them.
"""

from __future__ import annotations

import re
from typing import Any

from leadsync.sandbox.salesforce.schema import SCHEMA, Field, SObject

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
_NOT_GROUPABLE = {"double", "currency", "percent", "datetime"}
# (precision, scale) of number fields; digits of int fields.
_NUMBER_SHAPE = {"currency": (18, 0), "percent": (3, 0), "double": (18, 0)}
_INT_DIGITS = 8


def _label(f: Field, sobject: SObject) -> str:
    if f.label:
        return f.label
    if f.name == "Id":
        return f"{sobject.name} ID"
    name = f.name[2:] if f.type == "boolean" and f.name.startswith("Is") else f.name
    bare = name.removesuffix("__c").replace("Leadsync_", "Leadsync ").replace("_", " ")
    bare = bare[:-2] + " ID" if bare.endswith("Id") and len(bare) > 2 else bare
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", bare)


def _picklist_values(f: Field) -> list[dict[str, Any]]:
    return [
        {
            "active": True,
            "defaultValue": v.default,
            "label": v.value,
            "validFor": None,
            "value": v.value,
        }
        for v in f.picklist
    ]


def describe_field(sobject: SObject, f: Field) -> dict[str, Any]:
    text = f.type not in _SOAP_TYPES
    long_text = f.type == "textarea" and f.length > 255
    precision, scale = _NUMBER_SHAPE.get(f.type, (0, 0))
    return {
        "aggregatable": f.type != "boolean" and not long_text,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": f.length * 3 if text else (18 if f.type in ("id", "reference") else 0),
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": f.createable,
        "custom": f.custom,
        "defaultValue": False if f.type == "boolean" else f.default,
        "defaultValueFormula": None,
        "defaultedOnCreate": f.defaulted,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": _INT_DIGITS if f.type == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": f.external_id,
        "extraTypeInfo": None,
        "filterable": not long_text,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": f.type not in _NOT_GROUPABLE and not long_text,
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": f.id_lookup,
        "inlineHelpText": None,
        "label": _label(f, sobject),
        "length": f.length,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name == "Name",
        "namePointing": len(f.reference_to) > 1,
        "nillable": f.nillable,
        "permissionable": f.nillable and f.writable,
        "picklistValues": _picklist_values(f),
        "polymorphicForeignKey": len(f.reference_to) > 1,
        "precision": precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": bool(f.picklist) and f.restricted,
        "scale": scale,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPES.get(f.type, "xsd:string"),
        "sortable": not long_text,
        "type": f.type,
        "unique": f.unique,
        "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }


def _urls(name: str, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{name}"
    return {
        "compactLayouts": f"{base}/describe/compactLayouts",
        "rowTemplate": f"{base}/{{ID}}",
        "approvalLayouts": f"{base}/describe/approvalLayouts",
        "listviews": f"{base}/listviews",
        "describe": f"{base}/describe",
        "quickActions": f"{base}/quickActions",
        "layouts": f"{base}/describe/layouts",
        "sobject": base,
    }


def describe_summary(sobject: SObject, version: str) -> dict[str, Any]:
    """One entry of the global describe (also the `objectDescribe` of `GET sobjects/{name}`)."""
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": True,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": True,
        "deprecatedAndHidden": False,
        "feedEnabled": True,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": sobject.key_prefix,
        "label": sobject.name,
        "labelPlural": sobject.label_plural,
        "layoutable": True,
        "mergeable": sobject.name in ("Lead", "Contact", "Account"),
        "mruEnabled": True,
        "name": sobject.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": True,
        "updateable": True,
        "urls": _urls(sobject.name, version),
    }


def describe_sobject(sobject: SObject, version: str) -> dict[str, Any]:
    """`GET sobjects/{name}/describe`: the summary plus fields, layouts and record types."""
    summary = describe_summary(sobject, version)
    layout = f"/services/data/v{version}/sobjects/{sobject.name}/describe/layouts/"
    return {
        **summary,
        "actionOverrides": [],
        "childRelationships": _child_relationships(sobject.name),
        "compactLayoutable": True,
        "defaultImplementation": None,
        "extendedBy": None,
        "extendsInterfaces": None,
        "fields": [describe_field(sobject, f) for f in sobject.fields.values()],
        "implementedBy": None,
        "implementsInterfaces": None,
        "listviewable": None,
        "lookupLayoutable": None,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "recordTypeInfos": [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": "012000000000000AAA",
                "urls": {"layout": f"{layout}012000000000000AAA"},
            }
        ],
        "searchLayoutable": True,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [{"label": "All records", "name": "everything"}],
        "urls": _urls(sobject.name, version),
    }


def _child_relationships(parent: str) -> list[dict[str, Any]]:
    children = []
    for child in SCHEMA.values():
        for f in child.fields.values():
            if parent in f.reference_to and f.name not in ("CreatedById", "LastModifiedById"):
                children.append(
                    {
                        "cascadeDelete": child.name in ("OpportunityContactRole", "CampaignMember"),
                        "childSObject": child.name,
                        "deprecatedAndHidden": False,
                        "field": f.name,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": None,
                        "restrictedDelete": False,
                    }
                )
    return children


def describe_global(version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [describe_summary(s, version) for s in SCHEMA.values()],
    }
