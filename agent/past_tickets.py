"""The past-ticket search of one client, and keeping the index fed with tickets as they close."""

from __future__ import annotations

import logging

from agent.runtime import get_runtime
from agent.tables import Run
from core.domain import ClientInfo, Note, PastTicket, Ticket
from retrieval.documents import SearchMode, TicketDocument
from retrieval.embedders import Embedder
from retrieval.store import TicketIndex

logger = logging.getLogger(__name__)

RESOLUTION_CHARS = 1500


class ClientPastTickets:
    """``connectors.base.PastTickets`` bound to one client: the client id never comes from a caller."""

    def __init__(self, index: TicketIndex, embedder: Embedder, *, client_id: int) -> None:
        self._index = index
        self._embedder = embedder
        self._client_id = client_id

    async def similar(
        self, text: str, *, limit: int, exclude_ticket_id: str | None = None
    ) -> list[PastTicket]:
        vectors = await self._embedder.embed([text])
        hits = await self._index.search(
            client_id=self._client_id,
            query_text=text,
            query_vector=vectors[0],
            limit=limit,
            mode=SearchMode.HYBRID,
            exclude_ticket_id=exclude_ticket_id,
        )
        return [
            PastTicket(
                number=hit.document.number,
                summary=hit.document.summary,
                resolution=hit.document.resolution,
                similarity=hit.similarity,
                closed_at=hit.document.closed_at,
            )
            for hit in hits
        ]


def resolution_of(notes: tuple[Note, ...]) -> str:
    """How it was fixed: the last internal note, else the last note (what technicians write on closing)."""
    internal = [n for n in notes if n.internal and n.text.strip()]
    chosen = internal[-1] if internal else next((n for n in reversed(notes) if n.text.strip()), None)
    return chosen.text.strip()[:RESOLUTION_CHARS] if chosen else ""


def document_for(ticket: Ticket, *, client: ClientInfo, integration_id: int) -> TicketDocument:
    notes = "\n".join(n.text for n in ticket.notes if n.text.strip())
    return TicketDocument(
        client_id=client.id,
        integration_id=integration_id,
        ticket_external_id=ticket.external_id,
        number=ticket.number,
        summary=ticket.summary,
        resolution=resolution_of(ticket.notes),
        body=f"{ticket.description}\n{notes}".strip(),
        contact_external_id=ticket.contact.external_id if ticket.contact else None,
        closed_at=ticket.updated_at,
    )


async def index_tickets(
    index: TicketIndex, embedder: Embedder, documents: list[TicketDocument]
) -> tuple[int, int]:
    """Embed and store the documents whose content changed; returns (indexed, unchanged)."""
    if not documents:
        return 0, 0
    by_integration: dict[int, list[TicketDocument]] = {}
    for doc in documents:
        by_integration.setdefault(doc.integration_id, []).append(doc)
    changed: list[TicketDocument] = []
    for integration_id, docs in by_integration.items():
        known = await index.known_hashes(
            integration_id=integration_id, ticket_ids=[d.ticket_external_id for d in docs]
        )
        changed.extend(d for d in docs if known.get(d.ticket_external_id) != d.content_hash())
    if changed:
        vectors = await embedder.embed([d.embedding_text() for d in changed])
        await index.upsert(changed, vectors)
    return len(changed), len(documents) - len(changed)


async def ensure_index_matches(index: TicketIndex, embedder: Embedder) -> bool:
    """Reset the index when the embedder changed (model or dimension); True when it was reset.

    Vectors of two models live in different spaces: mixing them would make every search wrong."""
    state = await index.index_state()
    dimension = embedder.dimension
    if state is not None and (state.embedder, state.dimension) == (embedder.model_name, dimension):
        return False
    if state is not None:
        logger.warning(
            "embedder changed from %s/%d to %s/%d: the ticket index is rebuilt",
            state.embedder, state.dimension, embedder.model_name, dimension,
        )  # fmt: skip
    await index.reset(embedder=embedder.model_name, dimension=dimension)
    return state is not None


async def index_closed_ticket(run_id: int, ticket: Ticket, client: ClientInfo) -> str:
    """Pipeline step: a ticket seen closed becomes searchable. Best effort: a retrieval failure is logged
    and never fails the ticket's run (the backfill catches up later)."""
    runtime = get_runtime()
    if runtime.ticket_index is None or runtime.embedder is None or not ticket.closed:
        return "skipped"
    async with runtime.db.session() as session:
        run = await session.get(Run, run_id)
        integration_id = run.integration_id if run is not None else None
    if integration_id is None:
        return "skipped"
    document = document_for(ticket, client=client, integration_id=integration_id)
    try:
        indexed, _ = await index_tickets(runtime.ticket_index, runtime.embedder, [document])
    except Exception as exc:  # auxiliary: never let the index break a ticket run
        logger.warning("ticket %s not indexed: %s", ticket.external_id, exc)
        return "failed"
    return "indexed" if indexed else "unchanged"
