"""ConnectWise JSON <-> ``core.domain`` types. Pure functions; no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.json_values import as_mapping, text_or_none, utc_timestamp
from core.domain import (
    Company,
    CompanyRef,
    Contact,
    ContactRef,
    EventAction,
    Note,
    ParsedWebhook,
    Ticket,
    TicketSummary,
)
from core.errors import ValidationFailed

KIND = "connectwise"

# Callback ``Action`` values (ConnectWise sends exactly these three).
ACTION_MAP: Mapping[str, EventAction] = {
    "added": EventAction.CREATED,
    "updated": EventAction.UPDATED,
    "deleted": EventAction.DELETED,
}

# Used only when a ticket carries no ``closedFlag``; ">Closed" is ConnectWise's stock closed status name.
CLOSED_STATUS_NAMES = frozenset({"closed", ">closed"})

# Note kinds on ``ServiceNote``: Discussion is what the customer sees, Internal Analysis is staff-only.
NOTE_FLAG_DISCUSSION = "detailDescriptionFlag"
NOTE_FLAG_INTERNAL = "internalAnalysisFlag"
NOTE_FLAG_RESOLUTION = "resolutionFlag"


def ref_id(ref: Any) -> str | None:
    return text_or_none(as_mapping(ref).get("id"))


def ref_name(ref: Any) -> str | None:
    return text_or_none(as_mapping(ref).get("name"))


def map_company(raw: Any) -> CompanyRef:
    ref = as_mapping(raw)
    external_id = ref_id(ref)
    if external_id is None:
        raise ValidationFailed("ConnectWise ticket has no company id")
    identifier = text_or_none(ref.get("identifier"))
    name = text_or_none(ref.get("name")) or identifier or external_id
    return CompanyRef(external_id=external_id, name=name, identifier=identifier)


def map_contact(ticket: Mapping[str, Any]) -> ContactRef | None:
    ref = as_mapping(ticket.get("contact"))
    external_id = ref_id(ref)
    # The ticket's contactName/contactEmailAddress are what the requester typed; prefer them for display.
    name = text_or_none(ticket.get("contactName")) or text_or_none(ref.get("name"))
    email = text_or_none(ticket.get("contactEmailAddress"))
    if external_id is None and name is None and email is None:
        return None
    return ContactRef(external_id=external_id, name=name, email=email)


def is_closed(ticket: Mapping[str, Any]) -> bool:
    flag = ticket.get("closedFlag")
    if isinstance(flag, bool):
        return flag
    status_name = ref_name(ticket.get("status"))
    return status_name is not None and status_name.strip().lower() in CLOSED_STATUS_NAMES


def map_note(raw: Any) -> Note:
    note = as_mapping(raw)
    internal_flag = note.get(NOTE_FLAG_INTERNAL)
    if isinstance(internal_flag, bool):
        internal = internal_flag
    elif isinstance(note.get("internalFlag"), bool):
        internal = bool(note["internalFlag"])
    else:
        # Unknown visibility is treated as internal so it is never presented as customer-facing.
        internal = note.get(NOTE_FLAG_DISCUSSION) is not True
    author = text_or_none(as_mapping(note.get("member")).get("identifier")) or text_or_none(
        note.get("createdBy")
    )
    text = note.get("text")
    return Note(
        external_id=text_or_none(note.get("id")),
        text=text if isinstance(text, str) else "",
        internal=internal,
        author=author,
        created_at=utc_timestamp(note.get("dateCreated")),
    )


def _note_sort_key(note: Mapping[str, Any]) -> int:
    note_id = note.get("id")
    return note_id if isinstance(note_id, int) and not isinstance(note_id, bool) else 0


def map_ticket(raw: Any, notes: Iterable[Any] = ()) -> Ticket:
    """A ``/service/tickets/{id}`` response plus its ``/notes`` list -> ``Ticket``.

    ConnectWise never returns ``initialDescription`` on GET: the description is stored as the ticket's
    first Discussion note, so that note becomes ``description`` and is not repeated in ``notes``.
    """
    ticket = as_mapping(raw)
    external_id = text_or_none(ticket.get("id"))
    if external_id is None:
        raise ValidationFailed("ConnectWise ticket has no id")
    summary = ticket.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ValidationFailed(f"ConnectWise ticket {external_id} has no summary")
    if not ticket.get("company"):
        raise ValidationFailed(f"ConnectWise ticket {external_id} has no company")
    company = map_company(ticket["company"])

    raw_notes = sorted((as_mapping(n) for n in notes if isinstance(n, Mapping)), key=_note_sort_key)
    description = ""
    first_discussion = next((n for n in raw_notes if n.get(NOTE_FLAG_DISCUSSION) is True), None)
    if first_discussion is not None:
        description = map_note(first_discussion).text
        raw_notes = [n for n in raw_notes if n is not first_discussion]

    info = as_mapping(ticket.get("_info"))
    owner = as_mapping(ticket.get("owner"))
    return Ticket(
        external_id=external_id,
        number=external_id,  # ConnectWise shows the ticket id as the ticket number
        summary=summary.strip(),
        description=description,
        status=ref_name(ticket.get("status")),
        status_id=ref_id(ticket.get("status")),
        board=ref_name(ticket.get("board")),
        board_id=ref_id(ticket.get("board")),
        priority=ref_name(ticket.get("priority")),
        priority_id=ref_id(ticket.get("priority")),
        type=ref_name(ticket.get("type")),
        type_id=ref_id(ticket.get("type")),
        subtype=ref_name(ticket.get("subType")),
        subtype_id=ref_id(ticket.get("subType")),
        item=ref_name(ticket.get("item")),
        item_id=ref_id(ticket.get("item")),
        # Members are keyed by identifier (what technicians type), matching the MEMBER picklist.
        assignee=text_or_none(owner.get("name")) or text_or_none(owner.get("identifier")),
        assignee_id=text_or_none(owner.get("identifier")),
        company=company,
        contact=map_contact(ticket),
        notes=tuple(map_note(n) for n in raw_notes),
        closed=is_closed(ticket),
        updated_at=utc_timestamp(info.get("lastUpdated")),
        updated_by=text_or_none(info.get("updatedBy")),
    )


def map_ticket_summary(raw: Any) -> TicketSummary | None:
    """One item of ``GET /service/tickets`` (a search hit); ``None`` when it has no id or summary."""
    ticket = as_mapping(raw)
    external_id = text_or_none(ticket.get("id"))
    summary = text_or_none(ticket.get("summary"))
    if external_id is None or summary is None:
        return None
    info = as_mapping(ticket.get("_info"))
    return TicketSummary(
        external_id=external_id,
        number=external_id,
        summary=summary,
        status=ref_name(ticket.get("status")),
        closed=is_closed(ticket),
        company_id=ref_id(ticket.get("company")),
        contact_name=text_or_none(ticket.get("contactName")) or ref_name(ticket.get("contact")),
        created_at=utc_timestamp(info.get("dateEntered")),
        updated_at=utc_timestamp(info.get("lastUpdated")),
    )


def _communication(items: Any, kind: str) -> str | None:
    """The default ``communicationItems`` value of one kind (Email/Phone), else the first of that kind."""
    matching = [
        as_mapping(item)
        for item in (items if isinstance(items, list) else [])
        if as_mapping(item).get("communicationType") == kind or ref_name(as_mapping(item).get("type")) == kind
    ]
    matching.sort(key=lambda item: item.get("defaultFlag") is not True)
    return next((value for item in matching if (value := text_or_none(item.get("value")))), None)


def map_contact_record(raw: Any) -> Contact:
    """``GET /company/contacts/{id}`` -> ``Contact``; ``company_id`` lets callers refuse other clients."""
    contact = as_mapping(raw)
    external_id = text_or_none(contact.get("id"))
    if external_id is None:
        raise ValidationFailed("ConnectWise contact has no id")
    first, last = text_or_none(contact.get("firstName")), text_or_none(contact.get("lastName"))
    name = " ".join(part for part in (first, last) if part) or f"Contact {external_id}"
    return Contact(
        external_id=external_id,
        name=name,
        email=_communication(contact.get("communicationItems"), "Email"),
        phone=text_or_none(contact.get("defaultPhoneNbr"))
        or _communication(contact.get("communicationItems"), "Phone"),
        title=text_or_none(contact.get("title")),
        company_id=ref_id(contact.get("company")),
        company_name=ref_name(contact.get("company")),
        inactive=contact.get("inactiveFlag") is True,
    )


def map_company_record(raw: Any) -> Company:
    """``GET /company/companies/{id}`` -> ``Company``."""
    company = as_mapping(raw)
    external_id = text_or_none(company.get("id"))
    if external_id is None:
        raise ValidationFailed("ConnectWise company has no id")
    identifier = text_or_none(company.get("identifier"))
    address_parts = [
        text_or_none(company.get(key)) for key in ("addressLine1", "addressLine2", "city", "state", "zip")
    ]
    address_parts.append(ref_name(company.get("country")))
    status = as_mapping(company.get("status"))
    return Company(
        external_id=external_id,
        name=text_or_none(company.get("name")) or identifier or external_id,
        identifier=identifier,
        phone=text_or_none(company.get("phoneNumber")),
        website=text_or_none(company.get("website")),
        address=", ".join(part for part in address_parts if part) or None,
        status=text_or_none(status.get("name")),
        inactive=company.get("deletedFlag") is True or status.get("inactiveFlag") is True,
    )


def note_body(text: str, *, internal: bool, member_identifier: str) -> dict[str, Any]:
    """``ServiceNote`` create body. ``processNotifications`` off: Deskhand notes never trigger emails."""
    body: dict[str, Any] = {
        "text": text,
        NOTE_FLAG_INTERNAL: internal,
        NOTE_FLAG_DISCUSSION: not internal,
        NOTE_FLAG_RESOLUTION: False,
        "processNotifications": False,
    }
    if internal:
        # Attribute the note to our API member explicitly, so echo detection sees our own identifier.
        body["member"] = {"identifier": member_identifier}
    return body


def _decode_entity(value: Any) -> Mapping[str, Any] | None:
    """``Entity`` is the record as a JSON *string* (``null`` on delete)."""
    if value is None:
        return None
    if isinstance(value, Mapping):  # tolerate payload versions that send an object
        return value
    if not isinstance(value, str):
        raise ValidationFailed("ConnectWise callback Entity is neither a JSON string nor null")
    if not value.strip():
        return None
    try:
        decoded = json.loads(value)
    except ValueError as exc:
        raise ValidationFailed("ConnectWise callback Entity is not valid JSON") from exc
    if decoded is None:
        return None
    if not isinstance(decoded, Mapping):
        raise ValidationFailed("ConnectWise callback Entity is not a JSON object")
    return decoded


def map_callback(envelope: Mapping[str, Any]) -> ParsedWebhook:
    message_id = text_or_none(envelope.get("MessageId"))
    if message_id is None:
        raise ValidationFailed("ConnectWise callback has no MessageId")
    entity_type = envelope.get("Type")
    if not isinstance(entity_type, str) or not entity_type.strip():
        raise ValidationFailed("ConnectWise callback has no Type")
    action_raw = envelope.get("Action")
    action = ACTION_MAP.get(action_raw.strip().lower()) if isinstance(action_raw, str) else None
    if action is None:
        raise ValidationFailed(f"ConnectWise callback has an unknown Action: {str(action_raw)[:40]!r}")
    entity = _decode_entity(envelope.get("Entity"))
    body = entity or {}
    # The record's last editor is the best actor; MemberId covers deletes, which carry no Entity.
    actor = text_or_none(as_mapping(body.get("_info")).get("updatedBy")) or text_or_none(
        envelope.get("MemberId")
    )
    return ParsedWebhook(
        idempotency_key=message_id,
        entity_type=entity_type.strip().lower(),
        action=action,
        external_id=text_or_none(envelope.get("ID")) or text_or_none(body.get("id")),
        actor=actor,
        company_external_id=ref_id(body.get("company")),
        summary=text_or_none(body.get("summary")),
    )
