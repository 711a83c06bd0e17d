"""Autotask JSON <-> ``core.domain`` types. Pure functions; no I/O.

Reads fold keys case-insensitively (live JSON is camelCase, the swagger and webhooks PascalCase); write
bodies use the camelCase of the live API. Picklist ids become labels through ``TicketPicklists``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.autotask.picklists import (
    ISSUE_TYPE_FIELD,
    PRIORITY_FIELD,
    QUEUE_FIELD,
    STATUS_FIELD,
    SUB_ISSUE_TYPE_FIELD,
    NotePicklists,
    TicketPicklists,
)
from connectors.autotask.values import flag, fold, number, text
from connectors.http import positive_int
from connectors.json_values import utc_text, utc_timestamp
from core.domain import (
    Company,
    CompanyRef,
    Contact,
    ContactRef,
    EventAction,
    Note,
    ParsedWebhook,
    Ticket,
    TicketChanges,
    TicketSearch,
    TicketState,
    TicketSummary,
    TimeEntryDraft,
)
from core.errors import ValidationFailed

KIND = "autotask"

# Webhook ``Action`` values (Autotask sends exactly these three).
ACTION_MAP: Mapping[str, EventAction] = {
    "create": EventAction.CREATED,
    "update": EventAction.UPDATED,
    "delete": EventAction.DELETED,
}
TICKET_ENTITY_TYPES = frozenset({"ticket", "tickets"})

LAST_ACTIVITY_BY_CONTACT = 2  # Tickets.lastActivityPersonType: 1 resource, 2 contact
NOTE_TITLE_MAX = 250  # TicketNotes.title string(250)
NOTE_DESCRIPTION_MAX = 32000  # TicketNotes.description string(32000)
MAX_HOURS_PER_ENTRY = 24.0  # TimeEntries.hoursWorked must be > 0 and <= 24


@dataclass(frozen=True)
class WebhookField:
    """A ticket field on Deskhand's webhook: does a change fire the callout, is it always in the payload."""

    name: str
    subscribed: bool
    display_always: bool


# What the pipeline reacts to, plus ids that route the event without a read (company) or name it.
WEBHOOK_FIELDS: tuple[WebhookField, ...] = (
    WebhookField("TicketNumber", subscribed=False, display_always=True),
    WebhookField("CompanyID", subscribed=True, display_always=True),
    WebhookField("Title", subscribed=True, display_always=True),
    WebhookField("Description", subscribed=True, display_always=False),
    WebhookField("Status", subscribed=True, display_always=False),
    WebhookField("QueueID", subscribed=True, display_always=False),
    WebhookField("AssignedResourceID", subscribed=True, display_always=False),
    WebhookField("Priority", subscribed=True, display_always=False),
    WebhookField("IssueType", subscribed=True, display_always=False),
    WebhookField("SubIssueType", subscribed=True, display_always=False),
    WebhookField("ContactID", subscribed=True, display_always=False),
)


def company_number(value: str) -> int:
    """Like ``positive_int`` but 0 is allowed: Autotask's own (the MSP's) company has id 0."""
    stripped = value.strip()
    if stripped == "0":
        return 0
    return positive_int(value, "company id")


# -- reads ----------------------------------------------------------------------------------------------


def note_text(title: str | None, description: str | None) -> str:
    """One text from a note's title and body; a title that only repeats the body's start is dropped."""
    if title and description:
        return description if description.startswith(title) else f"{title}\n\n{description}"
    return description or title or ""


def map_note(raw: Any, picklists: NotePicklists) -> Note:
    note = fold(raw)
    raw_title, raw_description = note.get("title"), note.get("description")
    title = raw_title.strip() if isinstance(raw_title, str) else None
    description = raw_description.strip() if isinstance(raw_description, str) else None
    # With impersonation the note is created *as* another resource; the API user is the impersonator.
    author = text(note.get("impersonatorcreatorresourceid")) or text(note.get("creatorresourceid"))
    return Note(
        external_id=text(note.get("id")),
        text=note_text(title, description),
        internal=picklists.is_internal(note.get("publish")),
        author=author,
        created_at=utc_timestamp(note.get("createdatetime")),
    )


