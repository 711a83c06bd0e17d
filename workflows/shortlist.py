"""The matcher's shortlist: with many active workflows, only those whose trigger is closest to the ticket
(embedding similarity fused with shared words) are sent to the LLM, so a large library stays cheap.

Triggers are embedded once, when a workflow is saved. A workflow without a vector from the current
embedder (saved before retrieval was set up, or under another model) is never cut: it always goes on.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from core.errors import DeskhandError
from retrieval.embedders import Embedder
from retrieval.store import query_tokens, rrf_fuse
from workflows.tables import Workflow

logger = logging.getLogger(__name__)

SHORTLIST_SIZE = 12  # the LLM reads at most this many triggers per ticket


def trigger_text(title: str, trigger: str) -> str:
    return f"{title}: {trigger}"


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


def _keyword_ranking(rows: Sequence[Workflow], ticket_text: str) -> list[int]:
    """Workflows ordered by shared words with the ticket, rarer words (across triggers) counting more."""
    ticket_words = set(query_tokens(ticket_text))
    documents = {row.id: set(query_tokens(trigger_text(row.title, row.trigger))) for row in rows}
    frequency: dict[str, int] = {}
    for words in documents.values():
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    scores = {
        row_id: sum(math.log(1 + len(rows) / frequency[w]) for w in words & ticket_words)
        for row_id, words in documents.items()
    }
    return [row_id for row_id, score in sorted(scores.items(), key=lambda e: -e[1]) if score > 0]


def shortlist(
    rows: Sequence[Workflow],
    *,
    ticket_text: str,
    ticket_vector: np.ndarray,
    embedder_name: str,
    size: int = SHORTLIST_SIZE,
) -> tuple[list[Workflow], list[Workflow]]:
    """(kept, cut). Everything is kept when there are no more than ``size`` workflows."""
    if len(rows) <= size:
        return list(rows), []
    query = np.asarray(ticket_vector, dtype=np.float32)
    dimension = query.shape[0]
    vectors = {row.id: v for row in rows if (v := _vector_of(row, embedder_name, dimension)) is not None}
    unvectored = [row for row in rows if row.id not in vectors]
    by_similarity = sorted(vectors, key=lambda row_id: -float(np.dot(vectors[row_id], query)))
    embedded = [row for row in rows if row.id in vectors]
    fused = [row_id for row_id, _ in rrf_fuse(by_similarity, _keyword_ranking(embedded, ticket_text))]
    room = max(0, size - len(unvectored))
    chosen = set(fused[:room]) | {row.id for row in unvectored}
    kept = [row for row in rows if row.id in chosen]
    cut = [row for row in rows if row.id not in chosen]
    return kept, cut
