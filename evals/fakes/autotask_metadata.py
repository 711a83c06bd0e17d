"""Autotask metadata shapes: ``entityInformation`` (with its ``fields`` and picklist values) and
``ThresholdInformation``. They carry no instance data; ``autotask_payloads`` builds the fake's picklists."""

from __future__ import annotations

from typing import Any


def picklist_value(
    value: int,
    label: str,
    *,
    active: bool = True,
    default: bool = False,
    sort_order: int = 0,
    parent: int | None = None,
    system: bool = False,
) -> dict[str, Any]:
    return {
        "value": str(value),
        "label": label,
        "isDefaultValue": default,
        "sortOrder": sort_order,
        "parentValue": str(parent) if parent is not None else "",
        "isActive": active,
        "isSystem": system,
    }


def field_info(
    name: str,
    values: list[dict[str, Any]] | None = None,
    *,
    required: bool = False,
    data_type: str = "integer",
    parent_field: str = "",
    webhook: bool = True,
) -> dict[str, Any]:
    """One entry of ``entityInformation/fields``."""
    return {
        "name": name,
        "dataType": data_type,
        "length": 0,
        "isRequired": required,
        "isReadOnly": False,
        "isQueryable": True,
        "isReference": False,
        "referenceEntityType": "",
        "isPickList": values is not None,
        "picklistValues": values,
        "picklistParentValueField": parent_field,
        "isSupportedWebhookField": webhook,
    }


def entity_information(
    name: str, *, can_create: bool = True, can_update: bool = True, access: str = "All"
) -> dict[str, Any]:
    """``GET /V1.0/{Entity}/entityInformation``; ``access`` is the API user's level (All/Restricted/None)."""
    return {
        "info": {
            "name": name,
            "canCreate": can_create,
            "canDelete": False,
            "canQuery": True,
            "canUpdate": can_update,
            "userAccessForCreate": access,
            "userAccessForDelete": "None",
            "userAccessForQuery": "All",
            "userAccessForUpdate": access,
            "hasUserDefinedFields": True,
            "supportsWebhookCallouts": name in ("Tickets", "TicketNotes", "Companies", "Contacts"),
        }
    }


def threshold_information(used: int = 124) -> dict[str, Any]:
    """``GET /V1.0/ThresholdInformation``: the database's use of its hourly request budget."""
    return {
        "externalRequestThreshold": 10000,
        "requestThresholdTimeframe": 60,
        "currentTimeframeRequestCount": used,
    }
