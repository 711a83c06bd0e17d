"""The sandbox PSA behaves like a PSA: state changes are visible and refusals match real ones.

Configuration, seed data, tickets, notes, updates and time entries; search and picklists, the store
and webhooks have their own modules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import PsaConnector, WebhookReceiver
from connectors.sandbox import SandboxConfig, SandboxPsa, SandboxStore, SandboxWebhookReceiver, seed
from core.domain import EventAction, TicketChanges, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from tests.unit import sandbox_fixtures as fx
from tests.unit.sandbox_fixtures import (
    ARCHITECTS,
    CONNECTWISE_STATUSES,
    NEW_STARTER_TICKET,
    PRINTER_TICKET,
    START,
    option,
)

# The shared fixtures, bound here so that pytest finds them in this module.
config, psa, store = fx.config, fx.psa, fx.store


# -- Protocol and configuration ---------------------------------------------------------------------


def test_client_and_receiver_satisfy_the_protocols(psa: SandboxPsa, config: SandboxConfig) -> None:
    assert isinstance(psa, PsaConnector)
    assert isinstance(SandboxWebhookReceiver(config), WebhookReceiver)
    assert psa.kind == "sandbox"
    assert psa.own_identity == config.own_identity == "deskhand"
    assert psa.learned_config() == {}


def test_config_generates_a_sensitive_secret_and_never_shows_it() -> None:
    first, second = SandboxConfig(), SandboxConfig()
    assert first.webhook_secret.get_secret_value() != second.webhook_secret.get_secret_value()
    assert len(first.webhook_secret.get_secret_value()) >= 32
    assert first.webhook_secret.get_secret_value() not in repr(first)
    schema = SandboxConfig.model_json_schema()["properties"]
    assert schema["webhook_secret"]["sensitive"] is True
    assert first.store == "default" and first.dataset == "msp" and first.timeout_seconds == 20


@pytest.mark.parametrize(
    "bad",
    [{"store": "  "}, {"store": "../etc"}, {"dataset": "retail"}, {"agent_identifier": " "}, {"site": "x"}],
)
def test_config_refuses_bad_values(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SandboxConfig.model_validate(bad)


# -- Seed data ----------------------------------------------------------------------------------------


def test_seed_is_a_consistent_msp(store: SandboxStore) -> None:
    assert len(store.companies) == 4
    for company in store.companies.values():
        people = [c for c in store.contacts.values() if c.company_id == company.id]
        assert 3 <= len(people) <= 5
        assert all(c.email.endswith("@" + company.domain) for c in people)
        closed = [t for t in store.tickets.values() if t.company_id == company.id and store.is_closed(t)]
        assert 2 <= len(closed) <= 4
    for board in store.boards.values():
        statuses = {s.name: s.closed for s in store.statuses.values() if s.board_id == board.id}
        assert list(statuses.items()) == CONNECTWISE_STATUSES
    assert {b.name for b in store.boards.values()} == {"Service Desk", "Projects"}
    assert store.member_by_identifier("deskhand") is not None
    samples = store.sample_ticket_ids()
    assert len(samples) == 10
    for ticket_id in samples:
        ticket = store.ticket(ticket_id)
        assert not ticket.closed and ticket.contact is not None and ticket.description
        assert store.contacts[ticket.contact.external_id or ""].company_id == ticket.company.external_id
    by_age = sorted(store.tickets.values(), key=lambda t: t.created_at)
    assert [t.id for t in by_age] == sorted(store.tickets, key=int)  # ids grow with time, as in a PSA
    for ticket_id, notes in store.notes.items():
        created = store.tickets[ticket_id].created_at
        assert all(n.created_at is not None and n.created_at > created for n in notes)


# -- Tickets and notes --------------------------------------------------------------------------------


async def test_get_ticket_returns_names_ids_and_prior_notes(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)

    assert ticket.number == PRINTER_TICKET
    assert (ticket.company.external_id, ticket.company.name) == (ARCHITECTS, "Northlight Architects")
    assert ticket.contact is not None and ticket.contact.email == "chloe@northlightarchitects.co.uk"
    assert (ticket.board, ticket.status, ticket.priority) == ("Service Desk", "In Progress", "P2 - High")
    assert (ticket.type, ticket.subtype, ticket.item) == ("Incident", "Hardware", "Printer")
    assert (ticket.assignee, ticket.assignee_id) == ("Jamie Smith", seed.JAMIE)
    assert [n.author for n in ticket.notes] == ["jsmith", "chloe@northlightarchitects.co.uk"]
    assert ticket.notes[0].internal and not ticket.notes[1].internal
    assert "plotter" in ticket.description and all(n.text != ticket.description for n in ticket.notes)
    assert ticket.updated_by == "chloe@northlightarchitects.co.uk"


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda p: p.get_ticket("999999"), "ticket 999999"),
        (lambda p: p.add_note("999999", "hello", internal=True), "ticket 999999"),
        (lambda p: p.get_contact("999"), "contact 999"),
        (lambda p: p.get_company("999"), "company 999"),
    ],
)
async def test_unknown_records_are_404(psa: SandboxPsa, call: Any, what: str) -> None:
    with pytest.raises(IntegrationError) as caught:
        await call(psa)
    assert caught.value.status == 404
    assert f"{what} not found" in caught.value.detail


async def test_writes_to_an_unknown_ticket_are_404(psa: SandboxPsa) -> None:
    ghost = (await psa.get_ticket(PRINTER_TICKET)).model_copy(update={"external_id": "999999"})
    for write in (
        psa.update_ticket(ghost, TicketChanges(priority=option(seed.P1))),
        psa.log_time(ghost, TimeEntryDraft(started_at=START, ended_at=START + timedelta(minutes=5))),
    ):
        with pytest.raises(IntegrationError) as caught:
            await write
        assert caught.value.status == 404


FULL_WIDTH_5001 = "\uff15\uff10\uff10\uff11"  # looks like 5001, is not ASCII digits


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", "5001/notes", " ", FULL_WIDTH_5001])
async def test_malformed_ids_are_refused_before_any_call(psa: SandboxPsa, bad_id: str) -> None:
    with pytest.raises(ValidationFailed):
        await psa.get_ticket(bad_id)
    with pytest.raises(ValidationFailed):
        await psa.get_contact(bad_id)
    assert psa.store.calls == []


async def test_notes_are_ours_timestamped_and_visible(psa: SandboxPsa, store: SandboxStore) -> None:
    before = datetime.now(UTC)
    internal = await psa.add_note(NEW_STARTER_TICKET, "Plan: create account, assign licence.", internal=True)
    public = await psa.add_note(NEW_STARTER_TICKET, "Hi Grace, we're on it.", internal=False)

    ticket = await psa.get_ticket(NEW_STARTER_TICKET)
    assert ticket.notes[-2:] == (internal, public)
    assert internal.author == public.author == "deskhand"
    assert internal.internal and not public.internal
    assert internal.created_at is not None and internal.created_at >= before
    assert internal.external_id != public.external_id
    assert ticket.updated_by == "deskhand"
    assert store.events[-2:] == [(NEW_STARTER_TICKET, EventAction.UPDATED)] * 2


async def test_blank_note_is_refused(psa: SandboxPsa) -> None:
    with pytest.raises(ValidationFailed):
        await psa.add_note(NEW_STARTER_TICKET, "  \n", internal=True)
    assert psa.store.notes_of(NEW_STARTER_TICKET) == []


# -- Updates ------------------------------------------------------------------------------------------


async def test_update_applies_every_field_in_one_call(psa: SandboxPsa, store: SandboxStore) -> None:
    ticket = await psa.get_ticket(NEW_STARTER_TICKET)
    changes = TicketChanges(
        status=option(seed.SD_IN_PROGRESS),
        priority=option(seed.P2),
        member=option(seed.MARK),
        type=option(seed.REQUEST),
        subtype=option(seed.REQ_USER),
        item=option(seed.NEW_STARTER),
    )

    await psa.update_ticket(ticket, changes)

    after = await psa.get_ticket(NEW_STARTER_TICKET)
    assert (after.status, after.priority, after.assignee) == ("In Progress", "P2 - High", "Mark O'Brien")
    assert (after.type, after.subtype, after.item) == ("Request", "User", "New Starter")
    assert after.updated_by == "deskhand"
    assert after.updated_at is not None and ticket.updated_at is not None
    assert after.updated_at > ticket.updated_at
    assert store.calls.count("update_ticket") == 1


async def test_closing_status_closes_and_reopening_opens(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    await psa.update_ticket(ticket, TicketChanges(status=option(seed.SD_RESOLVED)))
    assert (await psa.get_ticket(PRINTER_TICKET)).closed
    await psa.update_ticket(ticket, TicketChanges(status=option(seed.SD_IN_PROGRESS)))
    assert not (await psa.get_ticket(PRINTER_TICKET)).closed


async def test_board_move_needs_a_status_of_the_new_board(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    projects = option(seed.PROJECTS, "Projects")

    with pytest.raises(ValidationFailed, match="needs a status of that board"):
        await psa.update_ticket(ticket, TicketChanges(board=projects))
    with pytest.raises(ValidationFailed, match="needs a status of that board"):
        await psa.update_ticket(ticket, TicketChanges(board=projects, status=option(seed.SD_NEW)))
    assert (await psa.get_ticket(PRINTER_TICKET)).board == "Service Desk"

    await psa.update_ticket(ticket, TicketChanges(board=projects, status=option(seed.PRJ_NEW)))
    moved = await psa.get_ticket(PRINTER_TICKET)
    assert (moved.board, moved.status, moved.status_id) == ("Projects", "New", seed.PRJ_NEW)
    # The Service Desk classification does not exist on Projects, so it is cleared.
    assert (moved.type_id, moved.subtype_id, moved.item_id) == (None, None, None)
    assert moved.assignee == "Jamie Smith"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (TicketChanges(status=option(seed.PRJ_IN_PROGRESS)), "not a status of board 'Service Desk'"),
        (TicketChanges(status=option("99")), "not a status"),
        (TicketChanges(board=option("9"), status=option(seed.SD_NEW)), "board 9 is not a board"),
        (TicketChanges(priority=option("99")), "priority 99"),
        (TicketChanges(member=option("999")), "member 999"),
        (TicketChanges(member=option("101")), "member 101"),  # the API member is not assignable
        (TicketChanges(type=option(seed.PROJECT)), "not a type of board"),
        (TicketChanges(subtype=option(seed.REQ_USER)), "does not belong to the ticket's type"),
        (TicketChanges(item=option(seed.VPN)), "does not belong to the ticket's subtype"),
    ],
)
async def test_values_outside_the_picklists_are_400_and_change_nothing(
    psa: SandboxPsa, changes: TicketChanges, message: str
) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    # A valid priority rides along: a refused update must not apply half of itself.
    mixed = changes.model_copy(update={"priority": changes.priority or option(seed.P4)})

    with pytest.raises(IntegrationError) as caught:
        await psa.update_ticket(ticket, mixed)

    assert caught.value.status == 400
    assert message in caught.value.detail
    assert await psa.get_ticket(PRINTER_TICKET) == ticket


async def test_new_type_clears_subtype_and_item_unless_given(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    await psa.update_ticket(ticket, TicketChanges(type=option(seed.REQUEST)))
    retyped = await psa.get_ticket(PRINTER_TICKET)
    assert (retyped.type, retyped.subtype, retyped.item) == ("Request", None, None)

    await psa.update_ticket(
        retyped, TicketChanges(type=option(seed.INCIDENT), subtype=option(seed.INC_NETWORK))
    )
    again = await psa.get_ticket(PRINTER_TICKET)
    assert (again.type, again.subtype, again.item) == ("Incident", "Network", None)


async def test_empty_update_is_refused(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    with pytest.raises(ValidationFailed):
        await psa.update_ticket(ticket, TicketChanges())


# -- Time entries -------------------------------------------------------------------------------------


async def test_log_time_records_an_entry_as_our_member(psa: SandboxPsa, store: SandboxStore) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    draft = TimeEntryDraft(
        started_at=START,
        ended_at=START + timedelta(minutes=30),
        work_type=option(seed.REMOTE_SUPPORT),
        billable=True,
        notes="Re-added the plotter on PRINT01",
    )

    entry_id = await psa.log_time(ticket, draft)
    second_id = await psa.log_time(ticket, draft.model_copy(update={"member": option(seed.JAMIE)}))

    first, second = store.time_entries_of(PRINTER_TICKET)
    assert (first.id, second.id) == (entry_id, second_id) and entry_id != second_id
    assert (first.member_identifier, second.member_identifier) == ("deskhand", "jsmith")
    assert (first.hours, first.work_type_id, first.billable) == (0.5, seed.REMOTE_SUPPORT, True)
    assert first.notes == "Re-added the plotter on PRINT01"


@pytest.mark.parametrize(
    ("draft", "error", "status"),
    [
        (TimeEntryDraft(started_at=START, ended_at=START - timedelta(minutes=5)), ValidationFailed, None),
        (TimeEntryDraft(started_at=START, ended_at=START), ValidationFailed, None),
        (
            TimeEntryDraft(started_at=START, ended_at=datetime(2026, 1, 5, 15, 0)),  # naive end
            ValidationFailed,
            None,
        ),
        (
            TimeEntryDraft(started_at=START, ended_at=START + timedelta(hours=1), work_type=option("99")),
            IntegrationError,
            400,
        ),
        (
            TimeEntryDraft(started_at=START, ended_at=START + timedelta(hours=1), member=option("999")),
            IntegrationError,
            400,
        ),
    ],
)
async def test_bad_time_entries_are_refused(
    psa: SandboxPsa, draft: TimeEntryDraft, error: type[Exception], status: int | None
) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    with pytest.raises(error) as caught:
        await psa.log_time(ticket, draft)
    if status is not None:
        assert isinstance(caught.value, IntegrationError) and caught.value.status == status
    assert psa.store.time_entries_of(PRINTER_TICKET) == []
