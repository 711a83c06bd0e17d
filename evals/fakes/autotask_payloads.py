"""Autotask PSA payload builders in the vendor's real shapes (REST responses and webhook callouts).

REST JSON is camelCase: one entity comes as ``{"item": {...}}`` (``{"item": null}`` when missing), a query
as ``{"items": [...], "pageDetails": {...}}``, a write answers ``{"itemId": n}``, an error
``{"errors": ["..."]}``. Picklist values (strings, even when numeric) come from
``entityInformation/fields``. Webhook callouts are PascalCase at the top level, with REST field names
inside ``Fields``. Values mirror the django-autotask fixtures and Autotask's stock picklists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from connectors.autotask.config import AutotaskConfig
from evals.fakes.autotask_metadata import (
    entity_information,
    field_info,
    picklist_value,
    threshold_information,
)

# Re-exported for the fake's metadata endpoints (``at.entity_information``, ``at.threshold_information``).
__all__ = ["entity_information", "threshold_information"]

ZONE_HOST = "webservices15.autotask.net"
ZONE_ORIGIN = f"https://{ZONE_HOST}"
ZONE_URL = f"{ZONE_ORIGIN}/ATServicesRest/"
API = f"{ZONE_URL}V1.0"
DISCOVERY_URL = "https://webservices.autotask.net/ATServicesRest/V1.0/ZoneInformation"
USERNAME = "deskhand-api@acmemsp.example"
SECRET = "aT-s3cr3t-Yq8v2Lw"
INTEGRATION_CODE = "HUQ7DMV5GJMP3S2ZN4AT5RKXBYE"  # tracking identifiers are 27 characters
WEBHOOK_SECRET = "wHk-9f2Lq7Zt1Xc4Vb8N"
RESOURCE_ID = 29682900  # the API-only user Deskhand writes as
TECH_ID = 29682885  # a technician who can take tickets
TECH_ROLE_ID = 29683461
OTHER_TECH_ID = 29682886
OTHER_TECH_ROLE_ID = 29683462
COMPANY_ID = 174
COMPANY_NAME = "Contoso Ltd"
CONTACT_ID = 29683586
TICKET_ID = 7431
WEBHOOK_GUID = "a1da62a4-2c49-40a8-8183-69994ce5b3eb"

# Stock-like picklists of the fake instance (values are per instance in real Autotask).
STATUS_NEW, STATUS_COMPLETE, STATUS_WAITING_CUSTOMER, STATUS_IN_PROGRESS, STATUS_RETIRED = 1, 5, 7, 8, 12
QUEUE_SERVICE_DESK, QUEUE_LEVEL_TWO, QUEUE_RETIRED = 29682833, 29683354, 5
PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW, PRIORITY_CRITICAL = 1, 2, 3, 4
ISSUE_SOFTWARE, ISSUE_HARDWARE = 10, 11
SUB_ISSUE_OUTLOOK, SUB_ISSUE_PRINTER, SUB_ISSUE_RETIRED = 136, 137, 138
NOTE_TYPE_SUMMARY, NOTE_TYPE_DETAIL, NOTE_TYPE_NOTES = 1, 2, 3
PUBLISH_ALL, PUBLISH_INTERNAL, PUBLISH_CO_MANAGED = 1, 2, 4
WORK_TYPE_REMOTE, WORK_TYPE_ONSITE = 29683407, 29683408
# TicketWebhookFields.fieldID picklist: webhook-capable ticket fields and their internal field ids.
WEBHOOK_FIELD_IDS: dict[str, int] = {
    "TicketNumber": 3,
    "CompanyID": 4,
    "Title": 5,
    "Description": 6,
    "Status": 7,
    "QueueID": 8,
    "AssignedResourceID": 9,
    "Priority": 10,
    "IssueType": 11,
    "SubIssueType": 12,
    "ContactID": 13,
    "DueDateTime": 14,
}


def config(**overrides: Any) -> AutotaskConfig:
    return AutotaskConfig(**{**integration_config(ZONE_ORIGIN), **overrides})


def integration_config(origin: str) -> dict[str, Any]:
    """The Deskhand integration config that points at a fake Autotask zone at ``origin``."""
    return {
        "username": USERNAME,
        "secret": SECRET,
        "integration_code": INTEGRATION_CODE,
        "zone_url": f"{origin.rstrip('/')}/ATServicesRest/",
        "resource_id": RESOURCE_ID,
        "webhook_secret": WEBHOOK_SECRET,
    }


def auth_headers() -> dict[str, str]:
    return {"ApiIntegrationCode": INTEGRATION_CODE, "UserName": USERNAME, "Secret": SECRET}


# -- envelopes ------------------------------------------------------------------------------------------


def zone_information(url: str = ZONE_URL) -> dict[str, Any]:
    """``GET /V1.0/ZoneInformation?user=...``."""
    return {"zoneName": "America East 3", "url": url, "webUrl": "https://ww15.autotask.net/", "ci": 302154}


def item(entity: dict[str, Any] | None) -> dict[str, Any]:
    return {"item": entity}


def items(
    entities: list[dict[str, Any]], *, next_page_url: str | None = None, prev_page_url: str | None = None
) -> dict[str, Any]:
    return {
        "items": entities,
        "pageDetails": {
            "count": len(entities),
            "requestCount": 500,
            "prevPageUrl": prev_page_url,
            "nextPageUrl": next_page_url,
        },
    }


def created(item_id: int) -> dict[str, Any]:
    return {"itemId": item_id}


def error(*messages: str) -> dict[str, Any]:
    return {"errors": list(messages)}


# -- entities -------------------------------------------------------------------------------------------


def ticket(
    ticket_id: int = TICKET_ID,
    *,
    title: str = "Outlook keeps asking for password",
    description: str = "Since this morning Outlook prompts for my password every few minutes.",
    status: int = STATUS_NEW,
    queue_id: int | None = QUEUE_SERVICE_DESK,
    priority: int = PRIORITY_MEDIUM,
    issue_type: int | None = ISSUE_SOFTWARE,
    sub_issue_type: int | None = SUB_ISSUE_OUTLOOK,
    company_id: int = COMPANY_ID,
    contact_id: int | None = CONTACT_ID,
    assigned_resource_id: int | None = TECH_ID,
    assigned_role_id: int | None = TECH_ROLE_ID,
    last_activity_resource_id: int | None = TECH_ID,
    last_activity_person_type: int = 1,
    create_date: str = "2026-03-02T08:01:10.000Z",
    last_activity_date: str = "2026-03-02T09:15:42.000Z",
    ticket_number: str | None = None,
    completed_date: str | None = None,
) -> dict[str, Any]:
    """``GET /V1.0/Tickets/{id}`` item (the fields Deskhand reads plus their usual neighbours). A Complete
    ticket carries ``completedDate`` (default: its last activity), any other ``null``."""
    return {
        "id": ticket_id,
        "ticketNumber": ticket_number or f"T20260302.{ticket_id:04d}",
        "title": title,
        "description": description,
        "status": status,
        "queueID": queue_id,
        "priority": priority,
        "issueType": issue_type,
        "subIssueType": sub_issue_type,
        "ticketType": 1,
        "ticketCategory": 3,
        "source": 4,
        "companyID": company_id,
        "companyLocationID": 55,
        "contactID": contact_id,
        "assignedResourceID": assigned_resource_id,
        "assignedResourceRoleID": assigned_role_id,
        "billingCodeID": WORK_TYPE_REMOTE,
        "contractID": None,
        "createDate": create_date,
        "creatorResourceID": None,
        "creatorType": 2,
        "dueDateTime": "2026-03-03T08:01:10.000Z",
        "estimatedHours": 0.0,
        "lastActivityDate": last_activity_date,
        "lastActivityPersonType": last_activity_person_type,
        "lastActivityResourceID": last_activity_resource_id,
        "completedDate": (completed_date or last_activity_date) if status == STATUS_COMPLETE else None,
        "resolution": "",
        "userDefinedFields": [],
    }


def note(
    note_id: int,
    ticket_id: int = TICKET_ID,
    *,
    description: str,
    title: str | None = None,
    publish: int = PUBLISH_INTERNAL,
    note_type: int = NOTE_TYPE_DETAIL,
    creator_resource_id: int | None = TECH_ID,
    impersonator_resource_id: int | None = None,
    create_date_time: str = "2026-03-02T09:00:00.000Z",
) -> dict[str, Any]:
    """One ``TicketNotes`` item."""
    return {
        "id": note_id,
        "ticketID": ticket_id,
        "title": title if title is not None else description.splitlines()[0][:250],
        "description": description,
        "noteType": note_type,
        "publish": publish,
        "creatorResourceID": creator_resource_id,
        "createdByContactID": None,
        "impersonatorCreatorResourceID": impersonator_resource_id,
        "impersonatorUpdaterResourceID": None,
        "createDateTime": create_date_time,
        "lastActivityDate": create_date_time,
    }


def company(company_id: int = COMPANY_ID, name: str = COMPANY_NAME, *, active: bool = True) -> dict[str, Any]:
    return {
        "id": company_id,
        "companyName": name,
        "companyNumber": "CONTOSO",
        "companyType": 1,
        "phone": "555-555-5566",
        "webAddress": "www.contoso.example",
        "address1": "26 Tech Valley Drive",
        "address2": "Suite 2",
        "city": "East Greenbush",
        "state": "NY",
        "postalCode": "12061",
        "countryID": 237,
        "isActive": active,
        "ownerResourceID": TECH_ID,
        "userDefinedFields": [],
    }


def contact(
    contact_id: int = CONTACT_ID, *, company_id: int = COMPANY_ID, active: bool = True
) -> dict[str, Any]:
    return {
        "id": contact_id,
        "companyID": company_id,
        "firstName": "Dana",
        "lastName": "Scully",
        "emailAddress": "dana.scully@contoso.example",
        "phone": "551-555-5513",
        "mobilePhone": "551-555-3502",
        "title": "Office Manager",
        "isActive": 1 if active else 0,
        "lastActivityDate": "2026-02-25T15:14:29.033Z",
        "userDefinedFields": [],
    }


def resource(
    resource_id: int,
    first_name: str,
    last_name: str,
    *,
    role_id: int | None,
    active: bool = True,
    user_name: str | None = None,
    license_type: int = 1,
) -> dict[str, Any]:
    return {
        "id": resource_id,
        "firstName": first_name,
        "lastName": last_name,
        "userName": user_name or first_name.lower(),
        "email": f"{first_name.lower()}@acmemsp.example",
        "isActive": active,
        "defaultServiceDeskRoleID": role_id,
        "licenseType": license_type,
        "resourceType": "Employee",
        "userType": 10,
    }


def resources() -> list[dict[str, Any]]:
    return [
        resource(TECH_ID, "John", "Smith", role_id=TECH_ROLE_ID, user_name="jsmith"),
        resource(OTHER_TECH_ID, "Ana", "Lopez", role_id=OTHER_TECH_ROLE_ID, user_name="alopez"),
        resource(RESOURCE_ID, "Deskhand", "API", role_id=None, user_name=USERNAME, license_type=7),
        resource(29682887, "Old", "Timer", role_id=29683461, active=False),
    ]


def billing_code(code_id: int, name: str, *, use_type: int = 1, active: bool = True) -> dict[str, Any]:
    return {"id": code_id, "name": name, "useType": use_type, "billingCodeType": 0, "isActive": active}


def billing_codes() -> list[dict[str, Any]]:
    return [
        billing_code(WORK_TYPE_REMOTE, "Remote Support"),
        billing_code(WORK_TYPE_ONSITE, "Onsite Support"),
        billing_code(29683409, "Retired Work Type", active=False),
        billing_code(29683500, "Hardware (material)", use_type=2),
    ]


# -- picklist metadata ----------------------------------------------------------------------------------


def ticket_fields() -> dict[str, Any]:
    """``GET /V1.0/Tickets/entityInformation/fields`` (the picklists Deskhand uses, plus plain fields)."""
    return {
        "fields": [
            field_info("id", data_type="long", required=True),
            field_info("title", data_type="string", required=True),
            field_info(
                "status",
                [
                    picklist_value(STATUS_NEW, "New", default=True, sort_order=1, system=True),
                    picklist_value(STATUS_IN_PROGRESS, "In Progress", sort_order=2),
                    picklist_value(STATUS_WAITING_CUSTOMER, "Waiting Customer", sort_order=3, system=True),
                    picklist_value(STATUS_RETIRED, "Escalate (old)", active=False, sort_order=4),
                    picklist_value(STATUS_COMPLETE, "Complete", sort_order=5, system=True),
                ],
                required=True,
            ),
            field_info(
                "queueID",
                [
                    picklist_value(QUEUE_SERVICE_DESK, "Service Desk", sort_order=1),
                    picklist_value(QUEUE_LEVEL_TWO, "Level II Support", sort_order=2),
                    picklist_value(QUEUE_RETIRED, "Client Portal", active=False, system=True),
                ],
            ),
            field_info(
                "priority",
                [
                    picklist_value(PRIORITY_CRITICAL, "Critical", sort_order=1),
                    picklist_value(PRIORITY_HIGH, "High", sort_order=2),
                    picklist_value(PRIORITY_MEDIUM, "Medium", default=True, sort_order=3),
                    picklist_value(PRIORITY_LOW, "Low", sort_order=4),
                ],
                required=True,
            ),
            field_info(
                "issueType",
                [
                    picklist_value(ISSUE_SOFTWARE, "Software", sort_order=1),
                    picklist_value(ISSUE_HARDWARE, "Hardware", sort_order=2),
                ],
            ),
            field_info(
                "subIssueType",
                [
                    picklist_value(SUB_ISSUE_OUTLOOK, "Outlook", parent=ISSUE_SOFTWARE, sort_order=1),
                    picklist_value(SUB_ISSUE_PRINTER, "Printer", parent=ISSUE_HARDWARE, sort_order=2),
                    picklist_value(SUB_ISSUE_RETIRED, "Lotus Notes", parent=ISSUE_SOFTWARE, active=False),
                ],
                parent_field="issueType",
            ),
            field_info("companyID", required=True),
            field_info("description", data_type="string"),
        ]
    }


def note_fields() -> dict[str, Any]:
    """``GET /V1.0/TicketNotes/entityInformation/fields``."""
    return {
        "fields": [
            field_info(
                "noteType",
                [
                    picklist_value(NOTE_TYPE_SUMMARY, "Task Summary", sort_order=1, system=True),
                    picklist_value(NOTE_TYPE_DETAIL, "Task Detail", default=True, sort_order=2, system=True),
                    picklist_value(NOTE_TYPE_NOTES, "Task Notes", sort_order=3, system=True),
                ],
                required=True,
            ),
            field_info(
                "publish",
                [
                    picklist_value(PUBLISH_ALL, "All Autotask Users", sort_order=1, system=True),
                    picklist_value(PUBLISH_INTERNAL, "Internal Only", sort_order=2, system=True),
                    picklist_value(PUBLISH_CO_MANAGED, "Internal & Co-Managed", sort_order=3, system=True),
                ],
                required=True,
            ),
            field_info("title", data_type="string", required=True),
            field_info("description", data_type="string", required=True),
        ]
    }


def webhook_field_info() -> dict[str, Any]:
    """``GET /V1.0/TicketWebhookFields/entityInformation/fields``: ``fieldID`` lists the ticket fields."""
    return {
        "fields": [
            field_info("id", data_type="long"),
            field_info(
                "fieldID",
                [picklist_value(field_id, name) for name, field_id in WEBHOOK_FIELD_IDS.items()],
                required=True,
            ),
            field_info("isDisplayAlwaysField", data_type="boolean"),
            field_info("isSubscribedField", data_type="boolean"),
            field_info("webhookID", required=True),
        ]
    }


def ticket_webhook(
    webhook_id: int, url: str, *, guid: str = WEBHOOK_GUID, ready: bool = True
) -> dict[str, Any]:
    """One ``TicketWebhooks`` item (the secret key is never returned)."""
    return {
        "id": webhook_id,
        "name": "Deskhand ticket events",
        "webhookUrl": url,
        "deactivationUrl": url,
        "isActive": True,
        "isReady": ready,
        "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True,
        "isSubscribedToDeleteEvents": True,
        "notificationEmailAddress": None,
        "ownerResourceID": RESOURCE_ID,
        "sendThresholdExceededNotification": False,
        "webhookGUID": guid,
    }


# -- webhook callouts -----------------------------------------------------------------------------------


def ticket_event(
    *,
    action: str = "Update",
    ticket_id: int = TICKET_ID,
    fields: dict[str, Any] | None = None,
    person_id: int | None = TECH_ID,
    sequence: int = 2,
    guid: str = WEBHOOK_GUID,
    entity_type: str = "Ticket",
    event_time: str = "2026-03-02T09:15:43Z",
) -> dict[str, Any]:
    """A callout body as Autotask POSTs it. ``Fields`` holds the changed subscribed fields plus the
    display-always ones (TicketNumber, CompanyID, Title for Deskhand's webhook)."""
    if fields is None:
        fields = {
            "TicketNumber": f"T20260302.{ticket_id:04d}",
            "CompanyID": str(COMPANY_ID),
            "Title": "Outlook keeps asking for password",
            "Status": str(STATUS_IN_PROGRESS),
        }
    return {
        "Action": action,
        "Guid": guid,
        "EntityType": entity_type,
        "Id": ticket_id,
        "Fields": fields,
        "EventTime": event_time,
        "SequenceNumber": sequence,
        "PersonId": person_id,
    }


def encode(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """``X-Hook-Signature``: ``sha1=`` + base64(HMAC-SHA1(SecretKey, raw body))."""
    return "sha1=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def signed_headers(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """The headers of a genuine callout carrying ``body``."""
    return {"X-Hook-Signature": sign(body, secret), "Content-Type": "application/json"}