def _note_order(note: Mapping[str, Any]) -> tuple[float, int]:
    created = utc_timestamp(note.get("createdatetime"))
    note_id = number(note.get("id"))
    return (created.timestamp() if created else 0.0, note_id if note_id is not None else 0)


def map_ticket(
    raw: Any,
    notes: Iterable[Any],
    *,
    tickets: TicketPicklists,
    note_picklists: NotePicklists,
    company_name: str | None,
) -> Ticket:
    """A ``Tickets/{id}`` item plus its TicketNotes. The description is the ticket's own field, so no note
    is taken out of the list (unlike ConnectWise)."""
    ticket = fold(raw)
    external_id = text(ticket.get("id"))
    if external_id is None:
        raise ValidationFailed("Autotask ticket has no id")
    title = text(ticket.get("title"))
    if title is None:
        raise ValidationFailed(f"Autotask ticket {external_id} has no title")
    company_id = text(ticket.get("companyid"))
    if company_id is None:
        raise ValidationFailed(f"Autotask ticket {external_id} has no companyID")
    contact_id = text(ticket.get("contactid"))
    description = ticket.get("description")
    status_id = text(ticket.get("status"))
    updated_by = None
    if number(ticket.get("lastactivitypersontype")) != LAST_ACTIVITY_BY_CONTACT:
        updated_by = text(ticket.get("lastactivityresourceid"))
    folded_notes = sorted((fold(n) for n in notes if isinstance(n, Mapping)), key=_note_order)
    return Ticket(
        external_id=external_id,
        number=text(ticket.get("ticketnumber")) or external_id,
        summary=title,
        description=description.strip() if isinstance(description, str) else "",
        status=tickets.label(STATUS_FIELD, status_id),
        status_id=status_id,
        board=tickets.label(QUEUE_FIELD, ticket.get("queueid")),
        board_id=text(ticket.get("queueid")),
        priority=tickets.label(PRIORITY_FIELD, ticket.get("priority")),
        priority_id=text(ticket.get("priority")),
        type=tickets.label(ISSUE_TYPE_FIELD, ticket.get("issuetype")),
        type_id=text(ticket.get("issuetype")),
        subtype=tickets.label(SUB_ISSUE_TYPE_FIELD, ticket.get("subissuetype")),
        subtype_id=text(ticket.get("subissuetype")),
        assignee_id=text(ticket.get("assignedresourceid")),
        company=CompanyRef(external_id=company_id, name=company_name or company_id),
        contact=ContactRef(external_id=contact_id) if contact_id else None,
        notes=tuple(map_note(n, note_picklists) for n in folded_notes),
        closed=tickets.is_complete(status_id),
        updated_at=utc_timestamp(ticket.get("lastactivitydate")),
        updated_by=updated_by,
    )


def map_ticket_summary(raw: Any, tickets: TicketPicklists) -> TicketSummary | None:
    ticket = fold(raw)
    external_id, title = text(ticket.get("id")), text(ticket.get("title"))
    if external_id is None or title is None:
        return None
    return TicketSummary(
        external_id=external_id,
        number=text(ticket.get("ticketnumber")) or external_id,
        summary=title,
        status=tickets.label(STATUS_FIELD, ticket.get("status")),
        closed=tickets.is_complete(ticket.get("status")),
        company_id=text(ticket.get("companyid")),
        created_at=utc_timestamp(ticket.get("createdate")),
        updated_at=utc_timestamp(ticket.get("lastactivitydate")),
    )


def map_contact(raw: Any) -> Contact:
    contact = fold(raw)
    external_id = text(contact.get("id"))
    if external_id is None:
        raise ValidationFailed("Autotask contact has no id")
    name = " ".join(p for p in (text(contact.get("firstname")), text(contact.get("lastname"))) if p)
    return Contact(
        external_id=external_id,
        name=name or text(contact.get("emailaddress")) or external_id,
        email=text(contact.get("emailaddress")),
        phone=text(contact.get("phone")) or text(contact.get("mobilephone")),
        title=text(contact.get("title")),
        company_id=text(contact.get("companyid")),
        inactive=flag(contact.get("isactive")) is False,
    )


