"""HaloPSA JSON <-> ``core.domain`` types. Pure functions; no I/O.

Halo's JSON is snake_case with flat ids (``client_id``, ``status_id``, ``agent_id``); the ticket's team is
a *name* (``team``), while webhooks also carry ``team_id``. Writes are JSON arrays.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from connectors.http import positive_int
from connectors.json_values import as_mapping, text_or_none, utc_text, utc_timestamp
from core.domain import (
    Company,
    CompanyRef,
    Contact,
    ContactRef,
    Note,
    Picklist,
    PicklistOption,
    Ticket,
    TicketChanges,
    TicketSummary,
    TimeEntryDraft,
)
from core.errors import ValidationFailed

KIND = "halopsa"

# Halo's built-in "Closed" status (Halo's own reporting SQL filters open tickets with ``status <> 9``; the
# live webhook capture shows status_id 9 with hasbeenclosed). Other statuses close only by that name.
CLOSED_STATUS_ID = 9
CLOSED_STATUS_NAMES = frozenset({"closed"})
# Agent 1 is Halo's "Unassigned" placeholder agent (django-psa-connector: UNASSIGNED_AGENT_ID = 1).
UNASSIGNED_AGENT_IDS = frozenset({"1"})
# Lookup table 17 holds the charge types that an action's ``chargerate`` refers to.
CHARGE_TYPE_LOOKUP_ID = 17
# The first of the ticket's four category fields is the one Deskhand reads and sets as the "subtype".
CATEGORY_FIELD = 1

# Ask Halo not to run its rules/automations for our own writes (loop prevention).
NO_RULES: Mapping[str, bool] = MappingProxyType({"dont_do_rules": True})
NO_AUTOMATIONS: Mapping[str, bool] = MappingProxyType({"dont_do_rules": True, "_dont_fire_automations": True})

_TAG_RE = re.compile(r"<[^>]+>")


def id_or_none(value: Any) -> str | None:
    """A Halo id as a string; ``0``/negative mean "none" in Halo."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return str(int(value))
    return None


def html_to_text(value: str) -> str:
    text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", value, flags=re.IGNORECASE)
    return html.unescape(_TAG_RE.sub("", text)).strip()


def _text(raw: Mapping[str, Any], plain: str, rich: str) -> str:
    value = raw.get(plain)
    if isinstance(value, str) and value.strip():
        return value.strip()
    value = raw.get(rich)
    return html_to_text(value) if isinstance(value, str) else ""


def items_of(raw: Any, key: str | None = None) -> list[Mapping[str, Any]]:
    """Records of a list response: paginated lists (tickets, actions, users, clients) are wrapped as
    ``{"record_count": n, "<key>": [...]}``; lookup lists (statuses, teams, agents...) are bare arrays."""
    values = raw.get(key) if isinstance(raw, Mapping) and key else raw
    if not isinstance(values, list):
        return []
    return [item for item in values if isinstance(item, Mapping)]


def is_closed(ticket: Mapping[str, Any]) -> bool:
    status_id = ticket.get("status_id")
    if isinstance(status_id, int) and not isinstance(status_id, bool):
        if status_id == CLOSED_STATUS_ID:
            return True
        name = text_or_none(ticket.get("status_name"))
        return name is not None and name.casefold() in CLOSED_STATUS_NAMES
    # No status on the payload (trimmed webhook objects): fall back to Halo's own flag.
    return ticket.get("hasbeenclosed") is True


# -- reads ------------------------------------------------------------------------------------------------


def map_note(raw: Any, *, default_author: str | None = None) -> Note:
    """An action -> ``Note``. ``hiddenfromuser`` is Halo's "internal"; unknown counts as internal."""
    action = as_mapping(raw)
    hidden = action.get("hiddenfromuser")
    author = id_or_none(action.get("who_agentid")) or id_or_none(action.get("actionby_agent_id"))
    return Note(
        external_id=id_or_none(action.get("id")),
        text=_text(action, "note", "note_html"),
        internal=hidden is not False,
        author=author or default_author,
        created_at=utc_timestamp(action.get("datetime")) or utc_timestamp(action.get("actiondatecreated")),
    )


def _action_order(action: Mapping[str, Any]) -> tuple[int, str]:
    action_id = action.get("id")
    number = action_id if isinstance(action_id, int) and not isinstance(action_id, bool) else 0
    return number, str(action.get("datetime") or "")


