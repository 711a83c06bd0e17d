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
    type: str | None = None
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
            "priority": self.priority,
            "type": self.type,
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


class StatusOption(Frozen):
    external_id: str
    name: str
    closed: bool = False


class ClientInfo(Frozen):
    """What the pipeline knows of the ticket's client (our row, not the PSA's company)."""

    id: int
    name: str
    m365_tenant_id: str | None = None
