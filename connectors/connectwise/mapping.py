"""ConnectWise JSON <-> ``core.domain`` types. Pure functions; no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from core.domain import CompanyRef, ContactRef, EventAction, Note, ParsedWebhook, StatusOption, Ticket
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


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        text = str(value).strip()
        return text or None
    return None


def _ref_id(ref: Any) -> str | None:
    return _str_or_none(_obj(ref).get("id"))


def _ref_name(ref: Any) -> str | None:
    return _str_or_none(_obj(ref).get("name"))


def parse_timestamp(value: Any) -> datetime | None:
    """ConnectWise writes ISO-8601 UTC (``2026-01-05T14:00:00Z``); anything unreadable is dropped."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def map_company(raw: Any) -> CompanyRef:
    ref = _obj(raw)
    external_id = _ref_id(ref)
    if external_id is None:
        raise ValidationFailed("ConnectWise ticket has no company id")
    identifier = _str_or_none(ref.get("identifier"))
    name = _str_or_none(ref.get("name")) or identifier or external_id
    return CompanyRef(external_id=external_id, name=name, identifier=identifier)


def map_contact(ticket: Mapping[str, Any]) -> ContactRef | None:
    ref = _obj(ticket.get("contact"))
    external_id = _ref_id(ref)
    # The ticket's contactName/contactEmailAddress are what the requester typed; prefer them for display.
    name = _str_or_none(ticket.get("contactName")) or _str_or_none(ref.get("name"))
    email = _str_or_none(ticket.get("contactEmailAddress"))
    if external_id is None and name is None and email is None:
        return None
    return ContactRef(external_id=external_id, name=name, email=email)


def is_closed(ticket: Mapping[str, Any]) -> bool:
    flag = ticket.get("closedFlag")
    if isinstance(flag, bool):
        return flag
    status_name = _ref_name(ticket.get("status"))
    return status_name is not None and status_name.strip().lower() in CLOSED_STATUS_NAMES


def map_note(raw: Any) -> Note:
    note = _obj(raw)
    internal_flag = note.get(NOTE_FLAG_INTERNAL)
    if isinstance(internal_flag, bool):
        internal = internal_flag
    elif isinstance(note.get("internalFlag"), bool):
        internal = bool(note["internalFlag"])
    else:
        # Unknown visibility is treated as internal so it is never presented as customer-facing.
        internal = note.get(NOTE_FLAG_DISCUSSION) is not True
    author = _str_or_none(_obj(note.get("member")).get("identifier")) or _str_or_none(note.get("createdBy"))
    text = note.get("text")
    return Note(
        external_id=_str_or_none(note.get("id")),
        text=text if isinstance(text, str) else "",
        internal=internal,
        author=author,
        created_at=parse_timestamp(note.get("dateCreated")),
    )


def _note_sort_key(note: Mapping[str, Any]) -> int:
    note_id = note.get("id")
    return note_id if isinstance(note_id, int) and not isinstance(note_id, bool) else 0


def map_ticket(raw: Any, notes: Iterable[Any] = ()) -> Ticket:
    """A ``/service/tickets/{id}`` response plus its ``/notes`` list -> ``Ticket``.

    ConnectWise never returns ``initialDescription`` on GET: the description is stored as the ticket's
    first Discussion note, so that note becomes ``description`` and is not repeated in ``notes``.
    """
    ticket = _obj(raw)
    external_id = _str_or_none(ticket.get("id"))
    if external_id is None:
        raise ValidationFailed("ConnectWise ticket has no id")
    summary = ticket.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ValidationFailed(f"ConnectWise ticket {external_id} has no summary")
    if not ticket.get("company"):
        raise ValidationFailed(f"ConnectWise ticket {external_id} has no company")
    company = map_company(ticket["company"])

    raw_notes = sorted((_obj(n) for n in notes if isinstance(n, Mapping)), key=_note_sort_key)
    description = ""
    first_discussion = next((n for n in raw_notes if n.get(NOTE_FLAG_DISCUSSION) is True), None)
    if first_discussion is not None:
        description = map_note(first_discussion).text
        raw_notes = [n for n in raw_notes if n is not first_discussion]

    info = _obj(ticket.get("_info"))
    return Ticket(
        external_id=external_id,
        number=external_id,  # ConnectWise shows the ticket id as the ticket number
        summary=summary.strip(),
        description=description,
        status=_ref_name(ticket.get("status")),
        status_id=_ref_id(ticket.get("status")),
        board=_ref_name(ticket.get("board")),
        board_id=_ref_id(ticket.get("board")),
        priority=_ref_name(ticket.get("priority")),
        type=_ref_name(ticket.get("type")),
        company=company,
        contact=map_contact(ticket),
        notes=tuple(map_note(n) for n in raw_notes),
        closed=is_closed(ticket),
        updated_at=parse_timestamp(info.get("lastUpdated")),
        updated_by=_str_or_none(info.get("updatedBy")),
    )


def map_status(raw: Any) -> StatusOption | None:
    """A ``BoardStatus`` -> ``StatusOption``; ``None`` for inactive statuses (they cannot be set)."""
    status = _obj(raw)
    external_id = _str_or_none(status.get("id"))
    name = _str_or_none(status.get("name"))
    if external_id is None or name is None or status.get("inactive") is True:
        return None
    return StatusOption(external_id=external_id, name=name, closed=status.get("closedStatus") is True)


def map_statuses(raw: Any) -> list[StatusOption]:
    if not isinstance(raw, list):
        return []
    return [option for option in (map_status(item) for item in raw) if option is not None]


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


def status_patch(status_id: int) -> list[dict[str, Any]]:
    """JSON-Patch body for ``PATCH /service/tickets/{id}`` that moves the ticket to ``status_id``."""
    return [{"op": "replace", "path": "status", "value": {"id": status_id}}]


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
    message_id = _str_or_none(envelope.get("MessageId"))
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
    actor = _str_or_none(_obj(body.get("_info")).get("updatedBy")) or _str_or_none(envelope.get("MemberId"))
    return ParsedWebhook(
        idempotency_key=message_id,
        entity_type=entity_type.strip().lower(),
        action=action,
        external_id=_str_or_none(envelope.get("ID")) or _str_or_none(body.get("id")),
        actor=actor,
        company_external_id=_ref_id(body.get("company")),
        summary=_str_or_none(body.get("summary")),
    )
