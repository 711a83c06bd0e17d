"""The similar-ticket index: one protocol, a backend per database, and what both backends share.

Every search is filtered to one client before anything is ranked. Hybrid search fuses the vector leg (top 50
by cosine) and the keyword leg (top 50 by full-text rank) with reciprocal rank fusion, k=60.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.database import Database
from core.errors import ValidationFailed
from retrieval.documents import IndexState, SearchHit, SearchMode, TicketDocument
from retrieval.tables import TICKET_DOCUMENTS, RetrievalIndexState, TicketDocumentRow

__all__ = [
    "CANDIDATES_PER_LEG",
    "RRF_K",
    "IndexState",
    "SearchHit",
    "SearchMode",
    "TicketDocument",
    "TicketIndex",
    "build_index",
    "query_tokens",
    "rarest_terms",
    "rrf_fuse",
]

CANDIDATES_PER_LEG = 50
RRF_K = 60
MAX_DIMENSION = 16000  # pgvector's limit for a vector column
STATE_ID = 1
# A query is often a whole ticket: its first distinct words are plenty to choose the rare ones from.
MAX_QUERY_TOKENS = 32
# The keyword leg searches at most this many of them, the rarest (see ``rarest_terms``).
MAX_KEYWORD_TERMS = 12
SQL_CHUNK = 500  # rows or bound values per statement, well under both databases' parameter limits

AnyVector = npt.NDArray[Any]
T = TypeVar("T")


class TicketIndex(Protocol):
    async def index_state(self) -> IndexState | None:
        """The embedder and dimension of the stored vectors; None before the first ``reset``."""
        ...

    async def reset(self, *, embedder: str, dimension: int) -> None:
        """Drop every document and vector, and accept vectors of this embedder and dimension from now on."""
        ...

    async def known_hashes(self, *, integration_id: int, ticket_ids: Sequence[str]) -> dict[str, str]:
        """Ticket external id -> content hash, for those of ``ticket_ids`` already indexed."""
        ...

    async def upsert(self, docs: Sequence[TicketDocument], vectors: AnyVector) -> int:
        """Insert or replace by (integration, ticket); one vector row per document. Returns rows written.

        Raises ``ValidationFailed`` before any write when there is no state or the vectors' shape is wrong.
        """
        ...

    async def delete(self, *, integration_id: int, ticket_external_id: str) -> None: ...

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
        """The client's closed tickets most like the query, best first; [] before the first ``reset``."""
        ...

    async def count(self, *, client_id: int | None = None) -> int: ...


def build_index(db: Database) -> TicketIndex:
    """pgvector on Postgres, numpy + FTS5 on SQLite. Keep one per process: the SQLite one caches vectors."""
    if db.is_postgres:
        from retrieval.pg_index import PgTicketIndex

        return PgTicketIndex(db)
    from retrieval.sqlite_index import SqliteTicketIndex

    return SqliteTicketIndex(db)


# --- ranking ------------------------------------------------------------------------------------------


