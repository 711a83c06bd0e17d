"""Canonical domain types shared by every connector, the pipeline and the API.

Vendor JSON is mapped to these in each connector's ``mapping.py``; nothing above ``connectors`` sees a
vendor shape.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CompanyRef(Frozen):
    external_id: str
    name: str
    identifier: str | None = None


class ContactRef(Frozen):
    external_id: str | None = None
    name: str | None = None
    email: str | None = None


class Note(Frozen):
    external_id: str | None = None
    text: str
    internal: bool = True
    author: str | None = Field(default=None, description="PSA member/resource/agent identifier that wrote it")
    created_at: datetime | None = None


class Ticket(Frozen):
    external_id: str
    number: str
    summary: str
    description: str = ""
    status: str | None = None
    status_id: str | None = None
    board: str | None = None
    board_id: str | None = None
    priority: str | None = None
    priority_id: str | None = None
    type: str | None = None
    type_id: str | None = None
    subtype: str | None = None
    subtype_id: str | None = None
    item: str | None = None
    item_id: str | None = None
    assignee: str | None = Field(default=None, description="Assigned member/resource/agent, by name")
    assignee_id: str | None = None
    company: CompanyRef
    contact: ContactRef | None = None
    notes: tuple[Note, ...] = ()
    closed: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None

    def fingerprint(
        self, *, ignore_notes_by: str | None, ignore_note_ids: frozenset[str] = frozenset()
    ) -> str:
        """A hash of what a technician or requester can change, leaving out notes we wrote ourselves.

        Two loads with the same fingerprint mean nothing happened on the ticket except our own notes,
        which is how an echo of our own write is told apart from a real update.
        """
        foreign_notes = [
            (n.external_id, n.text)
            for n in self.notes
            if not (ignore_notes_by and n.author and n.author.lower() == ignore_notes_by.lower())
            and n.external_id not in ignore_note_ids
        ]
        material = {
            "summary": self.summary,
            "description": self.description,
            "status": self.status_id or self.status,
            "board": self.board_id or self.board,
            "priority": self.priority_id or self.priority,
            "type": self.type_id or self.type,
            "subtype": self.subtype_id or self.subtype,
            "item": self.item_id or self.item,
            "assignee": self.assignee_id or self.assignee,
            "company": self.company.external_id,
            "contact": self.contact.external_id if self.contact else None,
            "closed": self.closed,
            "notes": sorted(foreign_notes, key=lambda item: str(item[0])),
        }
        encoded = json.dumps(material, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()


class EventAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class ParsedWebhook(Frozen):
    """A PSA webhook delivery after authentication, in canonical form."""

    idempotency_key: str
    entity_type: str = Field(description="'ticket' for ticket events; anything else is acknowledged only")
    action: EventAction
    external_id: str | None
    actor: str | None = Field(default=None, description="Who caused the event, as the PSA names them")
    company_external_id: str | None = None
    summary: str | None = None


class Picklist(StrEnum):
    """Ticket fields whose values come from a per-PSA list. Each vendor maps them to its own names."""

    STATUS = "status"
    BOARD = "board"  # ConnectWise board, Autotask queue, Halo team
    MEMBER = "member"  # ConnectWise member, Autotask resource, Halo agent
    PRIORITY = "priority"
    TYPE = "type"  # ConnectWise type, Autotask issue type, Halo ticket type
    SUBTYPE = "subtype"  # ConnectWise subtype, Autotask sub-issue type, Halo category
    ITEM = "item"  # ConnectWise item; PSAs without one return no options
    WORK_TYPE = "work_type"  # time entry work type / billing code / charge type


class PicklistOption(Frozen):
    external_id: str
    name: str
    closed: bool = Field(default=False, description="For statuses: choosing it closes the ticket")
    parent_id: str | None = Field(default=None, description="For dependent lists, e.g. a subtype's type")


StatusOption = PicklistOption


class TicketChanges(Frozen):
    """Field changes for one ticket update; ``None`` leaves a field as it is. Values come from picklists."""

    status: PicklistOption | None = None
    board: PicklistOption | None = None
    member: PicklistOption | None = None
    priority: PicklistOption | None = None
    type: PicklistOption | None = None
    subtype: PicklistOption | None = None
    item: PicklistOption | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in self.model_dump().values())


class TimeEntryDraft(Frozen):
    started_at: datetime
    ended_at: datetime
    member: PicklistOption | None = Field(default=None, description="None: Deskhand's own PSA identity")
    work_type: PicklistOption | None = None
    billable: bool = False
    notes: str = Field(default="", description="Internal notes on the time entry")

    @property
    def hours(self) -> float:
        return round((self.ended_at - self.started_at).total_seconds() / 3600, 2)


class TicketState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ANY = "any"


class TicketSearch(Frozen):
    """A search of one company's tickets. ``company_id`` always comes from the current ticket."""

    company_id: str
    contact_id: str | None = None
    text: str | None = None
    state: TicketState = TicketState.ANY
    limit: int = Field(default=10, ge=1, le=50)
    exclude_ticket_id: str | None = None


class TicketSummary(Frozen):
    external_id: str
    number: str
    summary: str
    status: str | None = None
    closed: bool = False
    company_id: str | None = None
    contact_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TicketPage(Frozen):
    """One page of a PSA listing; ``next_cursor`` is opaque to callers and None on the last page."""

    tickets: tuple[TicketSummary, ...] = ()
    next_cursor: str | None = None


class PastTicket(Frozen):
    """A closed ticket of the same client that looks like the current one."""

    number: str
    summary: str
    resolution: str = ""
    similarity: float | None = Field(
        default=None, description="Cosine similarity, when the vector search ranked it"
    )
    closed_at: datetime | None = None


class Contact(Frozen):
    external_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    company_id: str | None = None
    company_name: str | None = None
    inactive: bool = False


class Company(Frozen):
    external_id: str
    name: str
    identifier: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    status: str | None = None
    inactive: bool = False


class AccessCheck(Frozen):
    """One capability a connection test probed: ``ok`` is None when the PSA cannot tell without writing."""

    capability: str
    ok: bool | None
    detail: str = ""


class WebhookRegistration(Frozen):
    registered: bool = Field(description="True when Deskhand created the webhook through the PSA's API")
    external_id: str | None = None
    detail: str = ""
    instructions: tuple[str, ...] = Field(
        default=(), description="Steps a person must take in the PSA when it cannot be registered by API"
    )


class AgentMode(StrEnum):
    """Plan: read tools only, then one internal note with the diagnosis and the plan. Execute: the plan's
    actions too, under tool policy."""

    PLAN = "plan"
    EXECUTE = "execute"


class ClientInfo(Frozen):
    """What the pipeline knows of the ticket's client (our row, not the PSA's company)."""

    id: int
    name: str
    m365_tenant_id: str | None = None
    agent_mode: AgentMode = AgentMode.PLAN
    monthly_budget_usd: float | None = None
