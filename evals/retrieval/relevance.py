"""MRR@5 of the ticket index on the labelled set, per search mode, with a real embedder.

The labelled corpus is indexed with the embedder's vectors of each ticket's ``embedding_text`` (summary,
body, resolution), as the indexer does. Each query is a new ticket: its ``embedding_text`` (no resolution
yet) is both the query text and what is embedded, and its own id is excluded, as the agent searches.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import text

from core.database import Database
from evals.retrieval.databases import add_clients
from evals.retrieval.labelled import (
    LABELLED_CLIENTS,
    PAST_PREFIX,
    LabelledQuery,
    corpus_documents,
    labelled_queries,
    reciprocal_rank,
)
from retrieval.documents import SearchMode, TicketDocument
from retrieval.embedders import Embedder
from retrieval.store import build_index

K = 5
Matrix = npt.NDArray[np.float32]
MODES = (SearchMode.VECTOR, SearchMode.KEYWORD, SearchMode.HYBRID)


@dataclass(frozen=True)
class ModeFigures:
    mode: SearchMode
    mrr: float  # mean reciprocal rank of the first relevant ticket within the top 5
    hit_at_1: float  # share of queries whose first hit is relevant
    hit_at_5: float  # share of queries with a relevant ticket in the top 5
    confuser_first: int  # queries whose first hit is a hand-written confuser (same symptom, other cause)
    leaks: int  # hits from another client (must be 0)
    reciprocal_ranks: dict[str, float] = field(default_factory=dict)  # query key -> 1/rank


@dataclass(frozen=True)
class RelevanceFigures:
    corpus_size: int
    queries: int
    relevant_per_query: float
    embed_seconds: float
    modes: list[ModeFigures]


@dataclass(frozen=True)
class EmbeddedLabelledSet:
    corpus: list[TicketDocument]
    vectors: Matrix
    queries: list[LabelledQuery]
    query_vectors: Matrix
    embed_seconds: float


async def embed_labelled_set(embedder: Embedder, *, query_limit: int | None = None) -> EmbeddedLabelledSet:
    """The labelled corpus and queries with their vectors (once; reused for every backend).

    With ``query_limit``, only the corpus of the selected queries' clients is kept: searches are filtered by
    client, so the other clients' tickets could only change the keyword leg's corpus statistics.
    """
    queries = labelled_queries(query_limit)
    clients = {q.client_id for q in queries}
    corpus = [doc for doc in corpus_documents() if doc.client_id in clients]
    began = time.perf_counter()
    vectors = await embedder.embed([doc.embedding_text() for doc in corpus])
    query_vectors = await embedder.embed([q.document.embedding_text() for q in queries])
    return EmbeddedLabelledSet(corpus, vectors, queries, query_vectors, time.perf_counter() - began)


async def measure_relevance(
    db: Database, embedder: Embedder, labelled: EmbeddedLabelledSet
) -> RelevanceFigures:
    """Index the labelled corpus into ``db`` (a fresh, migrated database) and score every mode."""
    await add_clients(db, LABELLED_CLIENTS)
    index = build_index(db)
    await index.reset(embedder=embedder.model_name, dimension=embedder.dimension)
    corpus, queries, query_vectors = labelled.corpus, labelled.queries, labelled.query_vectors
    await index.upsert(corpus, labelled.vectors)
    if db.is_postgres:
        # The statistics autovacuum would gather by itself, now, so every run ranks the same way.
        async with db.write_session() as session:
            await session.execute(text("ANALYZE ticket_documents"))
    confusers = {d.ticket_external_id for d in corpus if _is_confuser(d.ticket_external_id)}

    modes = []
    for mode in MODES:
        ranks: dict[str, float] = {}
        first_is_confuser = leaks = 0
        for query, vector in zip(queries, query_vectors, strict=True):
            hits = await index.search(
                client_id=query.client_id,
                query_text=query.document.embedding_text(),
                query_vector=vector,
                limit=K,
                mode=mode,
                exclude_ticket_id=query.document.ticket_external_id,
            )
            ranked = [hit.document.ticket_external_id for hit in hits]
            ranks[query.key] = reciprocal_rank(ranked, query.relevant_ids, k=K)
            first_is_confuser += bool(ranked) and ranked[0] in confusers
            leaks += sum(
                1
                for hit in hits
                if hit.document.client_id != query.client_id
                or hit.document.ticket_external_id in query.other_client_ids
            )
        values = list(ranks.values())
        modes.append(
            ModeFigures(
                mode=mode,
                mrr=_mean(values),
                hit_at_1=_mean([1.0 if r == 1.0 else 0.0 for r in values]),
                hit_at_5=_mean([1.0 if r > 0 else 0.0 for r in values]),
                confuser_first=first_is_confuser,
                leaks=leaks,
                reciprocal_ranks=ranks,
            )
        )
    return RelevanceFigures(
        corpus_size=len(corpus),
        queries=len(queries),
        relevant_per_query=_mean([float(len(q.relevant_ids)) for q in queries]),
        embed_seconds=labelled.embed_seconds,
        modes=modes,
    )


def _is_confuser(ticket_id: str) -> bool:
    return ticket_id.startswith(PAST_PREFIX) and ticket_id.rsplit("-", 1)[-1].startswith("c")


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
