"""The matcher's shortlist: with many active workflows, only those whose trigger is closest to the ticket
(embedding similarity fused with shared words) are sent to the LLM, so a large library stays cheap.

Triggers are embedded once, when a workflow is saved. A workflow without a vector from the current
embedder (saved before retrieval was set up, or under another model) is never cut: it always goes on.

A trigger that describes tickets rather than a topic ("A new ticket raised by a person…", "A ticket where
the requester says the issue is fixed…") applies to tickets of every topic, so no similarity to one ticket
can rank it: next to "printer jams" or "backup failed" it always looks far. Such broad workflows are kept
ahead of the topical ones, leaving at least a third of the shortlist to the closest topical triggers
(``evals/bench/matching.py`` measures what this buys on a labelled set).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence

import numpy as np

from core.errors import DeskhandError
from retrieval.embedders import Embedder
from retrieval.store import query_tokens
from workflows.tables import Workflow

logger = logging.getLogger(__name__)

SHORTLIST_SIZE = 12  # the LLM reads at most this many triggers per ticket
# Reciprocal rank fusion constant: small, because only the first dozen places matter here, so a workflow at
# the top of one leg must beat one that is merely fair in both (the usual 60 flattens the top ranks).
FUSION_K = 5
# Shared words weigh more than the embedding: technicians write triggers in the words requesters use,
# while the ticket's single vector is blurred by everything else in a long email.
KEYWORD_WEIGHT = 1.5
# A trigger about tickets rather than a topic: a determiner, at most two words, then "ticket(s)".
_BROAD_TRIGGER = re.compile(
    r"^\s*(?:a|an|any|every|each|all)\s+(?:[\w/-]+\s+){0,2}?tickets?\b", re.IGNORECASE
)
# Email furniture that says nothing about the request: quoted header fields and legal footers. Their
# names and words (a firm's name in a disclaimer) would otherwise pull that client's workflows forward.
_HEADER_LINE = re.compile(r"^[\s>]*(?:from|sent|to|cc|date|subject)\s*:", re.IGNORECASE)
_FOOTER_LINE = re.compile(
    r"confidential|privileged|intended recipient|registered (?:in|charity|office)|regulated by|"
    r"unsubscribe|scanned for viruses|consider the environment",
    re.IGNORECASE,
)


def trigger_text(title: str, trigger: str) -> str:
    return f"{title}: {trigger}"


def is_broad_trigger(trigger: str) -> bool:
    """True when the trigger is about tickets in general ("A new ticket…", "Any ticket where…")."""
    return _BROAD_TRIGGER.match(trigger) is not None


async def embed_trigger(row: Workflow, embedder: Embedder | None) -> None:
    """Store the trigger's vector on the row; a failure only costs the shortlist, never the save."""
    row.trigger_vector, row.trigger_embedder = None, None
    if embedder is None or not row.trigger.strip():
        return
    try:
        vector = (await embedder.embed([trigger_text(row.title, row.trigger)]))[0]
    except DeskhandError as exc:
        logger.warning("workflow %s trigger not embedded: %s", row.id, exc.detail)
        return
    row.trigger_vector = np.asarray(vector, dtype=np.float32).tobytes()
    row.trigger_embedder = embedder.model_name


def _vector_of(row: Workflow, embedder_name: str, dimension: int) -> np.ndarray | None:
    if row.trigger_vector is None or row.trigger_embedder != embedder_name:
        return None
    vector = np.frombuffer(row.trigger_vector, dtype=np.float32)
    return vector if vector.shape[0] == dimension else None


def request_words(ticket_text: str) -> set[str]:
    """The ticket's searchable words, all of them (a forwarded email's request often starts late), without
    quoted header fields and legal footers."""
    lines = [
        line
        for line in ticket_text.splitlines()
        if not _HEADER_LINE.match(line) and not _FOOTER_LINE.search(line)
    ]
    return set(query_tokens("\n".join(lines), limit=None))


def _keyword_ranking(rows: Sequence[Workflow], ticket_text: str) -> list[int]:
    """Workflows ordered by shared words with the ticket, rarer words (across triggers) counting more."""
    ticket_words = request_words(ticket_text)
    documents = {row.id: set(query_tokens(trigger_text(row.title, row.trigger), limit=None)) for row in rows}
    frequency: dict[str, int] = {}
    for words in documents.values():
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    scores = {
        row_id: sum(math.log(1 + len(rows) / frequency[w]) for w in words & ticket_words)
        for row_id, words in documents.items()
    }
    return [row_id for row_id, score in sorted(scores.items(), key=lambda e: -e[1]) if score > 0]


def _fuse(by_similarity: Sequence[int], by_keywords: Sequence[int]) -> list[int]:
    """Weighted reciprocal rank fusion of the two legs, best first; ties go to the better single rank."""
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    for weight, ranking in ((1.0, by_similarity), (KEYWORD_WEIGHT, by_keywords)):
        for rank, row_id in enumerate(ranking, start=1):
            scores[row_id] = scores.get(row_id, 0.0) + weight / (FUSION_K + rank)
            best_rank[row_id] = min(best_rank.get(row_id, rank), rank)
    return sorted(scores, key=lambda row_id: (-scores[row_id], best_rank[row_id], row_id))


def shortlist(
    rows: Sequence[Workflow],
    *,
    ticket_text: str,
    ticket_vector: np.ndarray,
    embedder_name: str,
    size: int = SHORTLIST_SIZE,
) -> tuple[list[Workflow], list[Workflow]]:
    """(kept, cut). Everything is kept when there are no more than ``size`` workflows.

    Kept, in this order of claim on the ``size`` places: workflows without a usable vector; broad ones
    (``is_broad_trigger``), up to all but a third of the places, the best fused first; then the topical
    ones by fused rank; then any broad ones left. ``kept`` and ``cut`` keep the order of ``rows``.
    """
    if len(rows) <= size:
        return list(rows), []
    query = np.asarray(ticket_vector, dtype=np.float32)
    dimension = query.shape[0]
    vectors = {row.id: v for row in rows if (v := _vector_of(row, embedder_name, dimension)) is not None}
    unvectored = [row for row in rows if row.id not in vectors]
    by_similarity = sorted(vectors, key=lambda row_id: -float(np.dot(vectors[row_id], query)))
    embedded = [row for row in rows if row.id in vectors]
    fused = _fuse(by_similarity, _keyword_ranking(embedded, ticket_text))
    room = max(0, size - len(unvectored))
    broad_ids = {row.id for row in embedded if is_broad_trigger(row.trigger)}
    broad = [row_id for row_id in fused if row_id in broad_ids]
    reserved = broad[: max(0, room - size // 3)]
    # Then the topical ones; broad ones past the reserve only take places no topical one wants.
    order = reserved + [row_id for row_id in fused if row_id not in broad_ids] + broad[len(reserved) :]
    chosen = set(order[:room]) | {row.id for row in unvectored}
    kept = [row for row in rows if row.id in chosen]
    cut = [row for row in rows if row.id not in chosen]
    return kept, cut