def map_company(raw: Any) -> Company:
    company = fold(raw)
    external_id = text(company.get("id"))
    if external_id is None:
        raise ValidationFailed("Autotask company has no id")
    address_parts = [
        text(company.get(key)) for key in ("address1", "address2", "city", "state", "postalcode")
    ]
    return Company(
        external_id=external_id,
        name=text(company.get("companyname")) or external_id,
        identifier=text(company.get("companynumber")),
        phone=text(company.get("phone")),
        website=text(company.get("webaddress")),
        address=", ".join(p for p in address_parts if p) or None,
        inactive=flag(company.get("isactive")) is False,
    )


# -- writes ---------------------------------------------------------------------------------------------


def note_body(ticket_id: int, body_text: str, *, note_type: int, publish: int) -> dict[str, Any]:
    """``TicketNotes`` create body. ``title`` is required: the first line of the text, cut to 250."""
    description = body_text.strip()
    if not description:
        raise ValidationFailed("note text must not be empty")
    if len(description) > NOTE_DESCRIPTION_MAX:
        raise ValidationFailed(f"note text is longer than Autotask's {NOTE_DESCRIPTION_MAX} characters")
    title = description.splitlines()[0].strip()[:NOTE_TITLE_MAX]
    return {
        "ticketID": ticket_id,
        "title": title,
        "description": description,
        "noteType": note_type,
        "publish": publish,
    }


def ticket_update_body(ticket: Ticket, changes: TicketChanges, *, role_id: int | None) -> dict[str, Any]:
    """``PATCH /V1.0/Tickets`` body: the id plus only the changed fields, so one request covers any mix.

    Autotask requires ``assignedResourceRoleID`` with ``assignedResourceID`` (the caller passes the
    resource's role), and a sub-issue type must belong to the issue type.
    """
    if changes.item is not None:
        raise ValidationFailed("Autotask tickets have no item field")
    body: dict[str, Any] = {"id": positive_int(ticket.external_id, "ticket id")}
    if changes.status is not None:
        body["status"] = positive_int(changes.status.external_id, "status id")
    if changes.board is not None:
        body["queueID"] = positive_int(changes.board.external_id, "queue id")
    if changes.priority is not None:
        body["priority"] = positive_int(changes.priority.external_id, "priority id")
    if changes.member is not None:
        if role_id is None:
            raise ValidationFailed(f"resource {changes.member.name} has no role to assign tickets with")
        body["assignedResourceID"] = positive_int(changes.member.external_id, "resource id")
        body["assignedResourceRoleID"] = role_id
    issue_type = ticket.type_id
    if changes.type is not None:
        body["issueType"] = positive_int(changes.type.external_id, "issue type id")
        if changes.type.external_id != ticket.type_id and changes.subtype is None and ticket.subtype_id:
            body["subIssueType"] = None  # the old sub-issue type belongs to the old issue type
        issue_type = changes.type.external_id
    if changes.subtype is not None:
        parent = changes.subtype.parent_id
        if parent is not None and issue_type is not None and parent != issue_type:
            raise ValidationFailed(
                f"sub-issue type {changes.subtype.name} belongs to another issue type than the ticket's"
            )
        body["subIssueType"] = positive_int(changes.subtype.external_id, "sub-issue type id")
    return body


def check_hours(entry: TimeEntryDraft) -> float:
    hours = entry.hours
    if not 0 < hours <= MAX_HOURS_PER_ENTRY:
        raise ValidationFailed(f"a time entry must be more than 0 and at most 24 hours, got {hours}")
    return hours


def time_entry_body(
    ticket: Ticket,
    entry: TimeEntryDraft,
    *,
    resource_id: int,
    role_id: int | None,
) -> dict[str, Any]:
    """``TimeEntries`` create body. Internal notes stay internal; the summary (which customers can see on
    invoices) says only which ticket the time was for."""
    hours = check_hours(entry)
    body: dict[str, Any] = {
        "ticketID": positive_int(ticket.external_id, "ticket id"),
        "resourceID": resource_id,
        "dateWorked": utc_text(entry.started_at)[:10] + "T00:00:00Z",
        "startDateTime": utc_text(entry.started_at),
        "endDateTime": utc_text(entry.ended_at),
        "hoursWorked": hours,
        "summaryNotes": f"Work on ticket {ticket.number}",
        "isNonBillable": not entry.billable,
    }
    if role_id is not None:
        body["roleID"] = role_id
    if entry.work_type is not None:
        body["billingCodeID"] = positive_int(entry.work_type.external_id, "work type id")
    if entry.notes.strip():
        body["internalNotes"] = entry.notes.strip()
    return body


