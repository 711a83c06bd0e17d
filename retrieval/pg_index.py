"""The ticket index on Postgres: pgvector cosine (HNSW) and full-text search over a GIN expression index.

HNSW filters after it walks the graph, so a client holding a small share of all tickets would get few of
its own among the neighbours found. The vector leg therefore scans a client exactly when it is small (or a
contact filter makes it small), and otherwise raises ``hnsw.ef_search`` with the client's share and falls
back to the exact scan if the graph still returned too few of the client's tickets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
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
    prepared_batch,
    query_tokens,
    rank_candidates,
    read_state,
    unit_query_vector,
)
from retrieval.tables import TICKET_DOCUMENTS, RetrievalIndexState, TicketDocumentRow

HNSW_INDEX = "ix_ticket_documents_embedding_hnsw"
HNSW_MAX_DIMENSION = 2000  # pgvector cannot build HNSW over wider vectors: those are always scanned exactly
_CREATE_HNSW_SQL = f"CREATE INDEX {HNSW_INDEX} ON ticket_documents USING hnsw (embedding vector_cosine_ops)"
EF_SEARCH = 100  # candidates HNSW keeps per query when the client owns every ticket
MAX_EF_SEARCH = 1000  # pgvector's ceiling; a client needing more is scanned exactly
# An exact scan of this many vectors costs about what a wide HNSW walk does, with perfect recall.
EXACT_SCAN_ROWS = 10_000
# Must stay identical to the expression of ix_ticket_documents_fts (migration 0003), or it is not used.
FTS_DOCUMENT = "to_tsvector('english', summary || ' ' || body || ' ' || resolution)"
_FTS_QUERY = "websearch_to_tsquery('english', :query)"
_KEYWORD_SQL = f"""
SELECT id FROM ticket_documents
WHERE client_id = :client_id AND {FTS_DOCUMENT} @@ {_FTS_QUERY}{{filters}}
ORDER BY ts_rank_cd({FTS_DOCUMENT}, {_FTS_QUERY}) DESC, id LIMIT :limit
"""  # noqa: S608 - constant SQL; every value is a bound parameter
_EXACT_SQL = """
WITH candidates AS MATERIALIZED (
    SELECT id, embedding FROM ticket_documents WHERE client_id = :client_id{filters}
)
SELECT id, embedding <=> CAST(:vector AS vector) AS distance FROM candidates
ORDER BY distance, id LIMIT :limit
"""  # the materialized CTE keeps the planner off the HNSW index: this scan is meant to be exact
_HNSW_SQL = """
SELECT id, embedding <=> CAST(:vector AS vector) AS distance FROM ticket_documents
WHERE client_id = :client_id{filters}
ORDER BY embedding <=> CAST(:vector AS vector) LIMIT :limit
"""
# Live rows as the statistics see them; no full count on every search.
_TABLE_ROWS_SQL = """
SELECT greatest(pg_stat_get_live_tuples(c.oid), c.reltuples::bigint, 0)
FROM pg_class AS c WHERE c.oid = 'ticket_documents'::regclass
"""


class PgTicketIndex:
    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def index_state(self) -> IndexState | None:
        async with self._db.session() as session:
            found = await read_state(session)
        return found[0] if found else None

    async def reset(self, *, embedder: str, dimension: int) -> None:
        check_state_args(embedder, dimension)
        dimension = int(dimension)
        async with self._db.write_session() as session:
            # Waits for upserts holding the state FOR SHARE; later ones wait for this reset to commit.
            await session.execute(
                text("SELECT id FROM retrieval_index_state WHERE id = :id FOR UPDATE"), {"id": STATE_ID}
            )
            await session.execute(text("TRUNCATE ticket_documents"))
            await session.execute(text(f"DROP INDEX IF EXISTS {HNSW_INDEX}"))
            await session.execute(
                text(f"ALTER TABLE ticket_documents ALTER COLUMN embedding TYPE vector({dimension})")
            )
            if dimension <= HNSW_MAX_DIMENSION:
                await session.execute(text(_CREATE_HNSW_SQL))
            values = {"embedder": embedder, "dimension": dimension, "updated_at": self._clock()}
            statement = pg_insert(RetrievalIndexState).values(id=STATE_ID, **values)
            await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))

    async def known_hashes(self, *, integration_id: int, ticket_ids: Sequence[str]) -> dict[str, str]:
        async with self._db.session() as session:
            return await hashes_for(session, integration_id, ticket_ids)

    async def upsert(self, docs: Sequence[TicketDocument], vectors: AnyVector) -> int:
        if not docs:
            return 0
        async with self._db.write_session() as session:
            # FOR SHARE: a concurrent reset cannot retype the column between this check and the insert.
            state_row = (
                await session.execute(
                    select(RetrievalIndexState.embedder, RetrievalIndexState.dimension)
                    .where(RetrievalIndexState.id == STATE_ID)
                    .with_for_update(read=True)
                )
            ).one_or_none()
            state = (
                IndexState(embedder=state_row.embedder, dimension=state_row.dimension) if state_row else None
            )
            batch, matrix = prepared_batch(docs, vectors, state)
            assert state is not None  # prepared_batch refuses a missing state
            rows = document_rows(batch, matrix, embedder=state.embedder, now=self._clock())
            # One key order for every writer: concurrent upserts of overlapping tickets cannot deadlock.
            rows.sort(key=lambda row: (row["integration_id"], row["ticket_external_id"]))
            statement = pg_insert(TICKET_DOCUMENTS)
            statement = statement.on_conflict_do_update(
                index_elements=["integration_id", "ticket_external_id"],
                set_={column: statement.excluded[column] for column in UPSERT_COLUMNS},
            )
            for chunk in chunks(rows):
                await session.execute(statement, list(chunk))
        return len(rows)

    async def delete(self, *, integration_id: int, ticket_external_id: str) -> None:
        async with self._db.write_session() as session:
            await session.execute(
                delete(TicketDocumentRow).where(
                    TicketDocumentRow.integration_id == integration_id,
                    TicketDocumentRow.ticket_external_id == ticket_external_id,
                )
            )

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
        candidates = leg_size(limit)
        filters, params = _filters(exclude_ticket_id, contact_external_id)
        params["client_id"] = client_id
        async with self._db.session() as session:
            found = await read_state(session)
            if found is None:
                return []
            state = found[0]
            vector_leg: list[tuple[int, float]] = []
            keyword_leg: list[int] = []
            if mode is not SearchMode.KEYWORD:
                query = unit_query_vector(query_vector, state)
                vector_leg = await _vector_leg(
                    session, state, query, candidates, filters, params, narrow=contact_external_id is not None
                )
            if mode is not SearchMode.VECTOR:
                keyword_leg = await _keyword_leg(session, query_text, candidates, filters, params)
            ranked = rank_candidates(mode, vector_leg, keyword_leg)
            return await hits_for(session, client_id=client_id, ranked=ranked, limit=limit)

    async def count(self, *, client_id: int | None = None) -> int:
        statement = select(func.count()).select_from(TicketDocumentRow)
        if client_id is not None:
            statement = statement.where(TicketDocumentRow.client_id == client_id)
        async with self._db.session() as session:
            return int((await session.execute(statement)).scalar_one())


def _filters(exclude_ticket_id: str | None, contact_external_id: str | None) -> tuple[str, dict[str, object]]:
    sql = ""
    params: dict[str, object] = {}
    if exclude_ticket_id is not None:
        sql += " AND ticket_external_id <> :exclude"
        params["exclude"] = exclude_ticket_id
    if contact_external_id is not None:
        sql += " AND contact_external_id = :contact"
        params["contact"] = contact_external_id
    return sql, params


def vector_literal(vector: npt.NDArray[np.float32]) -> str:
    """pgvector's text form, '[x,y,...]'; bound as a parameter and cast to vector in SQL."""
    return "[" + ",".join(map(str, vector.tolist())) + "]"


