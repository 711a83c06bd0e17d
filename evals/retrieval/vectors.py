"""Vectors for the retrieval benchmarks without the embedder, and the exact search they are checked against.

``random_projection`` is the fast path for scale runs: each word gets a fixed pseudo-random Gaussian
direction (seeded by the word), a text is the normalised sum of its words' directions. That is a random
projection of the bag of words: tickets sharing words get nearby vectors, which gives the HNSW graph the
clustered structure of real embeddings, not uniform noise. It is not semantic, so it says nothing about
relevance; it only stands in for the embedder when measuring latency and recall.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
_TOKEN = re.compile(r"[a-z0-9]+")


def random_projection(texts: Sequence[str], *, dimension: int = 384, seed: int = 0) -> Matrix:
    """Unit float32 vectors, shape ``(len(texts), dimension)``; the same text always gives the same row."""
    directions: dict[str, Matrix] = {}
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for row, text in enumerate(texts):
        for token in _TOKEN.findall(text.lower()):
            direction = directions.get(token)
            if direction is None:
                rng = np.random.default_rng([seed, zlib.crc32(token.encode())])
                direction = directions[token] = rng.standard_normal(dimension).astype(np.float32)
            out[row] += direction
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    unit: Matrix = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
    return unit


@dataclass(frozen=True)
class ExactNeighbours:
    positions: npt.NDArray[np.int64]  # corpus positions, best first
    similarities: Matrix  # their cosine similarities
    kth_similarity: float  # similarity of the k-th best; a tie with it is as good a neighbour


class ExactSearch:
    """Brute-force cosine search over the same vectors the store holds, filtered by client like the store."""

    def __init__(self, vectors: Matrix, client_ids: Sequence[int], ticket_ids: Sequence[str]) -> None:
        self.vectors = vectors
        clients = np.asarray(client_ids, dtype=np.int64)
        self._clients = clients
        self._by_client = {int(c): np.flatnonzero(clients == c) for c in np.unique(clients)}
        self._position = {ticket_id: i for i, ticket_id in enumerate(ticket_ids)}

    def client_size(self, client_id: int) -> int:
        found = self._by_client.get(client_id)
        return 0 if found is None else int(found.shape[0])

    def top(self, client_id: int, query: Matrix, k: int) -> ExactNeighbours:
        positions = self._by_client.get(client_id, np.zeros(0, dtype=np.int64))
        similarities = self.vectors[positions] @ query
        order = np.argsort(-similarities, kind="stable")[:k]
        best = similarities[order]
        kth = float(best[-1]) if best.shape[0] else float("-inf")
        return ExactNeighbours(positions[order], best, kth)

    def similarity(self, ticket_id: str, query: Matrix) -> float | None:
        position = self._position.get(ticket_id)
        return None if position is None else float(self.vectors[position] @ query)

    def recall(self, client_id: int, query: Matrix, found_ticket_ids: Sequence[str], k: int) -> float:
        """Share of the exact top ``k`` that the store returned. A returned ticket tied with the exact k-th
        (within float32 noise) counts as found: among equal vectors any choice is correct."""
        exact = self.top(client_id, query, k)
        wanted = int(exact.positions.shape[0])
        if wanted == 0:
            return 1.0
        good = 0
        for ticket_id in list(dict.fromkeys(found_ticket_ids))[:k]:
            position = self._position.get(ticket_id)
            if position is None or self._clients[position] != client_id:
                continue  # not this client's ticket: never a correct neighbour
            if float(self.vectors[position] @ query) >= exact.kth_similarity - 1e-5:
                good += 1
        return min(good, wanted) / wanted
