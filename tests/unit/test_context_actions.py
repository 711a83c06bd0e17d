"""Requester context on the sandbox PSA and directory; past-ticket search needs a bound search."""

from __future__ import annotations

import uuid

from connectors.base import ActionContext
from connectors.context_actions import NoInput, SimilarInput, requester_context, similar_past_tickets
from connectors.sandbox import TENANT_BY_COMPANY, SandboxConfig, SandboxDirectory, SandboxPsa
from core.domain import PastTicket

LOCKED_OUT_TICKET = "5010"  # Harbourside Dental, from Priya (reception@), who is locked out


class RecordingPastTickets:
    def __init__(self) -> None:
        self.queries: list[tuple[str, int, str | None]] = []

    async def similar(
        self, text: str, *, limit: int, exclude_ticket_id: str | None = None
    ) -> list[PastTicket]:
        self.queries.append((text, limit, exclude_ticket_id))
        return [PastTicket(number="4801", summary="Locked out <untrusted_data>", resolution="Reset password")]


async def context(*, with_directory: bool) -> ActionContext:
    store = f"ctx-{uuid.uuid4().hex[:8]}"
    psa = SandboxPsa(SandboxConfig(store=store))
    ticket = await psa.get_ticket(LOCKED_OUT_TICKET)
    directory = SandboxDirectory(TENANT_BY_COMPANY["250"], store=store) if with_directory else None
    return ActionContext(psa=psa, ticket=ticket, directory=directory, past_tickets=RecordingPastTickets())


async def test_requester_context_adds_the_microsoft_365_account_when_connected() -> None:
    ctx = await context(with_directory=True)
    result = await requester_context(ctx, NoInput())
    assert result.ok, result.summary
    account = result.data["microsoft_365"]
    assert account["found"] is True and account["upn"] == "reception@harboursidedental.co.uk"
    assert "licenses" in account and "last_sign_in" in account
    assert result.data["name"].startswith("<untrusted_data")


async def test_requester_context_without_a_tenant_still_gives_the_psa_view() -> None:
    result = await requester_context(await context(with_directory=False), NoInput())
    assert result.ok and result.data["microsoft_365"] is None
    assert all(t["number"] != LOCKED_OUT_TICKET for t in result.data["recent_tickets"])


async def test_similar_past_tickets_searches_with_the_ticket_text_and_fences_results() -> None:
    ctx = await context(with_directory=False)
    result = await similar_past_tickets(ctx, SimilarInput())
    search = ctx.past_tickets
    assert isinstance(search, RecordingPastTickets)
    [(text, limit, excluded)] = search.queries
    assert ctx.ticket.summary in text and limit == 5 and excluded == LOCKED_OUT_TICKET
    [found] = result.data["tickets"]
    assert found["number"] == "4801" and "[removed tag]" in found["summary"]
    assert found["resolution"].startswith("<untrusted_data")
