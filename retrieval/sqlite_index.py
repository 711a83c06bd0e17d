"""The ticket index on SQLite: brute-force cosine over a per-client numpy matrix, and FTS5 with bm25.

This Python's sqlite3 cannot load extensions, so vectors are float32 blobs read into memory, one matrix per
client, and kept until a write touches that client. Other processes writing to the same file are noticed
through ``retrieval_index_state.updated_at``, which every write moves: a matrix is used only while the
stamp it was read under (or carried forward by this process's own writes) is current.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, system_clock
from core.database import Database
from retrieval.documents import IndexState, SearchHit, SearchMode, TicketDocument
from retrieval.store import (
    STATE_ID,
    UPSERT_COLUMNS,
    AnyVector,
    check_limit,
    check_state_args,
    chunks,
    document_rows,
    hashes_for,
    hits_for,
    leg_size,
    next_stamp,
    prepared_batch,
    query_tokens,
    rank_candidates,
    rarest_terms,
    read_state,
    unit_query_vector,
)
from retrieval.tables import TICKET_DOCUMENTS, RetrievalIndexState, TicketDocumentRow

# Above this many rows the matrix product runs in a worker thread, so the event loop keeps serving.
OFFLOAD_ROWS = 20_000
# bm25 is computed for every document the FTS query matches, in all clients, before the client filter:
# the query keeps its rarest words while their document counts add up to at most this.
KEYWORD_MATCH_BUDGET = 3000
# Document counts per word change slowly; they are re-read after this long.
TERM_COUNTS_SECONDS = 300.0
TERM_COUNTS_MAX = 50_000
# pysqlite opens a transaction only at the first write; this no-op write opens it and takes SQLite's write
# lock, so what the write path reads next cannot be changed by another writer before it commits.
_TAKE_WRITE_LOCK = text("UPDATE retrieval_index_state SET id = id WHERE id = :id").bindparams(id=STATE_ID)
_DELETE_TRIGGER = "ticket_documents_fts_delete"  # created by migration 0003
_TERM_COUNTS_SQL = text("SELECT term, doc FROM ticket_documents_fts_vocab WHERE term IN :terms").bindparams(
    bindparam("terms", expanding=True)
)
_MATRIX_SQL = (
    "SELECT id, ticket_external_id, contact_external_id, embedding FROM ticket_documents WHERE client_id = ?"
)
_KEYWORD_SQL = """
SELECT d.id FROM ticket_documents_fts AS f JOIN ticket_documents AS d ON d.id = f.rowid
WHERE ticket_documents_fts MATCH :match AND d.client_id = :client_id{filters}
ORDER BY f.rank, d.id LIMIT :limit
"""


@dataclass(frozen=True)
class ClientMatrix:
    """One client's vectors, unit rows, with what the filters need; valid while ``stamp`` is current."""

    stamp: datetime
    row_ids: npt.NDArray[np.int64]
    ticket_ids: npt.NDArray[np.object_]
    contact_ids: npt.NDArray[np.object_]
    vectors: npt.NDArray[np.float32]


