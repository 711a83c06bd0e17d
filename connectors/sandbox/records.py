"""Record types of the sandbox PSA's seed data (companies, people, picklists, tickets) and ``Dataset``.

Frozen dataclasses, pure data; ``seed.py`` holds the values and re-exports these types.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompanyRecord:
    id: str
    name: str
    identifier: str
    phone: str
    website: str
    address: str
    domain: str
    status: str = "Active"


@dataclass(frozen=True)
class ContactRecord:
    id: str
    company_id: str
    first_name: str
    last_name: str
    title: str
    email: str
    phone: str
    inactive: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class BoardRecord:
    id: str
    name: str


@dataclass(frozen=True)
class StatusRecord:
    id: str
    board_id: str
    name: str
    closed: bool = False


@dataclass(frozen=True)
class MemberRecord:
    id: str
    identifier: str
    name: str
    api_member: bool = False  # API members log time and write notes but are not assignable


@dataclass(frozen=True)
class PriorityRecord:
    id: str
    name: str


@dataclass(frozen=True)
class TypeRecord:
    id: str
    board_id: str
    name: str


@dataclass(frozen=True)
class SubtypeRecord:
    id: str
    type_id: str
    name: str


@dataclass(frozen=True)
class ItemRecord:
    id: str
    subtype_id: str
    name: str


@dataclass(frozen=True)
class WorkTypeRecord:
    id: str
    name: str


@dataclass(frozen=True)
class SeedNote:
    text: str
    author: str  # member identifier, or the contact's email for customer replies
    internal: bool
    hours_ago: float


@dataclass(frozen=True)
class SeedTicket:
    id: str
    company_id: str
    contact_id: str
    summary: str
    description: str
    hours_ago: float
    status_id: str
    priority_id: str
    board_id: str = "1"
    type_id: str | None = None
    subtype_id: str | None = None
    item_id: str | None = None
    owner_id: str | None = None
    notes: tuple[SeedNote, ...] = ()


@dataclass(frozen=True)
class Dataset:
    companies: tuple[CompanyRecord, ...]
    contacts: tuple[ContactRecord, ...]
    boards: tuple[BoardRecord, ...]
    statuses: tuple[StatusRecord, ...]
    members: tuple[MemberRecord, ...]
    priorities: tuple[PriorityRecord, ...]
    types: tuple[TypeRecord, ...]
    subtypes: tuple[SubtypeRecord, ...]
    items: tuple[ItemRecord, ...]
    work_types: tuple[WorkTypeRecord, ...]
    open_tickets: tuple[SeedTicket, ...]
    closed_tickets: tuple[SeedTicket, ...]