async def _vector_leg(
    session: AsyncSession,
    state: IndexState,
    query: npt.NDArray[np.float32],
    limit: int,
    filters: str,
    params: dict[str, object],
    *,
    narrow: bool,
) -> list[tuple[int, float]]:
    params = {**params, "vector": vector_literal(query), "limit": limit}
    if not narrow and state.dimension <= HNSW_MAX_DIMENSION:
        client_rows = (
            await session.execute(
                select(func.count())
                .select_from(TicketDocumentRow)
                .where(TicketDocumentRow.client_id == params["client_id"])
            )
        ).scalar_one()
        if client_rows == 0:
            return []
        if client_rows > EXACT_SCAN_ROWS:
            table_rows = max(int((await session.execute(text(_TABLE_ROWS_SQL))).scalar_one()), client_rows)
            ef_search = max(math.ceil(EF_SEARCH * table_rows / client_rows), limit)
            if ef_search <= MAX_EF_SEARCH:
                await session.execute(
                    text("SELECT set_config('hnsw.ef_search', :value, true)"), {"value": str(ef_search)}
                )
                rows = (await session.execute(text(_HNSW_SQL.format(filters=filters)), params)).all()
                # Fewer than asked while the client has more: the graph walk missed them, scan instead.
                if len(rows) >= min(limit, client_rows - ("exclude" in params)):
                    return [(int(row.id), 1.0 - float(row.distance)) for row in rows]
    rows = (await session.execute(text(_EXACT_SQL.format(filters=filters)), params)).all()
    return [(int(row.id), 1.0 - float(row.distance)) for row in rows]


async def _keyword_leg(
    session: AsyncSession, query_text: str, limit: int, filters: str, params: dict[str, object]
) -> list[int]:
    tokens = query_tokens(query_text)
    if not tokens:
        return []
    # Any of the words, not all: the query is usually a whole ticket. Tokens are bare words, so the only
    # syntax websearch_to_tsquery sees is the "or" put between them.
    statement = text(_KEYWORD_SQL.format(filters=filters))
    rows = await session.execute(statement, {**params, "query": " or ".join(tokens), "limit": limit})
    return [int(row_id) for row_id in rows.scalars()]