def rrf_fuse(*rankings: Sequence[int], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: (id, sum of 1/(k + rank)) best first; ties go to the better single rank."""
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    return sorted(scores.items(), key=lambda entry: (-entry[1], best_rank[entry[0]], entry[0]))


@dataclass(frozen=True)
class RankedCandidate:
    row_id: int
    score: float
    similarity: float | None
    keyword_rank: int | None


def rank_candidates(
    mode: SearchMode, vector_leg: Sequence[tuple[int, float]], keyword_leg: Sequence[int]
) -> list[RankedCandidate]:
    """Order the legs' row ids as the mode asks. ``vector_leg`` is (id, similarity) best first."""
    similarity = dict(vector_leg)
    keyword_rank = {row_id: rank for rank, row_id in enumerate(keyword_leg, start=1)}
    if mode is SearchMode.VECTOR:
        return [RankedCandidate(row_id, sim, sim, None) for row_id, sim in vector_leg]
    if mode is SearchMode.KEYWORD:
        fused = rrf_fuse(keyword_leg)
    else:
        fused = rrf_fuse([row_id for row_id, _ in vector_leg], keyword_leg)
    return [
        RankedCandidate(row_id, score, similarity.get(row_id), keyword_rank.get(row_id))
        for row_id, score in fused
    ]


# Mostly PostgreSQL's English stop words: words that match nearly every ticket and only cost time.
_STOP_WORDS_TEXT = """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours yourself yourselves
    hi hello thanks thank please regards
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both full-text tokenizers keep


def query_tokens(text: str, *, limit: int | None = MAX_QUERY_TOKENS) -> list[str]:
    """The text's distinct searchable words, lower-cased, in order, at most ``limit`` (None: all).

    Only letters and digits survive, so quotes, ``*``, ``-``, parentheses and operator words in ticket
    text can never form full-text query syntax on either database. Stop words and 1-character words go.
    """
    tokens: list[str] = []
    seen: set[str] = set()
    for match in _WORD.finditer(text.lower()):
        token = match.group()
        if len(token) < 2 or token in STOP_WORDS or token in seen:
            continue
        seen.add(token)
        tokens.append(token)
        if len(tokens) == limit:
            break
    return tokens


def rarest_terms(terms: Sequence[str], estimated_matches: Mapping[str, float], *, budget: float) -> list[str]:
    """The terms to search: rarest first while their estimated matches fit ``budget``; at least one.

    Ranking costs per matching document, and a word in a large share of tickets matches most of them while
    adding little to the score (low IDF), so common words are the first to go. Returned in query order.
    """
    order = sorted(range(len(terms)), key=lambda i: (estimated_matches.get(terms[i], 0.0), i))
    kept: list[int] = []
    spent = 0.0
    for position in order:
        cost = estimated_matches.get(terms[position], 0.0)
        if kept and (spent + cost > budget or len(kept) == MAX_KEYWORD_TERMS):
            break
        kept.append(position)
        spent += cost
    return [terms[position] for position in sorted(kept)]


# --- validation ---------------------------------------------------------------------------------------


def check_state_args(embedder: str, dimension: int) -> None:
    if not embedder.strip() or len(embedder) > 200:
        raise ValidationFailed("embedder name must be 1 to 200 characters")
    if not 1 <= dimension <= MAX_DIMENSION:
        raise ValidationFailed(f"dimension must be between 1 and {MAX_DIMENSION}, got {dimension}")


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ValidationFailed(f"limit must be at least 1, got {limit}")


def unit_query_vector(vector: AnyVector, state: IndexState) -> npt.NDArray[np.float32]:
    """The query as a unit float32 vector of the index's dimension; ValidationFailed otherwise."""
    query = np.asarray(vector, dtype=np.float32).reshape(-1)
    if query.shape[0] != state.dimension:
        raise ValidationFailed(
            f"query vector has {query.shape[0]} dimensions; "
            f"the index holds {state.dimension} ({state.embedder})"
        )
    norm = float(np.linalg.norm(query))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValidationFailed("query vector must be finite and non-zero")
    return query / norm


def prepared_batch(
    docs: Sequence[TicketDocument], vectors: AnyVector, state: IndexState | None
) -> tuple[list[TicketDocument], npt.NDArray[np.float32]]:
    """Checked documents and their unit float32 vectors; a ticket given twice keeps its last version.

    Stored unit-length, cosine similarity is a plain dot product for the SQLite scan.
    """
    if state is None:
        raise ValidationFailed("the ticket index has no embedder yet: reset it first")
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(docs):
        raise ValidationFailed(f"expected {len(docs)} vectors as a 2-D array, got shape {matrix.shape}")
    if matrix.shape[1] != state.dimension:
        raise ValidationFailed(
            f"vectors have {matrix.shape[1]} dimensions; the index holds {state.dimension} ({state.embedder})"
        )
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if not (np.isfinite(norms) & (norms > 0)).all():
        raise ValidationFailed("vectors must be finite and non-zero")
    matrix = matrix / norms
    last: dict[tuple[int, str], int] = {}
    for position, doc in enumerate(docs):
        last[(doc.integration_id, doc.ticket_external_id)] = position
    keep = sorted(last.values())
    return [docs[i] for i in keep], matrix[keep]


def document_rows(
    docs: Sequence[TicketDocument], vectors: npt.NDArray[np.float32], *, embedder: str, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "client_id": doc.client_id,
            "integration_id": doc.integration_id,
            "ticket_external_id": doc.ticket_external_id,
            "number": doc.number,
            "summary": doc.summary,
            "resolution": doc.resolution,
            "body": doc.body,
            "contact_external_id": doc.contact_external_id,
            "closed_at": doc.closed_at,
            "content_hash": doc.content_hash(),
            "embedder": embedder,
            "embedding": vector,
            "indexed_at": now,
        }
        for doc, vector in zip(docs, vectors, strict=True)
    ]


