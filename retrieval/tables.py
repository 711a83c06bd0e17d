"""Tables of the similar-ticket index.

Besides what is declared here, migration 0003 creates backend-specific search structures the ORM does not
model. On Postgres: the generated column ``search_vector`` (``to_tsvector('english', summary, body,
resolution)``) with its GIN index ``ix_ticket_documents_search_vector``; ``reset`` adds the HNSW index
``ix_ticket_documents_embedding_hnsw`` and the covering index ``ix_ticket_documents_client_vectors``. On
SQLite: the FTS5 table ``ticket_documents_fts``, its vocabulary table ``ticket_documents_fts_vocab`` and
the triggers that keep it in step with ``ticket_documents``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from pgvector.sqlalchemy import VECTOR
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from core.clock import system_clock
from core.database import Base, UTCDateTime

FloatVector = npt.NDArray[np.float32]


class EmbeddingVector(TypeDecorator[FloatVector]):
    """pgvector ``vector`` on Postgres (typed ``vector(dim)`` by ``reset``); float32 bytes on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(VECTOR())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        vector = np.asarray(value, dtype=np.float32)
        if dialect.name == "postgresql":
            return vector  # VECTOR's own bind processor renders it
        return vector.tobytes()

    def process_result_value(self, value: Any, dialect: Dialect) -> FloatVector | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return np.frombuffer(value, dtype=np.float32)
        return np.asarray(value, dtype=np.float32)


class TicketDocumentRow(Base):
    """One closed ticket of one client, with its embedding. Replaced as a whole on re-index."""

    __tablename__ = "ticket_documents"
    __table_args__ = (UniqueConstraint("integration_id", "ticket_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    ticket_external_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    contact_external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    embedder: Mapped[str] = mapped_column(String(200))
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    # Before the long texts: SQLite then reads a client's vectors without walking through ticket text.
    embedding: Mapped[FloatVector] = mapped_column(EmbeddingVector())
    summary: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


TICKET_DOCUMENTS = cast(Table, TicketDocumentRow.__table__)  # for Core bulk statements


class RetrievalIndexState(Base):
    """The single row (id 1) naming the embedder and dimension of every stored vector.

    On SQLite ``updated_at`` also moves on every write: it is the stamp other processes compare to know
    their in-memory vector matrices are stale.
    """

    __tablename__ = "retrieval_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    embedder: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