def search_filters(query: TicketSearch, *, complete_status: str) -> list[dict[str, Any]]:
    """Filter items of a ``Tickets/query`` (top-level items are ANDed); ``companyID`` is always one."""
    filters: list[dict[str, Any]] = [
        {"op": "eq", "field": "companyID", "value": company_number(query.company_id)}
    ]
    if query.contact_id is not None:
        filters.append(
            {"op": "eq", "field": "contactID", "value": positive_int(query.contact_id, "contact id")}
        )
    complete = number(complete_status)
    if query.state is TicketState.OPEN:
        filters.append({"op": "noteq", "field": "status", "value": complete})
    elif query.state is TicketState.CLOSED:
        filters.append({"op": "eq", "field": "status", "value": complete})
    if query.text and query.text.strip():
        filters.append({"op": "contains", "field": "title", "value": query.text.strip()[:200]})
    if query.exclude_ticket_id is not None:
        filters.append(
            {"op": "noteq", "field": "id", "value": positive_int(query.exclude_ticket_id, "ticket id")}
        )
    return filters


def webhook_body(url: str, *, secret_key: str, name: str) -> dict[str, Any]:
    """``TicketWebhooks`` create body. The deactivation notice goes to the same URL (it is required)."""
    return {
        "name": name,
        "webhookUrl": url,
        "deactivationUrl": url,
        "secretKey": secret_key,
        "isActive": True,
        "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True,
        "isSubscribedToDeleteEvents": True,
        "sendThresholdExceededNotification": False,
    }


def webhook_field_body(webhook_id: int, field_id: int, field: WebhookField) -> dict[str, Any]:
    return {
        "webhookID": webhook_id,
        "fieldID": field_id,
        "isSubscribedField": field.subscribed,
        "isDisplayAlwaysField": field.display_always,
    }


def excluded_resource_body(webhook_id: int, resource_id: int) -> dict[str, Any]:
    return {"webhookID": webhook_id, "resourceID": resource_id}


# -- webhook envelopes ----------------------------------------------------------------------------------


def map_event(envelope: Mapping[str, Any]) -> ParsedWebhook:
    """``{Action, Guid, EntityType, Id, Fields{...}, EventTime, SequenceNumber, PersonId}``."""
    event = fold(envelope)
    guid = text(event.get("guid"))
    if guid is None:
        raise ValidationFailed("Autotask webhook has no Guid")
    sequence = number(event.get("sequencenumber"))
    if sequence is None:
        raise ValidationFailed("Autotask webhook has no SequenceNumber")
    entity_type = text(event.get("entitytype"))
    if entity_type is None:
        raise ValidationFailed("Autotask webhook has no EntityType")
    action_raw = event.get("action")
    action = ACTION_MAP.get(action_raw.strip().lower()) if isinstance(action_raw, str) else None
    if action is None:
        raise ValidationFailed(f"Autotask webhook has an unknown Action: {str(action_raw)[:40]!r}")
    raw_fields = event.get("fields")
    if raw_fields is not None and not isinstance(raw_fields, Mapping):
        raise ValidationFailed("Autotask webhook Fields is not an object")
    fields = fold(raw_fields)
    kind = entity_type.lower()
    return ParsedWebhook(
        # The Guid is the webhook's; SequenceNumber counts its callouts, so together they name one event.
        idempotency_key=f"{guid}:{sequence}",
        entity_type="ticket" if kind in TICKET_ENTITY_TYPES else kind,
        action=action,
        external_id=text(event.get("id")),
        actor=text(event.get("personid")),
        company_external_id=text(fields.get("companyid")),
        summary=text(fields.get("title")),
    )
