"""Request bodies and queries for ticket writes and searches. Pure functions; no I/O.

Everything a model or a requester typed ends up either in a JSON body (safe) or, for search text, inside a
ConnectWise ``conditions`` string; the latter is cut at every character that could end the quoted value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from connectors.http import positive_int
from core.domain import PicklistOption, Ticket, TicketChanges, TicketSearch, TicketState, TimeEntryDraft
from core.errors import ValidationFailed

# Ticket JSON-Patch paths, in the order they are sent (board before the status that must fit it).
PATCH_PATHS: tuple[tuple[str, str], ...] = (
    ("board", "board"),
    ("status", "status"),
    ("type", "type"),
    ("subtype", "subType"),
    ("item", "item"),
    ("priority", "priority"),
    ("member", "owner"),
)
# Options whose ``parent_id`` is the board they belong to (see ``picklists.map_options``).
BOARD_SCOPED_FIELDS = ("status", "type", "item")

TIME_CHARGE_TYPE = "ServiceTicket"
BILLABLE, NOT_BILLABLE = "Billable", "DoNotBill"

SEARCH_MAX_PAGES = 5
SEARCH_ORDER = "id desc"
# Characters that could close or escape a quoted conditions value, or open a [date] literal.
_CONDITION_BREAKERS = re.compile(r"[\"'\\\[\]\x00-\x1f\x7f]+")
MAX_TEXT_FRAGMENTS = 4
MAX_FRAGMENT_CHARS = 100
# ConnectWise member identifiers are short login names; anything else is not a member reference.
_MEMBER_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@\-]{0,49}$")


def member_reference(option: PicklistOption) -> dict[str, str]:
    """A ``MemberReference`` by identifier (MEMBER options carry the identifier as ``external_id``)."""
    identifier = option.external_id.strip()
    if not _MEMBER_IDENTIFIER_RE.fullmatch(identifier):
        raise ValidationFailed(f"member must be a ConnectWise member identifier, got {identifier[:40]!r}")
    return {"identifier": identifier}


def ticket_patch(ticket: Ticket, changes: TicketChanges) -> list[dict[str, Any]]:
    """One JSON-Patch body with a ``replace`` per changed field (``PATCH /service/tickets/{id}``)."""
    board = changes.board
    if board is not None and board.external_id != ticket.board_id and changes.status is None:
        raise ValidationFailed(
            f"moving ticket {ticket.external_id} to board '{board.name}' needs a status of that "
            "board: ConnectWise refuses a status from another board. Choose one of the new board's "
            "statuses and send it together with the board."
        )
    target_board = board.external_id if board is not None else ticket.board_id
    for field in BOARD_SCOPED_FIELDS:
        option: PicklistOption | None = getattr(changes, field)
        if option is not None and option.parent_id is not None and option.parent_id != target_board:
            raise ValidationFailed(
                f"{field} '{option.name}' belongs to board {option.parent_id}, not to the ticket's "
                f"board {target_board}"
            )
    operations: list[dict[str, Any]] = []
    for field, path in PATCH_PATHS:
        option = getattr(changes, field)
        if option is None:
            continue
        value = (
            member_reference(option)
            if field == "member"
            else {"id": positive_int(option.external_id, f"{field} id")}
        )
        operations.append({"op": "replace", "path": path, "value": value})
    return operations


def utc_timestamp(value: datetime, what: str) -> str:
    """ConnectWise's ISO-8601 UTC form (``2026-03-02T09:00:00Z``); a naive time is ambiguous, so refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{what} must carry a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_entry_body(ticket_num: int, entry: TimeEntryDraft) -> dict[str, Any]:
    """``TimeEntry`` create body charged to a service ticket; no emails, nothing copied into ticket notes."""
    start = utc_timestamp(entry.started_at, "time entry start")
    end = utc_timestamp(entry.ended_at, "time entry end")
    if entry.ended_at <= entry.started_at:
        raise ValidationFailed("time entry must end after it starts")
    body: dict[str, Any] = {
        "chargeToId": ticket_num,
        "chargeToType": TIME_CHARGE_TYPE,
        "timeStart": start,
        "timeEnd": end,
        "billableOption": BILLABLE if entry.billable else NOT_BILLABLE,
        # The entry's text is internal: customer-facing ``notes`` stay empty.
        "notes": "",
        "internalNotes": entry.notes,
        "addToDetailDescriptionFlag": False,
        "addToInternalAnalysisFlag": False,
        "addToResolutionFlag": False,
        "emailResourceFlag": False,
        "emailContactFlag": False,
        "emailCcFlag": False,
    }
    if entry.member is not None:
        body["member"] = member_reference(entry.member)  # omitted: ConnectWise books it to the API member
    if entry.work_type is not None:
        body["workType"] = {"id": positive_int(entry.work_type.external_id, "work type id")}
    return body


def summary_conditions(text: str) -> list[str]:
    """``summary contains "..."`` clauses for free text: the text is cut at quote, backslash, bracket and
    control characters (none can reach the condition string), and each remaining fragment must match."""
    fragments = [" ".join(part.split()) for part in _CONDITION_BREAKERS.split(text)]
    fragments = [fragment[:MAX_FRAGMENT_CHARS] for fragment in fragments if fragment]
    if len(fragments) > 1:
        fragments = [fragment for fragment in fragments if len(fragment) > 1] or fragments[:1]
    if not fragments:
        raise ValidationFailed("search text has nothing searchable once quotes and brackets are removed")
    return [f'summary contains "{fragment}"' for fragment in fragments[:MAX_TEXT_FRAGMENTS]]


def search_conditions(query: TicketSearch) -> str:
    """The ``conditions`` of ``GET /service/tickets``; the company is always part of it."""
    clauses = [f"company/id={positive_int(query.company_id, 'company id')}"]
    if query.contact_id is not None:
        clauses.append(f"contact/id={positive_int(query.contact_id, 'contact id')}")
    if query.state is TicketState.OPEN:
        clauses.append("closedFlag=false")
    elif query.state is TicketState.CLOSED:
        clauses.append("closedFlag=true")
    if query.exclude_ticket_id is not None:
        clauses.append(f"id!={positive_int(query.exclude_ticket_id, 'ticket id')}")
    if query.text is not None and query.text.strip():
        clauses.extend(summary_conditions(query.text))
    return " and ".join(clauses)
