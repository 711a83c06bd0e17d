"""The sandbox store: shared by name, call counting, reset, helpers and concurrent writers."""

from __future__ import annotations

import asyncio
import threading

import pytest

from connectors.sandbox import SandboxConfig, SandboxPsa, SandboxStore, seed
from core.domain import EventAction, Picklist, TicketChanges
from tests.unit import sandbox_fixtures as fx
from tests.unit.sandbox_fixtures import ARCHITECTS, LAW, NEW_STARTER_TICKET, PRINTER_TICKET, option

# The shared fixtures, bound here so that pytest finds them in this module.
config, psa, store = fx.config, fx.psa, fx.store


# -- Store sharing, call counting, helpers ------------------------------------------------------------


async def test_a_triage_run_costs_four_calls(psa: SandboxPsa, store: SandboxStore) -> None:
    ticket = await psa.get_ticket(NEW_STARTER_TICKET)
    statuses = await psa.list_options(Picklist.STATUS, ticket)
    await psa.add_note(ticket.external_id, "Plan: ...", internal=True)
    await psa.list_options(Picklist.STATUS, ticket)  # cached
    in_progress = next(s for s in statuses if s.name == "In Progress")
    await psa.update_ticket(ticket, TicketChanges(status=in_progress, priority=option(seed.P2)))

    assert store.calls == ["get_ticket", "list_options", "add_note", "update_ticket"]


async def test_clients_with_the_same_store_name_share_state(config: SandboxConfig) -> None:
    writer, reader = SandboxPsa(config), SandboxPsa(config)
    other = SandboxPsa(SandboxConfig(store=f"{config.store}-other"))

    note = await writer.add_note(PRINTER_TICKET, "Shared?", internal=True)

    assert writer.store is reader.store is SandboxStore.named(config.store)
    assert (await reader.get_ticket(PRINTER_TICKET)).notes[-1] == note
    assert note not in (await other.get_ticket(PRINTER_TICKET)).notes


async def test_reset_restores_the_seed_in_place(psa: SandboxPsa, config: SandboxConfig) -> None:
    await psa.add_note(PRINTER_TICKET, "temporary", internal=True)
    SandboxStore.reset(config.store)
    assert [n.text for n in (await psa.get_ticket(PRINTER_TICKET)).notes][-1] != "temporary"
    assert psa.store.calls == ["get_ticket"]


def test_open_ticket_and_customer_reply(store: SandboxStore) -> None:
    ticket = store.open_ticket(
        LAW, "Can't print to the copier", "Hi, the copier on floor 3 won't take my jobs.", contact_id="315"
    )
    assert ticket.external_id == "5011"  # the next id after the seeded tickets
    assert (ticket.status, ticket.board, ticket.priority) == ("New", "Service Desk", "P3 - Medium")
    assert ticket.contact is not None and ticket.contact.name == "Aisha Begum"
    assert store.events[-1] == (ticket.external_id, EventAction.CREATED)

    reply = store.add_customer_reply(ticket.external_id, "It works now, thanks!", "abegum@whitmorelane.co.uk")
    assert store.notes_of(ticket.external_id) == [reply] and not reply.internal
    assert store.ticket(ticket.external_id).updated_by == "abegum@whitmorelane.co.uk"
    assert store.events[-1] == (ticket.external_id, EventAction.UPDATED)

    project = store.open_ticket(
        ARCHITECTS, "Office move", "Moving in June.", board="Projects", priority=seed.P4
    )
    assert (project.board, project.status_id, project.priority) == ("Projects", seed.PRJ_NEW, "P4 - Low")
    with pytest.raises(KeyError):
        store.open_ticket(LAW, "Wrong person", "x", contact_id="301")  # a dental contact
    with pytest.raises(KeyError):
        store.ticket("424242")


def test_concurrent_writers_from_several_threads_and_loops(config: SandboxConfig) -> None:
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        async def write() -> None:
            psa = SandboxPsa(config)
            for n in range(20):
                await psa.add_note(PRINTER_TICKET, f"writer {index} note {n}", internal=True)

        try:
            asyncio.run(write())
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    notes = SandboxStore.named(config.store).notes_of(PRINTER_TICKET)
    ours = [n for n in notes if n.author == "deskhand"]
    assert len(ours) == 160
    assert len({n.external_id for n in notes}) == len(notes)