def map_ticket(raw: Any, actions: Iterable[Any] = ()) -> Ticket:
    """``GET /Tickets/{id}`` plus its ``GET /Actions`` -> ``Ticket``.

    The description is the ticket's ``details``; actions without text (status changes, system entries)
    are not notes."""
    ticket = as_mapping(raw)
    external_id = id_or_none(ticket.get("id"))
    if external_id is None:
        raise ValidationFailed("Halo ticket has no id")
    summary = text_or_none(ticket.get("summary"))
    if summary is None:
        raise ValidationFailed(f"Halo ticket {external_id} has no summary")
    company_id = id_or_none(ticket.get("client_id"))
    if company_id is None:
        raise ValidationFailed(f"Halo ticket {external_id} has no client")
    company = CompanyRef(external_id=company_id, name=text_or_none(ticket.get("client_name")) or company_id)

    ordered = sorted((as_mapping(a) for a in actions if isinstance(a, Mapping)), key=_action_order)
    notes = tuple(note for note in (map_note(a) for a in ordered) if note.text)
    priority = text_or_none(ticket.get("priority_name")) or text_or_none(
        as_mapping(ticket.get("priority")).get("name")
    )
    assigned = id_or_none(ticket.get("agent_id"))
    if assigned in UNASSIGNED_AGENT_IDS:
        assigned = None
    return Ticket(
        external_id=external_id,
        number=external_id,  # Halo shows the ticket id (zero-padded in its UI) as the ticket number
        summary=summary,
        description=_text(ticket, "details", "details_html"),
        status=text_or_none(ticket.get("status_name")),
        status_id=id_or_none(ticket.get("status_id")),
        board=text_or_none(ticket.get("team")),
        board_id=id_or_none(ticket.get("team_id")),
        priority=priority,
        priority_id=id_or_none(ticket.get("priority_id")),
        type=text_or_none(ticket.get("tickettype_name")),
        type_id=id_or_none(ticket.get("tickettype_id")),
        subtype=text_or_none(ticket.get("category_1")),
        subtype_id=id_or_none(ticket.get("categoryid_1")),
        assignee=text_or_none(ticket.get("agent_name")) if assigned else None,
        assignee_id=assigned,
        company=company,
        contact=map_contact_ref(ticket),
        notes=notes,
        closed=is_closed(ticket),
        updated_at=utc_timestamp(ticket.get("last_update")) or utc_timestamp(ticket.get("lastactiondate")),
        # Halo tickets carry no "last edited by"; guessing one could mistake a person's change for our echo.
        updated_by=None,
    )


def map_contact_ref(ticket: Mapping[str, Any]) -> ContactRef | None:
    external_id = id_or_none(ticket.get("user_id"))
    name = text_or_none(ticket.get("user_name"))
    email = text_or_none(ticket.get("user_email"))
    if external_id is None and name is None and email is None:
        return None
    return ContactRef(external_id=external_id, name=name, email=email)


def map_ticket_summary(raw: Any) -> TicketSummary | None:
    ticket = as_mapping(raw)
    external_id = id_or_none(ticket.get("id"))
    if external_id is None:
        return None
    return TicketSummary(
        external_id=external_id,
        number=external_id,
        summary=text_or_none(ticket.get("summary")) or "",
        status=text_or_none(ticket.get("status_name")),
        closed=is_closed(ticket),
        company_id=id_or_none(ticket.get("client_id")),
        contact_name=text_or_none(ticket.get("user_name")),
        created_at=utc_timestamp(ticket.get("dateoccurred")),
        updated_at=utc_timestamp(ticket.get("last_update")),
    )


def map_contact(raw: Any) -> Contact:
    """``GET /Users/{id}`` (an end user) -> ``Contact``."""
    user = as_mapping(raw)
    external_id = id_or_none(user.get("id"))
    if external_id is None:
        raise ValidationFailed("Halo user has no id")
    name = text_or_none(user.get("name")) or " ".join(
        part for part in (text_or_none(user.get("firstname")), text_or_none(user.get("surname"))) if part
    )
    phone = next(
        (
            value
            for key in ("phonenumber_preferred", "phonenumber", "mobilenumber", "sitephonenumber")
            if (value := text_or_none(user.get(key)))
        ),
        None,
    )
    return Contact(
        external_id=external_id,
        name=name or external_id,
        email=text_or_none(user.get("emailaddress")),
        phone=phone,
        title=text_or_none(user.get("title")),
        company_id=id_or_none(user.get("client_id")),
        company_name=text_or_none(user.get("client_name")),
        inactive=user.get("inactive") is True,
    )


def map_company(raw: Any) -> Company:
    """``GET /Client/{id}`` -> ``Company``."""
    client = as_mapping(raw)
    external_id = id_or_none(client.get("id"))
    if external_id is None:
        raise ValidationFailed("Halo client has no id")
    return Company(
        external_id=external_id,
        name=text_or_none(client.get("name")) or external_id,
        phone=text_or_none(client.get("phonenumber")),
        website=text_or_none(client.get("website")),
        inactive=client.get("inactive") is True,
    )


