"""The sandbox PSA's search, picklists, contacts, companies and connection test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import Capability
from connectors.sandbox import SandboxConfig, SandboxPsa, SandboxStore, seed
from core.domain import Picklist, TicketChanges, TicketSearch, TicketState, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from tests.timing import FakeClock
from tests.unit import sandbox_fixtures as fx
from tests.unit.sandbox_fixtures import (
    ARCHITECTS,
    CONNECTWISE_STATUSES,
    DENTAL,
    LAW,
    PRINTER_TICKET,
    START,
    option,
)

# The shared fixtures, bound here so that pytest finds them in this module.
config, psa, store = fx.config, fx.psa, fx.store


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