class SqliteTicketIndex:
    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock
        self._matrices: dict[int, ClientMatrix] = {}
        self._term_counts: dict[str, int] = {}
        self._term_counts_since = time.monotonic()
        # Searches and writes on other event loops (DBOS runs its own) share the cache.
        self._lock = threading.Lock()

    async def index_state(self) -> IndexState | None:
        async with self._db.session() as session:
            found = await read_state(session)
        return found[0] if found else None

    async def reset(self, *, embedder: str, dimension: int) -> None:
        check_state_args(embedder, dimension)
        async with self._db.write_session() as session:
            await session.execute(_TAKE_WRITE_LOCK)
            found = await read_state(session)
            await _delete_every_document(session)
            stamp = next_stamp(found[1] if found else None, self._clock())
            values = {"embedder": embedder, "dimension": dimension, "updated_at": stamp}
            statement = sqlite_insert(RetrievalIndexState).values(id=STATE_ID, **values)
            await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
        with self._lock:
            self._matrices.clear()
            self._term_counts.clear()

    async def known_hashes(self, *, integration_id: int, ticket_ids: Sequence[str]) -> dict[str, str]:
        async with self._db.session() as session:
            return await hashes_for(session, integration_id, ticket_ids)

    async def upsert(self, docs: Sequence[TicketDocument], vectors: AnyVector) -> int:
        if not docs:
            return 0
        async with self._db.write_session() as session:
            await session.execute(_TAKE_WRITE_LOCK)
            found = await read_state(session)
            batch, matrix = prepared_batch(docs, vectors, found[0] if found else None)
            assert found is not None  # prepared_batch refuses a missing state
            state, old_stamp = found
            # A replaced ticket may have belonged to another client: that client's matrix is stale too.
            touched = {doc.client_id for doc in batch} | await self._current_clients(session, batch)
            rows = document_rows(batch, matrix, embedder=state.embedder, now=self._clock())
            statement = sqlite_insert(TICKET_DOCUMENTS)
            statement = statement.on_conflict_do_update(
                index_elements=["integration_id", "ticket_external_id"],
                set_={column: statement.excluded[column] for column in UPSERT_COLUMNS},
            )
            for chunk in chunks(rows):
                await session.execute(statement, list(chunk))
            new_stamp = await self._move_stamp(session, old_stamp)
        self._after_write(old_stamp, new_stamp, touched)
        return len(rows)

    async def delete(self, *, integration_id: int, ticket_external_id: str) -> None:
        async with self._db.write_session() as session:
            await session.execute(_TAKE_WRITE_LOCK)
            found = await read_state(session)
            removed = await session.execute(
                delete(TicketDocumentRow)
                .where(
                    TicketDocumentRow.integration_id == integration_id,
                    TicketDocumentRow.ticket_external_id == ticket_external_id,
                )
                .returning(TicketDocumentRow.client_id)
            )
            touched = set(removed.scalars())
            if found is None or not touched:
                return
            new_stamp = await self._move_stamp(session, found[1])
        self._after_write(found[1], new_stamp, touched)

    async def search(
        self,
        *,
        client_id: int,
        query_text: str,
        query_vector: AnyVector,
        limit: int = 5,
        mode: SearchMode = SearchMode.HYBRID,
        exclude_ticket_id: str | None = None,
        contact_external_id: str | None = None,
    ) -> list[SearchHit]:
        check_limit(limit)
        mode = SearchMode(mode)  # a plain "hybrid" string works too
        candidates = leg_size(limit)
        async with self._db.session() as session:
            found = await read_state(session)
            if found is None:
                return []
            state, stamp = found
            vector_leg: list[tuple[int, float]] = []
            keyword_leg: list[int] = []
            if mode is not SearchMode.KEYWORD:
                query = unit_query_vector(query_vector, state)
                matrix = await self._matrix(session, client_id, state, stamp)
                vector_leg = await _nearest(matrix, query, candidates, exclude_ticket_id, contact_external_id)
            if mode is not SearchMode.VECTOR:
                keyword_leg = await self._keyword_leg(
                    session, client_id, query_text, candidates, exclude_ticket_id, contact_external_id
                )
            ranked = rank_candidates(mode, vector_leg, keyword_leg)
            return await hits_for(session, client_id=client_id, ranked=ranked, limit=limit)

    async def count(self, *, client_id: int | None = None) -> int:
        statement = select(func.count()).select_from(TicketDocumentRow)
        if client_id is not None:
            statement = statement.where(TicketDocumentRow.client_id == client_id)
        async with self._db.session() as session:
            return int((await session.execute(statement)).scalar_one())

    async def _keyword_leg(
        self,
        session: AsyncSession,
        client_id: int,
        query_text: str,
        limit: int,
        exclude_ticket_id: str | None,
        contact_external_id: str | None,
    ) -> list[int]:
        tokens = query_tokens(query_text)
        if not tokens:
            return []
        counts = await self._term_document_counts(session, tokens)
        terms = rarest_terms(tokens, counts, budget=KEYWORD_MATCH_BUDGET)
        params: dict[str, object] = {"match": fts5_query(terms), "client_id": client_id, "limit": limit}
        filters = ""
        if exclude_ticket_id is not None:
            filters += " AND d.ticket_external_id != :exclude"
            params["exclude"] = exclude_ticket_id
        if contact_external_id is not None:
            filters += " AND d.contact_external_id = :contact"
            params["contact"] = contact_external_id
        rows = await session.execute(text(_KEYWORD_SQL.format(filters=filters)), params)
        return [int(row_id) for row_id in rows.scalars()]

    async def _term_document_counts(self, session: AsyncSession, tokens: Sequence[str]) -> dict[str, int]:
        """How many documents (all clients) hold each word; from the FTS vocabulary, cached a while."""
        now = time.monotonic()
        with self._lock:
            if (
                now - self._term_counts_since > TERM_COUNTS_SECONDS
                or len(self._term_counts) > TERM_COUNTS_MAX
            ):
                self._term_counts = {}
                self._term_counts_since = now
            counts = {token: self._term_counts[token] for token in tokens if token in self._term_counts}
        missing = [token for token in tokens if token not in counts]
        if missing:
            # Counting walks each word's postings: worth doing once per word, not once per search.
            fetched = dict.fromkeys(missing, 0)
            fetched.update(
                (term, int(doc)) for term, doc in await session.execute(_TERM_COUNTS_SQL, {"terms": missing})
            )
            with self._lock:
                self._term_counts.update(fetched)
            counts.update(fetched)
        return counts

    # --- the matrix cache ---------------------------------------------------------------------------

    async def _matrix(
        self, session: AsyncSession, client_id: int, state: IndexState, stamp: datetime
    ) -> ClientMatrix:
        with self._lock:
            cached = self._matrices.get(client_id)
        if cached is not None and cached.stamp == stamp:
            return cached
        # Read after the stamp: the rows are at least as new as the stamp they are filed under. The driver's
        # own rows: a client may hold 100,000 tickets, and ORM row processing would triple the load time.
        connection = await session.connection()
        result = await connection.exec_driver_sql(_MATRIX_SQL, (client_id,))
        rows = result.all()
        if len(rows) > OFFLOAD_ROWS:
            loaded = await asyncio.to_thread(_client_matrix, rows, state.dimension, stamp)
        else:
            loaded = _client_matrix(rows, state.dimension, stamp)
        with self._lock:
            self._matrices[client_id] = loaded
        return loaded

    async def _current_clients(self, session: AsyncSession, batch: Sequence[TicketDocument]) -> set[int]:
        by_integration: dict[int, list[str]] = {}
        for doc in batch:
            by_integration.setdefault(doc.integration_id, []).append(doc.ticket_external_id)
        clients: set[int] = set()
        for integration_id, ticket_ids in by_integration.items():
            for chunk in chunks(ticket_ids):  # one seek each in the (integration, ticket) unique index
                rows = await session.execute(
                    select(TicketDocumentRow.client_id)
                    .where(
                        TicketDocumentRow.integration_id == integration_id,
                        TicketDocumentRow.ticket_external_id.in_(chunk),
                    )
                    .distinct()
                )
                clients.update(rows.scalars())
        return clients

    async def _move_stamp(self, session: AsyncSession, old_stamp: datetime) -> datetime:
        new_stamp = next_stamp(old_stamp, self._clock())
        await session.execute(
            update(RetrievalIndexState).where(RetrievalIndexState.id == STATE_ID).values(updated_at=new_stamp)
        )
        return new_stamp

    def _after_write(self, old_stamp: datetime, new_stamp: datetime, touched: Iterable[int]) -> None:
        """Drop the touched clients' matrices; the others were current before this write and still are."""
        touched = set(touched)
        with self._lock:
            for client_id, matrix in list(self._matrices.items()):
                if client_id in touched or matrix.stamp != old_stamp:
                    del self._matrices[client_id]
                else:
                    self._matrices[client_id] = replace(matrix, stamp=new_stamp)


