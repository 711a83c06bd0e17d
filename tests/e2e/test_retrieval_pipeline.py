"""Similar past tickets end to end on the sandbox PSA: backfill (idempotent, resumable), indexing as
tickets close, and the agent's tool answering from the ticket's own client only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from agent.backfill import progress, start_backfill
from agent.runtime import get_runtime
from agent.tables import RetrievalBackfill
from connectors.sandbox import SandboxPsa, SandboxStore, ticket_event
from connectors.sandbox.config import SandboxConfig
from core.domain import Picklist, TicketChanges
from evals.fakes.llm import ScriptedLLM, agent_calls, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import sandbox_kit

SINCE = datetime(2020, 1, 1, tzinfo=UTC)
PRINTER_TICKET = "5001"  # Northlight Architects


async def finished(backfill_id: int, timeout: float = 60) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        state = await progress(backfill_id)
        if state.status != "running":
            return state.status
        await asyncio.sleep(0.05)
    raise AssertionError(f"backfill {backfill_id} did not finish")


async def test_backfill_similar_tickets_tool_and_indexing_on_close(
    tmp_path: Path, database_url: str | None
) -> None:
    kit = sandbox_kit()
    store = SandboxStore.named(kit.config["store"])
    closed_in_store = sum(1 for record in store.tickets.values() if store.is_closed(record))
    agent = agent_calls(("similar_past_tickets", {}), summary="Looked for similar tickets.")
    llm = ScriptedLLM(matcher=match_by_keyword("printer"), agent=agent)
    async with running_stack(make_settings(tmp_path, database_url), llm, kit=kit) as stack:
        runtime = get_runtime()
        assert runtime.ticket_index is not None
        first = await start_backfill(stack.integration_id, SINCE)
        assert await finished(first) == "succeeded"
        after_first = await progress(first)
        again = await start_backfill(stack.integration_id, SINCE)  # a rerun indexes nothing twice
        assert await finished(again) == "succeeded"
        after_again = await progress(again)
        indexed_total = await runtime.ticket_index.count()

        await stack.create_workflow(
            title="Printer problems", trigger="A printer is offline or not printing.", instructions="Triage."
        )
        printer = ticket_event(store.ticket(PRINTER_TICKET), "created", actor="portal")
        response = await stack.deliver_event(printer)
        run = await stack.wait_for_event(response.json()["event_id"])
        detail = (await stack.api.get(f"/api/v1/runs/{run['id']}", headers=stack.auth)).json()

        # Closing the ticket in the PSA makes it searchable when its webhook arrives.
        psa = SandboxPsa(SandboxConfig(store=kit.config["store"]))
        ticket = await psa.get_ticket(PRINTER_TICKET)
        statuses = await psa.list_options(Picklist.STATUS, ticket)
        resolved = next(o for o in statuses if o.closed)
        await psa.update_ticket(ticket, TicketChanges(status=resolved))
        store.add_customer_reply(
            PRINTER_TICKET, "Thanks, printing again!", "chloe@northlightarchitects.co.uk"
        )
        closed_event = ticket_event(store.ticket(PRINTER_TICKET), "updated", actor="jsmith")
        closing = await stack.deliver_event(closed_event)
        await stack.wait_for_event(closing.json()["event_id"])
        indexed_after_close = await runtime.ticket_index.count()
        async with runtime.db.session() as session:
            rows = (await session.scalars(select(RetrievalBackfill))).all()

    assert after_first.indexed == closed_in_store and after_first.unchanged == 0
    assert after_again.indexed == 0 and after_again.unchanged == closed_in_store
    assert indexed_total == closed_in_store
    assert len(rows) == 2 and all(r.status == "succeeded" and r.cursor is None for r in rows)

    [call] = detail["tool_calls"]
    assert call["tool_name"] == "similar_past_tickets" and call["status"] == "ok", call
    found = call["result"]["data"]["tickets"]
    assert found, "the printer ticket's client has closed printer tickets"
    company = store.tickets[PRINTER_TICKET].company_id
    client_numbers = {number for number, record in store.tickets.items() if record.company_id == company}
    assert {t["number"] for t in found} <= client_numbers  # never another client's ticket
    assert indexed_after_close == closed_in_store + 1
