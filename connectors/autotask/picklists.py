"""Per-instance picklists, read from ``GET /V1.0/{Entity}/entityInformation/fields``. Pure functions.

Statuses, queues, priorities, issue types, note types and publish levels are configured per Autotask
instance, so nothing here hard-codes a value except documented stock fallbacks (status 5 "Complete",
publish 1 "All Autotask Users" / 2 "Internal Only").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.autotask.values import flag, fold, number, text
from core.domain import Picklist, PicklistOption
from core.errors import IntegrationError

STATUS_FIELD = "status"
QUEUE_FIELD = "queueID"
PRIORITY_FIELD = "priority"
ISSUE_TYPE_FIELD = "issueType"
SUB_ISSUE_TYPE_FIELD = "subIssueType"
NOTE_TYPE_FIELD = "noteType"
PUBLISH_FIELD = "publish"
WEBHOOK_FIELD_ID_FIELD = "fieldID"  # on TicketWebhookFields: a picklist of webhook-capable ticket fields

# Which ticket field each canonical picklist reads (members and work types are entities, not picklists).
TICKET_PICKLIST_FIELDS: Mapping[Picklist, str] = {
    Picklist.STATUS: STATUS_FIELD,
    Picklist.BOARD: QUEUE_FIELD,
    Picklist.PRIORITY: PRIORITY_FIELD,
    Picklist.TYPE: ISSUE_TYPE_FIELD,
    Picklist.SUBTYPE: SUB_ISSUE_TYPE_FIELD,
}

COMPLETE_STATUS_LABEL = "complete"
STOCK_COMPLETE_STATUS = "5"
STOCK_PUBLIC_PUBLISH = 1  # "All Autotask Users"
STOCK_INTERNAL_PUBLISH = 2  # "Internal Only"


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str
    active: bool
    default: bool
    parent: str | None
    sort_order: int


def _picklist_value(raw: Any) -> PicklistValue | None:
    item = fold(raw)
    value = text(item.get("value"))
    label = text(item.get("label"))
    if value is None or label is None:
        return None
    sort_order = number(item.get("sortorder"))
    return PicklistValue(
        value=value,
        label=label,
        active=flag(item.get("isactive")) is not False,
        default=flag(item.get("isdefaultvalue")) is True,
        parent=text(item.get("parentvalue")),
        sort_order=sort_order if sort_order is not None else 0,
    )


def picklist(fields_response: Any, field_name: str) -> tuple[PicklistValue, ...]:
    """The values of one picklist field (active and inactive), or ``()`` when the field is absent."""
    fields = fold(fields_response).get("fields")
    if not isinstance(fields, list):
        return ()
    for raw_field in fields:
        field = fold(raw_field)
        if str(field.get("name", "")).lower() != field_name.lower():
            continue
        values = field.get("picklistvalues")
        if not isinstance(values, list):
            return ()
        parsed = (_picklist_value(v) for v in values)
        return tuple(sorted((v for v in parsed if v is not None), key=lambda v: v.sort_order))
    return ()


def _active(values: tuple[PicklistValue, ...]) -> list[PicklistValue]:
    return [v for v in values if v.active]


@dataclass(frozen=True)
class TicketPicklists:
    """The Tickets picklists Deskhand reads and writes, plus which status closes a ticket."""

    values: Mapping[str, tuple[PicklistValue, ...]]
    complete_status: str

    def label(self, field_name: str, value: Any) -> str | None:
        """The label of a value a ticket holds, inactive ones included (a ticket may keep a retired value)."""
        wanted = text(value)
        if wanted is None:
            return None
        for item in self.values.get(field_name.lower(), ()):
            if item.value == wanted:
                return item.label
        return None

    def is_complete(self, status: Any) -> bool:
        return text(status) == self.complete_status

    def options(self, which: Picklist) -> list[PicklistOption]:
        """Active values only: Autotask refuses an inactive value on write."""
        field_name = TICKET_PICKLIST_FIELDS.get(which)
        if field_name is None:
            return []
        return [
            PicklistOption(
                external_id=item.value,
                name=item.label,
                closed=which is Picklist.STATUS and item.value == self.complete_status,
                parent_id=item.parent if which is Picklist.SUBTYPE else None,
            )
            for item in _active(self.values.get(field_name.lower(), ()))
        ]


def ticket_picklists(fields_response: Any) -> TicketPicklists:
    values = {name.lower(): picklist(fields_response, name) for name in TICKET_PICKLIST_FIELDS.values()}
    complete = next(
        (v.value for v in values[STATUS_FIELD.lower()] if v.label.casefold() == COMPLETE_STATUS_LABEL),
        STOCK_COMPLETE_STATUS,
    )
    return TicketPicklists(values=values, complete_status=complete)


@dataclass(frozen=True)
class NotePicklists:
    """What a new note is written with, and how a stored note's ``publish`` reads."""

    note_type: int
    internal_publish: int
    public_publish: int

    def is_internal(self, publish: Any) -> bool:
        # Anything but the one customer-visible level counts as internal, so an unknown level is never
        # presented as something the customer saw.
        return number(publish) != self.public_publish


def _pick_note_type(values: tuple[PicklistValue, ...]) -> int:
    active = _active(values)
    chosen = next((v for v in active if v.default), None) or (active[0] if active else None)
    value = number(chosen.value) if chosen is not None else None
    if value is None:
        raise IntegrationError("Autotask TicketNotes has no active noteType value to write notes with")
    return value


def _publish_value(values: tuple[PicklistValue, ...], *, internal: bool, stock: int) -> int:
    active = _active(values)
    if internal:
        found = next((v for v in active if v.label.casefold() == "internal only"), None) or next(
            (
                v
                for v in active
                if "internal" in v.label.casefold() and "co-managed" not in v.label.casefold()
            ),
            None,
        )
    else:
        found = next((v for v in active if v.label.casefold().startswith("all")), None)
    value = number(found.value) if found is not None else None
    if value is not None:
        return value
    if not values or any(number(v.value) == stock for v in active):
        return stock
    kind = "internal" if internal else "customer-visible"
    raise IntegrationError(f"Autotask TicketNotes publish picklist has no {kind} level")


def note_picklists(fields_response: Any) -> NotePicklists:
    publish = picklist(fields_response, PUBLISH_FIELD)
    return NotePicklists(
        note_type=_pick_note_type(picklist(fields_response, NOTE_TYPE_FIELD)),
        internal_publish=_publish_value(publish, internal=True, stock=STOCK_INTERNAL_PUBLISH),
        public_publish=_publish_value(publish, internal=False, stock=STOCK_PUBLIC_PUBLISH),
    )


def webhook_field_ids(fields_response: Any) -> dict[str, int]:
    """Ticket field name (lower-cased) -> the ``FieldID`` a TicketWebhookFields row needs.

    The ids are not on the Tickets field list; they are the values of the ``fieldID`` picklist of the
    ``TicketWebhookFields`` entity, labelled with the REST field names.
    """
    ids: dict[str, int] = {}
    for item in picklist(fields_response, WEBHOOK_FIELD_ID_FIELD):
        value = number(item.value)
        if value is not None and item.active:
            ids[item.label.lower()] = value
    return ids