# -- picklists ----------------------------------------------------------------------------------------------


def _option(external_id: str | None, name: Any) -> PicklistOption | None:
    label = text_or_none(name)
    if external_id is None or label is None:
        return None
    return PicklistOption(external_id=external_id, name=label)


def _inactive(item: Mapping[str, Any]) -> bool:
    return any(item.get(flag) is True for flag in ("inactive", "isdisabled", "disabled", "ishidden")) or (
        item.get("active") is False
    )


def map_options(picklist: Picklist, raw: Any) -> list[PicklistOption]:
    """One lookup list -> the active options, in Halo's order, without duplicates."""
    options: list[PicklistOption] = []
    seen: set[str] = set()
    for item in items_of(raw):
        if _inactive(item):
            continue
        option = _map_option(picklist, item)
        if option is not None and option.external_id not in seen:
            seen.add(option.external_id)
            options.append(option)
    return options


def _map_option(picklist: Picklist, item: Mapping[str, Any]) -> PicklistOption | None:
    if picklist is Picklist.STATUS:
        option = _option(id_or_none(item.get("id")), item.get("name"))
        if option is None:
            return None
        closed = option.external_id == str(CLOSED_STATUS_ID) or option.name.casefold() in CLOSED_STATUS_NAMES
        return option.model_copy(update={"closed": closed})
    if picklist is Picklist.PRIORITY:
        # Priorities are rows per SLA: ``priorityid`` is what a ticket's priority_id holds, ``id`` a GUID.
        return _option(id_or_none(item.get("priorityid")), item.get("name"))
    if picklist is Picklist.SUBTYPE:
        type_id = item.get("type_id")
        if isinstance(type_id, int) and type_id != CATEGORY_FIELD:
            return None
        # ``value`` is the full path Halo stores on the ticket's category_1, e.g. "Email>Outlook".
        return _option(id_or_none(item.get("id")), item.get("value") or item.get("name"))
    return _option(id_or_none(item.get("id")), item.get("name"))


# -- writes ---------------------------------------------------------------------------------------------


def note_body(ticket_id: int, text: str, *, internal: bool, outcome: str) -> list[dict[str, Any]]:
    """``POST /Actions`` body: one action, no email to anyone, no rules fired."""
    return [
        {
            "ticket_id": ticket_id,
            "outcome": outcome,
            "note": text,
            "hiddenfromuser": internal,
            "sendemail": False,
            **NO_RULES,
        }
    ]


def ticket_update_body(ticket_id: int, changes: TicketChanges) -> list[dict[str, Any]]:
    """``POST /Tickets`` body: the ticket's id plus only the fields that change, in one request."""
    if changes.item is not None:
        raise ValidationFailed("HaloPSA tickets have no item")
    fields: dict[str, Any] = {"id": ticket_id}
    if changes.status is not None:
        fields["status_id"] = positive_int(changes.status.external_id, "status id")
    if changes.board is not None:
        fields["team"] = changes.board.name  # Halo sets a ticket's team by name
    if changes.member is not None:
        fields["agent_id"] = positive_int(changes.member.external_id, "agent id")
    if changes.priority is not None:
        fields["priority_id"] = positive_int(changes.priority.external_id, "priority id")
    if changes.type is not None:
        fields["tickettype_id"] = positive_int(changes.type.external_id, "ticket type id")
    if changes.subtype is not None:
        fields[f"category_{CATEGORY_FIELD}"] = changes.subtype.name
    return [{**fields, **NO_AUTOMATIONS}]


def time_entry_body(ticket_id: int, entry: TimeEntryDraft, *, outcome: str) -> list[dict[str, Any]]:
    """``POST /Actions`` body for time: an internal action carrying ``timetaken`` (hours)."""
    action: dict[str, Any] = {
        "ticket_id": ticket_id,
        "outcome": outcome,
        "note": entry.notes.strip() or "Time logged by Deskhand",
        "hiddenfromuser": True,
        "sendemail": False,
        "timetaken": entry.hours,
        "actionarrivaldate": utc_text(entry.started_at),
        "actioncompletiondate": utc_text(entry.ended_at),
        "actisbillable": entry.billable,
        **NO_RULES,
    }
    if entry.member is not None:
        action["who_agentid"] = positive_int(entry.member.external_id, "agent id")
    if entry.work_type is not None:
        action["chargerate"] = positive_int(entry.work_type.external_id, "charge type id")
    return [action]


def created_record(raw: Any) -> Mapping[str, Any]:
    """A write answers with the record, or a list of records for an array body."""
    if isinstance(raw, list) and raw and isinstance(raw[0], Mapping):
        return raw[0]
    if isinstance(raw, Mapping):
        return raw
    raise ValidationFailed("Halo answered a write without the record")
