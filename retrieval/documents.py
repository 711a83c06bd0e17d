"""What the ticket index stores and returns: closed tickets of one client, and the hits of a search."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from core.domain import Frozen

EMBEDDING_TEXT_CHARS = 2000
# Column widths in ``ticket_documents``; checked here so one bad ticket fails alone, before any SQL.
EXTERNAL_ID_CHARS = 64
NUMBER_CHARS = 64


class TicketDocument(Frozen):
    """A closed ticket as the index keeps it. ``client_id`` is Deskhand's client (``core.tables.Client``)."""

    client_id: int = Field(gt=0)
    integration_id: int = Field(gt=0)
    ticket_external_id: str = Field(min_length=1, max_length=EXTERNAL_ID_CHARS)
    number: str = Field(max_length=NUMBER_CHARS)
    summary: str
    resolution: str = Field(default="", description="How it was fixed, shown to the agent")
    body: str = Field(default="", description="Description and notes; embedded with the summary")
    contact_external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_CHARS)
    closed_at: datetime | None = None

    @field_validator("number", "summary", "resolution", "body")
    @classmethod
    def _without_nul(cls, value: str) -> str:
        # Postgres text cannot hold NUL; dropping it here keeps both databases and the hash in step.
        return value.replace("\x00", "")

    def embedding_text(self) -> str:
        """Summary, body and resolution, trimmed: what the embedder sees."""
        parts = (part.strip() for part in (self.summary, self.body, self.resolution))
        return "\n".join(part for part in parts if part)[:EMBEDDING_TEXT_CHARS]

    def content_hash(self) -> str:
        """Unchanged hash = unchanged document: the indexer skips re-embedding it."""
        payload = json.dumps([self.embedding_text(), self.resolution, self.contact_external_id])
        return hashlib.sha256(payload.encode()).hexdigest()


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    VECTOR = "vector"
    KEYWORD = "keyword"


class SearchHit(Frozen):
    document: TicketDocument
    score: float = Field(
        description="Higher is better: RRF (k=60) in hybrid and keyword modes, cosine similarity in vector"
    )
    similarity: float | None = Field(
        default=None, description="Cosine similarity, when the vector leg ranked it"
    )
    keyword_rank: int | None = Field(default=None, description="1-based rank in the keyword leg, when ranked")


class IndexState(Frozen):
    """Which embedder filled the index: vectors of another model or size are refused, never compared."""

    embedder: str
    dimension: int