UPSERT_COLUMNS = tuple(
    column
    for column in TICKET_DOCUMENTS.columns.keys()  # noqa: SIM118 - names, not Columns
    if column not in ("id", "integration_id", "ticket_external_id")
)


def chunks(items: Sequence[T], size: int = SQL_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def next_stamp(previous: datetime | None, now: datetime) -> datetime:
    """Strictly later than ``previous``, so two writes never share a stamp."""
    if previous is not None and now <= previous:
        return previous + timedelta(microseconds=1)
    return now


# --- shared queries -----------------------------------------------------------------------------------


async def read_state(session: AsyncSession) -> tuple[IndexState, datetime] | None:
    row = (
        await session.execute(
            select(
                RetrievalIndexState.embedder, RetrievalIndexState.dimension, RetrievalIndexState.updated_at
            ).where(RetrievalIndexState.id == STATE_ID)
        )
    ).one_or_none()
    if row is None:
        return None
    return IndexState(embedder=row.embedder, dimension=row.dimension), row.updated_at


async def hashes_for(session: AsyncSession, integration_id: int, ticket_ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    unique_ids = list(dict.fromkeys(ticket_ids))
    for chunk in chunks(unique_ids):
        rows = await session.execute(
            select(TicketDocumentRow.ticket_external_id, TicketDocumentRow.content_hash).where(
                TicketDocumentRow.integration_id == integration_id,
                TicketDocumentRow.ticket_external_id.in_(chunk),
            )
        )
        found.update((row.ticket_external_id, row.content_hash) for row in rows)
    return found


_DOCUMENT_COLUMNS = (
    TicketDocumentRow.id,
    TicketDocumentRow.client_id,
    TicketDocumentRow.integration_id,
    TicketDocumentRow.ticket_external_id,
    TicketDocumentRow.number,
    TicketDocumentRow.summary,
    TicketDocumentRow.resolution,
    TicketDocumentRow.body,
    TicketDocumentRow.contact_external_id,
    TicketDocumentRow.closed_at,
)


def _document(row: Any) -> TicketDocument:
    return TicketDocument(
        client_id=row.client_id,
        integration_id=row.integration_id,
        ticket_external_id=row.ticket_external_id,
        number=row.number,
        summary=row.summary,
        resolution=row.resolution,
        body=row.body,
        contact_external_id=row.contact_external_id,
        closed_at=row.closed_at,
    )


async def hits_for(
    session: AsyncSession, *, client_id: int, ranked: Sequence[RankedCandidate], limit: int
) -> list[SearchHit]:
    """Load the best ``limit`` candidates in one query per round, still filtered to the client.

    A candidate can vanish between ranking and loading (deleted meanwhile); the next ones fill its place.
    """
    hits: list[SearchHit] = []
    position = 0
    while len(hits) < limit and position < len(ranked):
        wanted = ranked[position : position + limit - len(hits)]
        position += len(wanted)
        rows = await session.execute(
            select(*_DOCUMENT_COLUMNS).where(
                TicketDocumentRow.client_id == client_id,
                TicketDocumentRow.id.in_([candidate.row_id for candidate in wanted]),
            )
        )
        documents = {row.id: _document(row) for row in rows}
        hits.extend(
            SearchHit(
                document=documents[candidate.row_id],
                score=candidate.score,
                similarity=candidate.similarity,
                keyword_rank=candidate.keyword_rank,
            )
            for candidate in wanted
            if candidate.row_id in documents
        )
    return hits


def leg_size(limit: int) -> int:
    return max(CANDIDATES_PER_LEG, limit)
