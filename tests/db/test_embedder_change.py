"""Changing the embedder empties the index and records the new model, instead of mixing vector spaces."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agent.past_tickets import ensure_index_matches
from core.database import Database
from core.migrations.runner import upgrade
from core.tables import Client, Integration
from retrieval.documents import TicketDocument
from retrieval.store import build_index


class UnitEmbedder:
    """A deterministic stand-in at the embedder seam: every text maps to one fixed unit vector."""

    def __init__(self, name: str, dimension: int) -> None:
        self.model_name = name
        self.dimension = dimension

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


async def test_a_new_embedder_resets_the_index_and_the_same_one_does_not(
    database_url: str | None, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'index.sqlite'}"
    upgrade(url)
    db = Database(url)
    try:
        index = build_index(db)
        first = UnitEmbedder("local/all-MiniLM-L6-v2", 384)
        assert await ensure_index_matches(index, first) is False  # first start: set up, nothing to rebuild
        async with db.session() as session:
            client = Client(name="Acme")
            integration = Integration(kind="sandbox", name="S", config_encrypted="x", status="active")
            session.add_all([client, integration])
            await session.flush()
            client_id, integration_id = client.id, integration.id
        doc = TicketDocument(
            client_id=client_id,
            integration_id=integration_id,
            ticket_external_id="1",
            number="1",
            summary="VPN",
        )
        await index.upsert([doc], await first.embed([doc.embedding_text()]))
        assert await ensure_index_matches(index, first) is False  # unchanged: keep everything
        assert await index.count() == 1
        second = UnitEmbedder("openai/text-embedding-3-small", 1536)
        assert await ensure_index_matches(index, second) is True
        state = await index.index_state()
        assert state is not None and (state.embedder, state.dimension) == (second.model_name, 1536)
        assert await index.count() == 0
    finally:
        await db.dispose()
