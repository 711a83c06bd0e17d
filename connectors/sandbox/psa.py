"""``connectors.base.PsaConnector`` over an in-process ``SandboxStore``.

It refuses what a real PSA refuses (unknown records 404, values outside a picklist 400, a board move
without a status of the new board), so the pipeline and the agent meet the same failures as in
production. Every request that reaches the "PSA" is appended to ``store.calls``; picklists are served
from a per-client cache like the real connectors, so a cache hit records nothing.
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never
from urllib.parse import urlsplit

from connectors.base import Capability
from connectors.http import TtlCache, positive_int
from connectors.sandbox.closed import closed_page, parse_cursor
from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.store import RegisteredWebhook, SandboxStore, TicketRecord, TimeEntry
from core.domain import (
    AccessCheck,
    Company,
    Contact,
    EventAction,
    Note,
    Picklist,
    PicklistOption,
    Ticket,
    TicketChanges,
    TicketPage,
    TicketSearch,
    TicketState,
    TicketSummary,
    TimeEntryDraft,
    WebhookRegistration,
)
from core.errors import IntegrationError, ValidationFailed

KIND = "sandbox"
VENDOR = "Sandbox PSA"
PICKLIST_CACHE_SECONDS = 600.0
# Lists whose values depend on the ticket's board (ConnectWise keeps these per board).
BOARD_SCOPED = frozenset({Picklist.STATUS, Picklist.TYPE, Picklist.SUBTYPE, Picklist.ITEM})


def _id(value: str, what: str) -> str:
    """Ids are strings of positive integers, as in the real PSAs; anything else is refused up front."""
    return str(positive_int(value, what))


def _not_found(what: str, ident: str) -> IntegrationError:
    return IntegrationError(f"{VENDOR}: {what} {ident} not found", status=404)


def _refused(message: str) -> IntegrationError:
    return IntegrationError(f"{VENDOR}: {message}", status=400)


@dataclass(frozen=True)
class _Fields:
    """A ticket's editable fields after an update has been checked as a whole."""

    board_id: str
    status_id: str
    priority_id: str | None
    owner_id: str | None
    type_id: str | None
    subtype_id: str | None
    item_id: str | None


