"""The sandbox PSA behaves like a PSA: state changes are visible, refusals match real ones, webhooks sign."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base import Capability, PsaConnector, WebhookReceiver
from connectors.sandbox import (
    SandboxConfig,
    SandboxPsa,
    SandboxStore,
    SandboxWebhookReceiver,
    encode,
    seed,
    signature_headers,
    ticket_event,
)
from connectors.sandbox.webhook import sign
from core.domain import (
    EventAction,
    Picklist,
    PicklistOption,
    TicketChanges,
    TicketSearch,
    TicketState,
    TimeEntryDraft,
)
from core.errors import AuthenticationError, IntegrationError, ValidationFailed

DENTAL, LAW, ARCHITECTS = seed.DENTAL, seed.LAW, seed.ARCHITECTS
PRINTER_TICKET = "5001"  # Northlight, In Progress, typed, assigned, two prior notes
NEW_STARTER_TICKET = "5004"  # Whitmore & Lane, New, untyped
START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
CONNECTWISE_STATUSES = [("New", False), ("In Progress", False), ("Waiting on Client", False)]
CONNECTWISE_STATUSES += [("Scheduled", False), ("Resolved", True), ("Closed", True)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config() -> SandboxConfig:
    # A fresh store per test: stores are process-wide by name.
    return SandboxConfig(store=f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def psa(config: SandboxConfig) -> SandboxPsa:
    return SandboxPsa(config)


@pytest.fixture
def store(psa: SandboxPsa) -> SandboxStore:
    return psa.store


def option(external_id: str, name: str = "x") -> PicklistOption:
    return PicklistOption(external_id=external_id, name=name)


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


# -- Search -------------------------------------------------------------------------------------------


async def test_search_is_scoped_to_the_company_and_newest_first(psa: SandboxPsa) -> None:
    results = await psa.search_tickets(TicketSearch(company_id=ARCHITECTS, limit=50))

    store = psa.store
    expected = [t.id for t in store.tickets.values() if t.company_id == ARCHITECTS]
    assert sorted(r.external_id for r in results) == sorted(expected)
    assert all(r.company_id == ARCHITECTS for r in results)
    created = [r.created_at for r in results]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]


async def test_search_text_matches_summary_and_description_case_insensitively(psa: SandboxPsa) -> None:
    found = await psa.search_tickets(TicketSearch(company_id=ARCHITECTS, text="PLOTTER offline"))
    # 5001's summary says "Printer"; "plotter" is only in its description.
    assert [r.external_id for r in found] == ["5001", "4803"]

    # The dental practice has printer tickets too, but never shows up in another client's search.
    printers = await psa.search_tickets(TicketSearch(company_id=ARCHITECTS, text="printer"))
    assert [r.external_id for r in printers] == ["5001"]
    dental = await psa.search_tickets(TicketSearch(company_id=DENTAL, text="printer"))
    assert [r.external_id for r in dental] == ["4813"]


async def test_search_filters_state_contact_exclusion_and_limit(psa: SandboxPsa) -> None:
    closed = await psa.search_tickets(TicketSearch(company_id=LAW, state=TicketState.CLOSED))
    assert [r.external_id for r in closed] == ["4811", "4808", "4805", "4802"]
    assert all(r.closed for r in closed)

    open_ = await psa.search_tickets(TicketSearch(company_id=LAW, state=TicketState.OPEN))
    assert [r.external_id for r in open_] == ["5004", "5003", "5002"]

    daniel = await psa.search_tickets(TicketSearch(company_id=LAW, contact_id="312"))
    assert [r.external_id for r in daniel] == ["5002", "4808"]
    assert {r.contact_name for r in daniel} == {"Daniel Lane"}

    others = await psa.search_tickets(
        TicketSearch(company_id=LAW, contact_id="312", exclude_ticket_id="5002")
    )
    assert [r.external_id for r in others] == ["4808"]

    limited = await psa.search_tickets(TicketSearch(company_id=LAW, limit=2))
    assert [r.external_id for r in limited] == ["5004", "5003"]

    assert await psa.search_tickets(TicketSearch(company_id="999")) == []
    assert await psa.search_tickets(TicketSearch(company_id=LAW, text="plotter")) == []


async def test_search_sees_new_tickets_and_status_changes(psa: SandboxPsa, store: SandboxStore) -> None:
    fresh = store.open_ticket(DENTAL, "Card machine not connecting", "The card terminal says no network.")
    results = await psa.search_tickets(TicketSearch(company_id=DENTAL, state=TicketState.OPEN, limit=1))
    assert [r.external_id for r in results] == [fresh.external_id]

    await psa.update_ticket(fresh, TicketChanges(status=option(seed.SD_CLOSED)))
    still_open = await psa.search_tickets(TicketSearch(company_id=DENTAL, state=TicketState.OPEN))
    assert fresh.external_id not in [r.external_id for r in still_open]


# -- Picklists ----------------------------------------------------------------------------------------


async def test_picklists_follow_the_ticket_board(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)

    statuses = await psa.list_options(Picklist.STATUS, ticket)
    assert [(s.name, s.closed) for s in statuses] == CONNECTWISE_STATUSES
    assert {s.parent_id for s in statuses} == {seed.SERVICE_DESK}
    types = await psa.list_options(Picklist.TYPE, ticket)
    assert [t.name for t in types] == ["Incident", "Request"]
    subtypes = await psa.list_options(Picklist.SUBTYPE, ticket)
    assert {s.parent_id for s in subtypes} == {t.external_id for t in types}
    items = await psa.list_options(Picklist.ITEM, ticket)
    assert {i.parent_id for i in items} <= {s.external_id for s in subtypes}
    assert "Outlook" in [i.name for i in items] and "Firewall" not in [i.name for i in items]

    members = await psa.list_options(Picklist.MEMBER, ticket)
    assert "Deskhand Agent" not in [m.name for m in members] and "Jamie Smith" in [m.name for m in members]
    assert [p.name for p in await psa.list_options(Picklist.PRIORITY, ticket)] == [
        "P1 - Critical",
        "P2 - High",
        "P3 - Medium",
        "P4 - Low",
    ]
    assert [w.name for w in await psa.list_options(Picklist.WORK_TYPE, ticket)] == [
        "Remote Support",
        "Onsite",
        "Admin",
    ]
    assert [b.name for b in await psa.list_options(Picklist.BOARD, ticket)] == ["Service Desk", "Projects"]

    on_projects = ticket.model_copy(update={"board_id": seed.PROJECTS})
    project_statuses = await psa.list_options(Picklist.STATUS, on_projects)
    assert {s.external_id for s in project_statuses}.isdisjoint({s.external_id for s in statuses})


async def test_picklists_are_cached_like_a_real_connector(config: SandboxConfig) -> None:
    clock = FakeClock()
    psa = SandboxPsa(config, clock=clock)
    ticket = await psa.get_ticket(PRINTER_TICKET)

    first = await psa.list_options(Picklist.STATUS, ticket)
    assert await psa.list_options(Picklist.STATUS, ticket) == first
    assert psa.store.calls == ["get_ticket", "list_options"]

    await psa.list_options(Picklist.STATUS, ticket.model_copy(update={"board_id": seed.PROJECTS}))
    clock.now += 601
    await psa.list_options(Picklist.STATUS, ticket)
    assert psa.store.calls.count("list_options") == 3


async def test_picklist_of_a_ticket_without_a_known_board(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    with pytest.raises(ValidationFailed):
        await psa.list_options(Picklist.STATUS, ticket.model_copy(update={"board_id": None}))
    with pytest.raises(IntegrationError) as caught:
        await psa.list_options(Picklist.STATUS, ticket.model_copy(update={"board_id": "77"}))
    assert caught.value.status == 404


# -- Contacts, companies, connection ------------------------------------------------------------------


async def test_contact_carries_its_company(psa: SandboxPsa) -> None:
    contact = await psa.get_contact("312")
    assert (contact.name, contact.email, contact.title) == (
        "Daniel Lane",
        "dlane@whitmorelane.co.uk",
        "Partner",
    )
    assert (contact.company_id, contact.company_name) == (LAW, "Whitmore & Lane Solicitors")
    assert not contact.inactive
    assert (await psa.get_contact("334")).inactive  # Sam Patel left the charity


async def test_company_details(psa: SandboxPsa) -> None:
    company = await psa.get_company(DENTAL)
    assert company.name == "Harbourside Dental Practice"
    assert company.identifier == "HarboursideDental"
    assert company.website == "https://www.harboursidedental.co.uk"
    assert company.address is not None and "Bristol" in company.address
    assert company.phone


async def test_check_access_reports_every_capability(psa: SandboxPsa) -> None:
    checks = await psa.check_access()
    assert [c.capability for c in checks] == [c.value for c in Capability]
    assert all(c.ok for c in checks)
    assert psa.store.calls == ["check_access"]


async def test_check_access_and_log_time_agree_on_a_missing_member(config: SandboxConfig) -> None:
    psa = SandboxPsa(config.model_copy(update={"agent_identifier": "ghost-bot"}))
    checks = {c.capability: c for c in await psa.check_access()}
    assert checks[Capability.LOG_TIME].ok is False and "ghost-bot" in checks[Capability.LOG_TIME].detail
    ticket = await psa.get_ticket(PRINTER_TICKET)
    with pytest.raises(IntegrationError) as caught:
        await psa.log_time(ticket, TimeEntryDraft(started_at=START, ended_at=START + timedelta(hours=1)))
    assert caught.value.status == 400


async def test_register_webhook_records_the_url_once(psa: SandboxPsa, store: SandboxStore) -> None:
    url = "https://deskhand.example.com/webhooks/sandbox/3"
    first = await psa.register_webhook(url)
    again = await psa.register_webhook(url)

    assert first.registered and first.external_id is not None
    assert again.external_id == first.external_id
    assert [w.url for w in store.webhooks] == [url]
    with pytest.raises(ValidationFailed):
        await psa.register_webhook("ftp://deskhand.example.com/hook")
    assert len(store.webhooks) == 1


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


# -- Webhooks -----------------------------------------------------------------------------------------


@pytest.fixture
def receiver(config: SandboxConfig) -> SandboxWebhookReceiver:
    return SandboxWebhookReceiver(config)


def test_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    # RFC 4231 test case 2.
    assert sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert signature_headers(SecretStr("Jefe"), b"what do ya want for nothing?")["X-Sandbox-Signature"] == (
        sign("Jefe", b"what do ya want for nothing?")
    )


async def test_genuine_delivery_of_our_own_write_parses_with_our_identity(
    psa: SandboxPsa, config: SandboxConfig, receiver: SandboxWebhookReceiver
) -> None:
    note = await psa.add_note(PRINTER_TICKET, "Plan: re-add plotter", internal=True)
    ticket = await psa.get_ticket(PRINTER_TICKET)
    body = encode(ticket_event(ticket, EventAction.UPDATED, psa.own_identity))

    await receiver.authenticate(signature_headers(config.webhook_secret, body), body)
    parsed = receiver.parse(body)

    assert parsed.entity_type == "ticket" and parsed.action is EventAction.UPDATED
    assert (parsed.external_id, parsed.company_external_id) == (PRINTER_TICKET, ARCHITECTS)
    # Echo detection compares these as equal strings.
    assert parsed.actor == ticket.updated_by == note.author == psa.own_identity
    assert parsed.idempotency_key == json.loads(body)["id"]
    uuid.UUID(parsed.idempotency_key)


async def test_header_name_is_case_insensitive(
    config: SandboxConfig, receiver: SandboxWebhookReceiver
) -> None:
    body = encode(ticket_event(SandboxStore.named(config.store).ticket("5002"), "created", "dlane"))
    await receiver.authenticate({"x-sandbox-signature": sign(config.webhook_secret, body)}, body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Sandbox-Signature": ""},
        {"X-Sandbox-Signature": "sha256=" + "0" * 64},
        {"X-Sandbox-Signature": "sha1=abc"},
    ],
)
async def test_missing_or_forged_signatures_are_refused(
    config: SandboxConfig, receiver: SandboxWebhookReceiver, headers: dict[str, str]
) -> None:
    body = encode(ticket_event(SandboxStore.named(config.store).ticket("5002"), "updated", "dlane"))
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(headers, body)


async def test_wrong_secret_and_tampered_body_are_refused(
    config: SandboxConfig, receiver: SandboxWebhookReceiver
) -> None:
    body = encode(ticket_event(SandboxStore.named(config.store).ticket("5002"), "updated", "dlane"))
    with pytest.raises(AuthenticationError, match="does not match"):
        await receiver.authenticate(signature_headers("someone-else's-secret", body), body)
    tampered = body.replace(b'"5002"', b'"5003"')
    with pytest.raises(AuthenticationError, match="does not match"):
        await receiver.authenticate(signature_headers(config.webhook_secret, body), tampered)


async def test_a_forged_malformed_body_fails_authentication_not_parsing(
    receiver: SandboxWebhookReceiver,
) -> None:
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signature_headers("wrong", b"not json"), b"not json")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"entity": "ticket", "action": "updated", "ticket_id": "5001"}',
        b'{"id": "", "entity": "ticket", "action": "updated", "ticket_id": "5001"}',
        b'{"id": "e1", "action": "updated", "ticket_id": "5001"}',
        b'{"id": "e1", "entity": "ticket", "action": "merged", "ticket_id": "5001"}',
        b'{"id": "e1", "entity": "ticket", "action": "updated"}',
        b'{"id": "e1", "entity": "ticket", "action": "updated", "ticket_id": "../5001"}',
        b'{"id": "e1", "entity": "ticket", "action": "updated", "ticket_id": "5001", "actor": {"x": 1}}',
    ],
)
def test_malformed_envelopes_are_refused(receiver: SandboxWebhookReceiver, body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        receiver.parse(body)


def test_idempotency_key_is_stable_per_event_and_distinct_between_events(
    store: SandboxStore, receiver: SandboxWebhookReceiver
) -> None:
    ticket = store.ticket("5003")
    body = encode(ticket_event(ticket, "updated", "mobrien"))
    assert receiver.parse(body).idempotency_key == receiver.parse(body).idempotency_key  # redelivery
    other = encode(ticket_event(ticket, "updated", "mobrien"))
    assert receiver.parse(other).idempotency_key != receiver.parse(body).idempotency_key
    fixed = ticket_event(ticket, "updated", "mobrien", event_id="evt-42")
    assert receiver.parse(encode(fixed)).idempotency_key == "evt-42"


def test_delete_and_other_entities(store: SandboxStore, receiver: SandboxWebhookReceiver) -> None:
    deleted = receiver.parse(encode(ticket_event(store.ticket("5006"), "deleted", "jsmith")))
    assert (deleted.action, deleted.external_id, deleted.actor) == (EventAction.DELETED, "5006", "jsmith")

    company = receiver.parse(
        encode({"id": "e9", "entity": "Company", "action": "updated", "entity_id": "250", "actor": None})
    )
    assert (company.entity_type, company.external_id, company.actor) == ("company", "250", None)
    assert company.action is EventAction.UPDATED