async def _delete_every_document(session: AsyncSession) -> None:
    """Empty the table and its FTS index in one go, within the caller's transaction.

    Row by row, the delete trigger would re-tokenize every ticket (~10 s at 100,000) while holding the
    write lock that webhook intake waits on. The trigger is set aside and put back exactly as it was.
    """
    trigger_sql = (
        await session.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": _DELETE_TRIGGER},
        )
    ).scalar_one_or_none()
    if trigger_sql is not None:
        await session.execute(text(f"DROP TRIGGER {_DELETE_TRIGGER}"))
    await session.execute(delete(TicketDocumentRow))
    await session.execute(
        text("INSERT INTO ticket_documents_fts(ticket_documents_fts) VALUES ('delete-all')")
    )
    if trigger_sql is not None:
        connection = await session.connection()
        await connection.exec_driver_sql(trigger_sql)  # verbatim: no bind-parameter parsing


def _client_matrix(rows: Sequence[Any], dimension: int, stamp: datetime) -> ClientMatrix:
    width = dimension * 4
    rows = [row for row in rows if len(row[3]) == width]  # a row of another size cannot exist after reset
    return ClientMatrix(
        stamp=stamp,
        row_ids=np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)),
        ticket_ids=np.array([row[1] for row in rows], dtype=object),
        contact_ids=np.array([row[2] for row in rows], dtype=object),
        # Stored unit-length (see store.prepared_batch): no normalising here.
        vectors=np.frombuffer(b"".join(row[3] for row in rows), dtype=np.float32).reshape(-1, dimension),
    )


async def _nearest(
    matrix: ClientMatrix,
    query: npt.NDArray[np.float32],
    limit: int,
    exclude_ticket_id: str | None,
    contact_external_id: str | None,
) -> list[tuple[int, float]]:
    if matrix.row_ids.shape[0] > OFFLOAD_ROWS:
        return await asyncio.to_thread(
            _top_by_cosine, matrix, query, limit, exclude_ticket_id, contact_external_id
        )
    return _top_by_cosine(matrix, query, limit, exclude_ticket_id, contact_external_id)


def _top_by_cosine(
    matrix: ClientMatrix,
    query: npt.NDArray[np.float32],
    limit: int,
    exclude_ticket_id: str | None,
    contact_external_id: str | None,
) -> list[tuple[int, float]]:
    similarities = matrix.vectors @ query
    allowed = np.ones(similarities.shape[0], dtype=bool)
    if exclude_ticket_id is not None:
        allowed &= matrix.ticket_ids != exclude_ticket_id
    if contact_external_id is not None:
        allowed &= matrix.contact_ids == contact_external_id
    positions = np.flatnonzero(allowed)
    if positions.shape[0] > limit:
        best = np.argpartition(-similarities[positions], limit - 1)[:limit]
        positions = positions[best]
    # Stable order for equal similarities: lower row id first, as on Postgres.
    order = np.lexsort((matrix.row_ids[positions], -similarities[positions]))
    return [(int(matrix.row_ids[p]), float(similarities[p])) for p in positions[order]]


def fts5_query(terms: Sequence[str]) -> str:
    """An FTS5 query matching any of the words; each is a quoted string, never syntax."""
    return " OR ".join(f'"{term}"' for term in terms)