class SandboxPsa:
    """The sandbox PSA client. Two clients with the same ``config.store`` share one store."""

    kind = KIND

    def __init__(self, config: SandboxConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._store = SandboxStore.named(config.store, dataset=config.dataset)
        self._cache = TtlCache(PICKLIST_CACHE_SECONDS, clock)

    def __repr__(self) -> str:
        return f"SandboxPsa(store={self._config.store!r}, identity={self.own_identity!r})"

    @property
    def own_identity(self) -> str:
        return self._config.own_identity

    @property
    def store(self) -> SandboxStore:
        return self._store

    # -- Tickets and notes ----------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: str) -> Ticket:
        key = _id(ticket_id, "ticket id")
        self._store.record_call("get_ticket")
        with self._store.lock:
            return self._store.as_ticket(self._ticket(key))

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note:
        key = _id(ticket_id, "ticket id")
        if not text.strip():
            raise ValidationFailed("note text must not be empty")
        self._store.record_call("add_note")
        with self._store.lock:
            record = self._ticket(key)
            now = self._store.clock()
            note = Note(
                external_id=self._store.new_note_id(),
                text=text,
                internal=internal,
                author=self.own_identity,
                created_at=now,
            )
            self._store.notes[key].append(note)
            self._touch(record)
            return note

    async def update_ticket(self, ticket: Ticket, changes: TicketChanges) -> None:
        key = _id(ticket.external_id, "ticket id")
        if changes.is_empty():
            raise ValidationFailed("no ticket fields to change")
        wanted = {
            field: _id(option.external_id, f"{field} id")
            for field, option in (
                ("board", changes.board),
                ("status", changes.status),
                ("priority", changes.priority),
                ("member", changes.member),
                ("type", changes.type),
                ("subtype", changes.subtype),
                ("item", changes.item),
            )
            if option is not None
        }
        self._store.record_call("update_ticket")
        with self._store.lock:
            record = self._ticket(key)
            fields = self._checked_update(record, wanted)
            # Applied only after every field passed, so a refused update changes nothing (one request).
            was_closed = self._store.is_closed(record)
            record.board_id = fields.board_id
            record.status_id = fields.status_id
            record.priority_id = fields.priority_id
            record.owner_id = fields.owner_id
            record.type_id = fields.type_id
            record.subtype_id = fields.subtype_id
            record.item_id = fields.item_id
            self._touch(record)
            if not self._store.is_closed(record):
                record.closed_at = None
            elif not was_closed:
                record.closed_at = record.updated_at

    async def log_time(self, ticket: Ticket, entry: TimeEntryDraft) -> str:
        key = _id(ticket.external_id, "ticket id")
        if (entry.started_at.tzinfo is None) != (entry.ended_at.tzinfo is None):
            raise ValidationFailed("time entry start and end must both carry a time zone, or neither")
        if entry.ended_at <= entry.started_at:
            raise ValidationFailed("time entry must end after it starts")
        member_id = _id(entry.member.external_id, "member id") if entry.member else None
        work_type_id = _id(entry.work_type.external_id, "work type id") if entry.work_type else None
        self._store.record_call("log_time")
        with self._store.lock:
            self._ticket(key)
            if member_id is None:
                member = self._store.member_by_identifier(self.own_identity)
                if member is None:
                    raise _refused(f"member '{self.own_identity}' not found")
            else:
                candidate = self._store.members.get(member_id)
                if candidate is None or candidate.api_member:
                    raise _refused(f"member {member_id} is not an active member")
                member = candidate
            if work_type_id is not None and work_type_id not in self._store.work_types:
                raise _refused(f"work type {work_type_id} is not a work type")
            time_entry = TimeEntry(
                id=self._store.new_time_entry_id(),
                ticket_id=key,
                member_identifier=member.identifier,
                work_type_id=work_type_id,
                started_at=entry.started_at,
                ended_at=entry.ended_at,
                hours=entry.hours,
                billable=entry.billable,
                notes=entry.notes,
                created_at=self._store.clock(),
            )
            self._store.time_entries[key].append(time_entry)
            return time_entry.id

    async def search_tickets(self, query: TicketSearch) -> list[TicketSummary]:
        company_id = _id(query.company_id, "company id")
        contact_id = _id(query.contact_id, "contact id") if query.contact_id else None
        exclude_id = _id(query.exclude_ticket_id, "ticket id") if query.exclude_ticket_id else None
        terms = [t.strip(string.punctuation) for t in (query.text or "").casefold().split()]
        terms = [t for t in terms if t]
        self._store.record_call("search_tickets")
        with self._store.lock:
            found: list[TicketRecord] = []
            for record in self._store.tickets.values():
                # Company first and always: the tool is scoped to the current ticket's client.
                if record.company_id != company_id or record.id == exclude_id:
                    continue
                if contact_id is not None and record.contact_id != contact_id:
                    continue
                closed = self._store.is_closed(record)
                if (query.state is TicketState.OPEN and closed) or (
                    query.state is TicketState.CLOSED and not closed
                ):
                    continue
                text = f"{record.summary}\n{record.description}".casefold()
                if all(term in text for term in terms):
                    found.append(record)
            found.sort(key=lambda r: (r.created_at, int(r.id)), reverse=True)
            return [self._summary(record) for record in found[: query.limit]]

    async def closed_tickets(self, since: datetime, *, cursor: str | None = None) -> TicketPage:
        """Tickets of every company closed at or after ``since``, 100 per page, oldest ``closed_at`` first
        then by id; the cursor is the last listed (closed_at, id) pair (see ``closed.py``)."""
        after = parse_cursor(cursor)
        self._store.record_call("closed_tickets")
        with self._store.lock:
            return closed_page(self._store, since, after, summary=self._summary)

    # -- Picklists ------------------------------------------------------------------------------------

    async def list_options(self, picklist: Picklist, ticket: Ticket) -> list[PicklistOption]:
        board_id: str | None = None
        if picklist in BOARD_SCOPED:
            if ticket.board_id is None:
                raise ValidationFailed(f"ticket {ticket.external_id} has no board, so no {picklist} values")
            board_id = _id(ticket.board_id, "board id")
        cache_key = f"{picklist.value}:{board_id or '-'}"
        cached = self._cache.get(cache_key)
        if cached is not None:
            return list(cached)
        self._store.record_call("list_options")
        with self._store.lock:
            if board_id is not None and board_id not in self._store.boards:
                raise _not_found("board", board_id)
            options = self._options(picklist, board_id or "")
        self._cache.put(cache_key, tuple(options))
        return options

    def _options(self, picklist: Picklist, board_id: str) -> list[PicklistOption]:
        store = self._store
        if picklist is Picklist.STATUS:
            return [
                PicklistOption(external_id=s.id, name=s.name, closed=s.closed, parent_id=s.board_id)
                for s in store.statuses.values()
                if s.board_id == board_id
            ]
        if picklist is Picklist.BOARD:
            return [PicklistOption(external_id=b.id, name=b.name) for b in store.boards.values()]
        if picklist is Picklist.MEMBER:
            return [
                PicklistOption(external_id=m.id, name=m.name)
                for m in store.members.values()
                if not m.api_member
            ]
        if picklist is Picklist.PRIORITY:
            return [PicklistOption(external_id=p.id, name=p.name) for p in store.priorities.values()]
        if picklist is Picklist.TYPE:
            return [
                PicklistOption(external_id=t.id, name=t.name, parent_id=t.board_id)
                for t in store.types.values()
                if t.board_id == board_id
            ]
        if picklist is Picklist.SUBTYPE:
            return [
                PicklistOption(external_id=s.id, name=s.name, parent_id=s.type_id)
                for s in store.subtypes.values()
                if store.types[s.type_id].board_id == board_id
            ]
        if picklist is Picklist.ITEM:
            return [
                PicklistOption(external_id=i.id, name=i.name, parent_id=i.subtype_id)
                for i in store.items.values()
                if store.types[store.subtypes[i.subtype_id].type_id].board_id == board_id
            ]
        if picklist is Picklist.WORK_TYPE:
            return [PicklistOption(external_id=w.id, name=w.name) for w in store.work_types.values()]
        assert_never(picklist)

    # -- Contacts, companies, connection --------------------------------------------------------------

    async def get_contact(self, contact_id: str) -> Contact:
        key = _id(contact_id, "contact id")
        self._store.record_call("get_contact")
        with self._store.lock:
            contact = self._store.contacts.get(key)
            if contact is None:
                raise _not_found("contact", key)
            company = self._store.companies[contact.company_id]
            return Contact(
                external_id=contact.id,
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
                title=contact.title,
                company_id=company.id,
                company_name=company.name,
                inactive=contact.inactive,
            )

    async def get_company(self, company_id: str) -> Company:
        key = _id(company_id, "company id")
        self._store.record_call("get_company")
        with self._store.lock:
            company = self._store.companies.get(key)
            if company is None:
                raise _not_found("company", key)
            return Company(
                external_id=company.id,
                name=company.name,
                identifier=company.identifier,
                phone=company.phone,
                website=company.website,
                address=company.address,
                status=company.status,
            )

    async def check_access(self) -> list[AccessCheck]:
        self._store.record_call("check_access")
        with self._store.lock:
            member = self._store.member_by_identifier(self.own_identity)
        checks = [
            AccessCheck(capability=c.value, ok=True, detail=f"{VENDOR} store '{self._config.store}'")
            for c in Capability
        ]
        if member is None:
            # Time entries need a real member, exactly the failure ``log_time`` would hit.
            checks = [
                AccessCheck(
                    capability=c.capability,
                    ok=False,
                    detail=f"member '{self.own_identity}' does not exist in the sandbox",
                )
                if c.capability == Capability.LOG_TIME
                else c
                for c in checks
            ]
        return checks

    def learned_config(self) -> dict[str, Any]:
        return {}

    async def register_webhook(self, url: str) -> WebhookRegistration:
        target = url.strip()
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in target):
            raise ValidationFailed(f"webhook URL must be an http(s) URL, got {url[:80]!r}")
        self._store.record_call("register_webhook")
        with self._store.lock:
            existing = next((w for w in self._store.webhooks if w.url == target), None)
            if existing is None:
                existing = RegisteredWebhook(
                    id=self._store.new_webhook_id(), url=target, created_at=self._store.clock()
                )
                self._store.webhooks.append(existing)
        return WebhookRegistration(
            registered=True,
            external_id=existing.id,
            detail=f"{VENDOR} recorded {target}; deliveries are signed with X-Sandbox-Signature.",
        )

    async def aclose(self) -> None:
        """Nothing to close: the store outlives clients and is shared by name."""

    # -- Helpers (caller holds the store lock) --------------------------------------------------------

    def _ticket(self, key: str) -> TicketRecord:
        record = self._store.tickets.get(key)
        if record is None:
            raise _not_found("ticket", key)
        return record

    def _touch(self, record: TicketRecord) -> None:
        record.updated_at = self._store.clock()
        record.updated_by = self.own_identity
        self._store.events.append((record.id, EventAction.UPDATED))

    def _summary(self, record: TicketRecord) -> TicketSummary:
        contact = self._store.contacts.get(record.contact_id) if record.contact_id else None
        status = self._store.statuses[record.status_id]
        return TicketSummary(
            external_id=record.id,
            number=record.id,
            summary=record.summary,
            status=status.name,
            closed=status.closed,
            company_id=record.company_id,
            contact_name=contact.name if contact else None,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    def _checked_update(self, record: TicketRecord, wanted: dict[str, str]) -> _Fields:
        """The ticket's fields after ``wanted`` is applied, or the PSA's refusal. Nothing is written."""
        store = self._store
        board_id = wanted.get("board", record.board_id)
        board = store.boards.get(board_id)
        if board is None:
            raise _refused(f"board {board_id} is not a board")
        moving = board_id != record.board_id

        status_id = wanted.get("status")
        board_statuses = [s for s in store.statuses.values() if s.board_id == board_id]
        if moving and (status_id is None or store.statuses.get(status_id) not in board_statuses):
            names = ", ".join(s.name for s in board_statuses)
            raise ValidationFailed(
                f"moving ticket {record.id} to board '{board.name}' needs a status of that board ({names})"
            )
        if status_id is None:
            status_id = record.status_id
        elif store.statuses.get(status_id) not in board_statuses:
            raise _refused(f"status {status_id} is not a status of board '{board.name}'")

        priority_id = wanted.get("priority", record.priority_id)
        if "priority" in wanted and priority_id not in store.priorities:
            raise _refused(f"priority {priority_id} is not a priority")

        owner_id = wanted.get("member", record.owner_id)
        if "member" in wanted:
            owner = store.members.get(wanted["member"])
            if owner is None or owner.api_member:
                raise _refused(f"member {wanted['member']} is not an active member")

        type_id, subtype_id, item_id = record.type_id, record.subtype_id, record.item_id
        if type_id is not None and store.types[type_id].board_id != board_id:
            type_id = subtype_id = item_id = None  # the old board's classification does not apply
        if "type" in wanted:
            new_type = store.types.get(wanted["type"])
            if new_type is None or new_type.board_id != board_id:
                raise _refused(f"type {wanted['type']} is not a type of board '{board.name}'")
            if new_type.id != type_id:
                subtype_id = item_id = None
            type_id = new_type.id
        if "subtype" in wanted:
            new_subtype = store.subtypes.get(wanted["subtype"])
            if new_subtype is None or type_id is None or new_subtype.type_id != type_id:
                raise _refused(f"subtype {wanted['subtype']} does not belong to the ticket's type")
            if new_subtype.id != subtype_id:
                item_id = None
            subtype_id = new_subtype.id
        if "item" in wanted:
            new_item = store.items.get(wanted["item"])
            if new_item is None or subtype_id is None or new_item.subtype_id != subtype_id:
                raise _refused(f"item {wanted['item']} does not belong to the ticket's subtype")
            item_id = new_item.id

        return _Fields(
            board_id=board_id,
            status_id=status_id,
            priority_id=priority_id,
            owner_id=owner_id,
            type_id=type_id,
            subtype_id=subtype_id,
            item_id=item_id,
        )
