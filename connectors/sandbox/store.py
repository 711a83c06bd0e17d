"""The sandbox PSA's state: process-wide named stores, seeded from ``seed.py``.

Several event loops and threads use one store (the API, in-process workers, the demo), so every read
and write of the mutable parts happens under ``lock``. Picklists and companies are immutable records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Protocol

from connectors.sandbox.seed import (
    DATASETS,
    BoardRecord,
    CompanyRecord,
    ContactRecord,
    Dataset,
    ItemRecord,
    MemberRecord,
    PriorityRecord,
    SeedTicket,
    StatusRecord,
    SubtypeRecord,
    TypeRecord,
    WorkTypeRecord,
)
from core.domain import CompanyRef, ContactRef, EventAction, Note, Ticket

DEFAULT_BOARD = "Service Desk"
DEFAULT_PRIORITY = "P3 - Medium"
NEW_STATUS = "New"
FIRST_NOTE_ID = 9001
FIRST_TIME_ENTRY_ID = 7001
FIRST_WEBHOOK_ID = 1


class NamedRecord(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TicketRecord:
    """A ticket as the PSA stores it: references by id, names resolved when it is read."""

    id: str
    company_id: str
    contact_id: str | None
    summary: str
    description: str
    board_id: str
    status_id: str
    priority_id: str | None
    type_id: str | None
    subtype_id: str | None
    item_id: str | None
    owner_id: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    # When the ticket last entered a closed status; None while open (the backfill lists by it).
    closed_at: datetime | None = None


@dataclass(frozen=True)
class TimeEntry:
    id: str
    ticket_id: str
    member_identifier: str
    work_type_id: str | None
    started_at: datetime
    ended_at: datetime
    hours: float
    billable: bool
    notes: str
    created_at: datetime


@dataclass(frozen=True)
class RegisteredWebhook:
    id: str
    url: str
    created_at: datetime


class SandboxStore:
    """One in-memory PSA. ``SandboxStore.named(name)`` returns the same object for the same name."""

    _registry: ClassVar[dict[str, SandboxStore]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str, *, dataset: str = "msp", clock: Callable[[], datetime] = utc_now) -> None:
        if dataset not in DATASETS:
            raise ValueError(f"unknown sandbox dataset {dataset!r}; known: {', '.join(DATASETS)}")
        self.name = name
        self.dataset_name = dataset
        self.clock = clock
        self.lock = threading.Lock()
        self._seed(DATASETS[dataset])

    def __repr__(self) -> str:
        return f"SandboxStore(name={self.name!r}, tickets={len(self.tickets)})"

    @classmethod
    def named(cls, name: str, *, dataset: str = "msp") -> SandboxStore:
        with cls._registry_lock:
            store = cls._registry.get(name)
            if store is None:
                store = cls(name, dataset=dataset)
                cls._registry[name] = store
            return store

    @classmethod
    def reset(cls, name: str, *, dataset: str = "msp") -> SandboxStore:
        """Back to the seed data, in place, so clients already holding the store see the reset too."""
        if dataset not in DATASETS:
            raise ValueError(f"unknown sandbox dataset {dataset!r}; known: {', '.join(DATASETS)}")
        store = cls.named(name, dataset=dataset)
        with store.lock:
            store.dataset_name = dataset
            store._seed(DATASETS[dataset])
        return store

    # -- Seeding (caller holds ``lock`` or owns the store exclusively) -------------------------------

    def _seed(self, data: Dataset) -> None:
        now = self.clock()
        self.companies: dict[str, CompanyRecord] = {c.id: c for c in data.companies}
        self.contacts: dict[str, ContactRecord] = {c.id: c for c in data.contacts}
        self.boards: dict[str, BoardRecord] = {b.id: b for b in data.boards}
        self.statuses: dict[str, StatusRecord] = {s.id: s for s in data.statuses}
        self.members: dict[str, MemberRecord] = {m.id: m for m in data.members}
        self.priorities: dict[str, PriorityRecord] = {p.id: p for p in data.priorities}
        self.types: dict[str, TypeRecord] = {t.id: t for t in data.types}
        self.subtypes: dict[str, SubtypeRecord] = {s.id: s for s in data.subtypes}
        self.items: dict[str, ItemRecord] = {i.id: i for i in data.items}
        self.work_types: dict[str, WorkTypeRecord] = {w.id: w for w in data.work_types}
        self.tickets: dict[str, TicketRecord] = {}
        self.notes: dict[str, list[Note]] = {}
        self.time_entries: dict[str, list[TimeEntry]] = {}
        self.webhooks: list[RegisteredWebhook] = []
        self.events: list[tuple[str, EventAction]] = []
        self.calls: list[str] = []
        self._next_note_id = FIRST_NOTE_ID
        self._next_time_entry_id = FIRST_TIME_ENTRY_ID
        self._next_webhook_id = FIRST_WEBHOOK_ID
        self._sample_ids = tuple(t.id for t in data.open_tickets)
        for seed in (*data.closed_tickets, *data.open_tickets):
            self._seed_ticket(seed, now)

    def _seed_ticket(self, seed: SeedTicket, now: datetime) -> None:
        created_at = now - timedelta(hours=seed.hours_ago)
        notes = [
            Note(
                external_id=self.new_note_id(),
                text=n.text,
                internal=n.internal,
                author=n.author,
                created_at=now - timedelta(hours=n.hours_ago),
            )
            for n in seed.notes
        ]
        contact = self.contacts[seed.contact_id]
        last_note = notes[-1] if notes else None
        self.tickets[seed.id] = TicketRecord(
            id=seed.id,
            company_id=seed.company_id,
            contact_id=seed.contact_id,
            summary=seed.summary,
            description=seed.description,
            board_id=seed.board_id,
            status_id=seed.status_id,
            priority_id=seed.priority_id,
            type_id=seed.type_id,
            subtype_id=seed.subtype_id,
            item_id=seed.item_id,
            owner_id=seed.owner_id,
            created_at=created_at,
            updated_at=last_note.created_at if last_note and last_note.created_at else created_at,
            updated_by=last_note.author if last_note else contact.email,
        )
        if self.statuses[seed.status_id].closed:
            # A historic ticket closed when its technician wrote the resolution (its last note).
            self.tickets[seed.id].closed_at = self.tickets[seed.id].updated_at
        self.notes[seed.id] = notes
        self.time_entries[seed.id] = []

    # -- Building blocks for ``SandboxPsa`` (caller holds ``lock``) ----------------------------------

    def new_note_id(self) -> str:
        note_id = str(self._next_note_id)
        self._next_note_id += 1
        return note_id

    def new_time_entry_id(self) -> str:
        entry_id = str(self._next_time_entry_id)
        self._next_time_entry_id += 1
        return entry_id

    def new_webhook_id(self) -> str:
        webhook_id = str(self._next_webhook_id)
        self._next_webhook_id += 1
        return webhook_id

    def new_ticket_id(self) -> str:
        return str(max((int(i) for i in self.tickets), default=1000) + 1)

    def record_call(self, method: str) -> None:
        with self.lock:
            self.calls.append(method)

    def is_closed(self, record: TicketRecord) -> bool:
        return self.statuses[record.status_id].closed

    def member_by_identifier(self, identifier: str) -> MemberRecord | None:
        wanted = identifier.casefold()
        return next((m for m in self.members.values() if m.identifier.casefold() == wanted), None)

    def as_ticket(self, record: TicketRecord) -> Ticket:
        """The canonical ``Ticket`` (notes oldest first, description not repeated). Caller holds ``lock``."""
        company = self.companies[record.company_id]
        contact = self.contacts.get(record.contact_id) if record.contact_id else None
        status = self.statuses[record.status_id]
        owner = self.members.get(record.owner_id) if record.owner_id else None
        return Ticket(
            external_id=record.id,
            number=record.id,
            summary=record.summary,
            description=record.description,
            status=status.name,
            status_id=status.id,
            board=self.boards[record.board_id].name,
            board_id=record.board_id,
            priority=self.priorities[record.priority_id].name if record.priority_id else None,
            priority_id=record.priority_id,
            type=self.types[record.type_id].name if record.type_id else None,
            type_id=record.type_id,
            subtype=self.subtypes[record.subtype_id].name if record.subtype_id else None,
            subtype_id=record.subtype_id,
            item=self.items[record.item_id].name if record.item_id else None,
            item_id=record.item_id,
            assignee=owner.name if owner else None,
            assignee_id=owner.id if owner else None,
            company=CompanyRef(external_id=company.id, name=company.name, identifier=company.identifier),
            contact=ContactRef(external_id=contact.id, name=contact.name, email=contact.email)
            if contact
            else None,
            notes=tuple(self.notes.get(record.id, ())),
            closed=status.closed,
            updated_at=record.updated_at,
            updated_by=record.updated_by,
        )

    @staticmethod
    def _by_name_or_id(table: Mapping[str, NamedRecord], wanted: str) -> str:
        key = wanted.strip().casefold()
        for row in table.values():
            if row.id == wanted.strip() or row.name.casefold() == key:
                return row.id
        raise KeyError(f"no {wanted!r} in the sandbox")

    # -- Helpers for tests and the demo ---------------------------------------------------------------

    def open_ticket(
        self,
        company_id: str,
        summary: str,
        description: str,
        contact_id: str | None = None,
        board: str = DEFAULT_BOARD,
        priority: str = DEFAULT_PRIORITY,
    ) -> Ticket:
        """A new ticket as if the client emailed the service desk (status New, unassigned, untyped).

        ``board`` and ``priority`` are names or ids. Records a ``created`` event."""
        if not summary.strip():
            raise ValueError("summary must not be empty")
        with self.lock:
            if company_id not in self.companies:
                raise KeyError(f"no company {company_id} in the sandbox")
            contact = self.contacts.get(contact_id) if contact_id else None
            if contact_id and (contact is None or contact.company_id != company_id):
                raise KeyError(f"no contact {contact_id} at company {company_id}")
            board_id = self._by_name_or_id(self.boards, board)
            priority_id = self._by_name_or_id(self.priorities, priority)
            status = next(
                s for s in self.statuses.values() if s.board_id == board_id and s.name == NEW_STATUS
            )
            now = self.clock()
            record = TicketRecord(
                id=self.new_ticket_id(),
                company_id=company_id,
                contact_id=contact.id if contact else None,
                summary=summary.strip(),
                description=description,
                board_id=board_id,
                status_id=status.id,
                priority_id=priority_id,
                type_id=None,
                subtype_id=None,
                item_id=None,
                owner_id=None,
                created_at=now,
                updated_at=now,
                updated_by=contact.email if contact else None,
            )
            self.tickets[record.id] = record
            self.notes[record.id] = []
            self.time_entries[record.id] = []
            self.events.append((record.id, EventAction.CREATED))
            return self.as_ticket(record)

    def add_customer_reply(self, ticket_id: str, text: str, author: str) -> Note:
        """A reply from the requester (a customer-visible note by ``author``). Records ``updated``."""
        if not text.strip():
            raise ValueError("reply text must not be empty")
        with self.lock:
            record = self._record(ticket_id)
            now = self.clock()
            note = Note(
                external_id=self.new_note_id(), text=text, internal=False, author=author, created_at=now
            )
            self.notes[ticket_id].append(note)
            record.updated_at = now
            record.updated_by = author
            self.events.append((ticket_id, EventAction.UPDATED))
            return note

    def ticket(self, ticket_id: str) -> Ticket:
        with self.lock:
            return self.as_ticket(self._record(ticket_id))

    def notes_of(self, ticket_id: str) -> list[Note]:
        with self.lock:
            self._record(ticket_id)
            return list(self.notes[ticket_id])

    def time_entries_of(self, ticket_id: str) -> list[TimeEntry]:
        with self.lock:
            self._record(ticket_id)
            return list(self.time_entries[ticket_id])

    def sample_ticket_ids(self) -> list[str]:
        """The seeded open tickets, oldest first (the demo walks them in this order)."""
        with self.lock:
            return [ticket_id for ticket_id in self._sample_ids if ticket_id in self.tickets]

    def _record(self, ticket_id: str) -> TicketRecord:
        record = self.tickets.get(ticket_id)
        if record is None:
            raise KeyError(f"no ticket {ticket_id} in the sandbox")
        return record
