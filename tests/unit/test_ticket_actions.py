"""The PSA-neutral ticket actions, run against the sandbox PSA: names resolve, scope holds, state changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from connectors.base import ActionContext, ActionResult, Risk
from connectors.picklists import PicklistMiss, find_option
from connectors.sandbox import SandboxConfig, SandboxPsa, seed
from connectors.ticket_actions import TICKET_ACTIONS
from connectors.ticket_field_actions import TimeInput
from core.domain import Picklist, PicklistOption
from core.errors import ValidationFailed

PRINTER_TICKET = "5001"  # Northlight Architects, Service Desk, In Progress, contact Chloe (322)
NEW_STARTER_TICKET = "5004"  # Whitmore & Lane, New, untyped
ACTIONS = {action.name: action for action in TICKET_ACTIONS}


@pytest.fixture
def psa() -> SandboxPsa:
    return SandboxPsa(SandboxConfig(store=f"actions-{uuid.uuid4().hex[:10]}"))


async def run(psa: SandboxPsa, ticket_id: str, name: str, **args: Any) -> ActionResult:
    action = ACTIONS[name]
    ticket = await psa.get_ticket(ticket_id)
    parsed: BaseModel = action.input_model.model_validate(args)
    return await action.handler(ActionContext(psa=psa, ticket=ticket), parsed)


def test_catalogue_is_complete_and_every_write_is_marked() -> None:
    assert set(ACTIONS) == {
        "get_ticket",
        "search_client_tickets",
        "get_contact",
        "get_company",
        "add_internal_note",
        "add_customer_note",
        "set_ticket_status",
        "assign_ticket",
        "classify_ticket",
        "log_time",
    }
    reads = {name for name, action in ACTIONS.items() if action.risk is Risk.READ}
    assert reads == {"get_ticket", "search_client_tickets", "get_contact", "get_company"}
    for action in TICKET_ACTIONS:
        assert len(action.description) > 60, action.name
        assert action.input_model.model_json_schema()["type"] == "object"


async def test_status_by_name_changes_the_ticket_and_records_ids_for_echo_detection(psa: SandboxPsa) -> None:
    result = await run(psa, PRINTER_TICKET, "set_ticket_status", status="  waiting ON client ")
    assert result.ok, result.summary
    assert result.before == {"status": "In Progress", "status_id": seed.SD_IN_PROGRESS}
    assert result.after == {"status": "Waiting on Client", "status_id": seed.SD_WAITING}
    assert (await psa.get_ticket(PRINTER_TICKET)).status == "Waiting on Client"


async def test_unknown_status_is_refused_with_the_valid_names(psa: SandboxPsa) -> None:
    with pytest.raises(PicklistMiss) as refused:
        await run(psa, PRINTER_TICKET, "set_ticket_status", status="Parked")
    assert "'Waiting on Client'" in refused.value.detail and "'Scheduled'" in refused.value.detail
    assert (await psa.get_ticket(PRINTER_TICKET)).status == "In Progress"


async def test_setting_the_current_status_writes_nothing(psa: SandboxPsa) -> None:
    calls_before = len(psa.store.calls)
    result = await run(psa, PRINTER_TICKET, "set_ticket_status", status="In Progress")
    assert result.ok and "already" in result.summary
    assert "update_ticket" not in psa.store.calls[calls_before:]


async def test_assign_to_member_by_name_and_move_board_keeping_the_status_name(psa: SandboxPsa) -> None:
    result = await run(psa, PRINTER_TICKET, "assign_ticket", board="Projects", member="Lily Chen")
    assert result.ok, result.summary
    ticket = await psa.get_ticket(PRINTER_TICKET)
    assert (ticket.board, ticket.status, ticket.assignee) == ("Projects", "In Progress", "Lily Chen")
    assert ticket.status_id == seed.PRJ_IN_PROGRESS  # the Projects board's own "In Progress"
    assert result.after is not None and result.after["assignee_id"] == seed.LILY


async def test_assign_needs_something_to_do() -> None:
    with pytest.raises(ValidationError):
        ACTIONS["assign_ticket"].input_model.model_validate({})


async def test_classify_resolves_priority_type_and_a_subtype_of_that_type(psa: SandboxPsa) -> None:
    result = await run(
        psa, NEW_STARTER_TICKET, "classify_ticket", priority="P3 - Medium", type="Request", subtype="User"
    )
    assert result.ok, result.summary
    ticket = await psa.get_ticket(NEW_STARTER_TICKET)
    assert (ticket.priority, ticket.type, ticket.subtype) == ("P3 - Medium", "Request", "User")
    with pytest.raises(PicklistMiss):  # "Email" is an Incident subtype, not a Request one
        await run(psa, NEW_STARTER_TICKET, "classify_ticket", subtype="Email")


async def test_log_time_in_hours_creates_an_entry(psa: SandboxPsa) -> None:
    result = await run(
        psa, PRINTER_TICKET, "log_time", hours=0.5, work_type="Remote Support", notes="Cleared print queue"
    )
    assert result.ok, result.summary
    [entry] = psa.store.time_entries_of(PRINTER_TICKET)
    assert round((entry.ended_at - entry.started_at).total_seconds()) == 1800
    assert result.after is not None and result.after["hours"] == 0.5


def test_time_input_rules() -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        TimeInput()
    with pytest.raises(ValidationError):
        TimeInput(hours=1, started_at=now)
    with pytest.raises(ValidationError):
        TimeInput(started_at=datetime(2026, 11, 21, 9), ended_at=datetime(2026, 11, 21, 10))
    future = TimeInput(started_at=now, ended_at=now + timedelta(hours=1))
    with pytest.raises(ValidationFailed, match="future"):
        future.span(now)
    backwards = TimeInput(started_at=now, ended_at=now - timedelta(hours=1))
    with pytest.raises(ValidationFailed, match="after"):
        backwards.span(now)
    start, end = TimeInput(hours=1.5).span(now)
    assert (start, end) == (now - timedelta(hours=1.5), now)


async def test_search_only_ever_returns_the_tickets_own_company(psa: SandboxPsa) -> None:
    result = await run(psa, PRINTER_TICKET, "search_client_tickets", state="any", limit=20)
    assert result.ok
    numbers = {t["number"] for t in result.data["tickets"]}
    assert numbers and PRINTER_TICKET not in numbers
    for number in numbers:
        assert (await psa.get_ticket(number)).company.external_id == seed.ARCHITECTS
    assert all(t["summary"].startswith("<untrusted_data") for t in result.data["tickets"])


async def test_search_by_requester_and_closed_state(psa: SandboxPsa) -> None:
    result = await run(psa, PRINTER_TICKET, "search_client_tickets", requester_only=True, state="closed")
    for found in result.data["tickets"]:
        ticket = await psa.get_ticket(found["number"])
        assert ticket.closed and ticket.contact is not None and ticket.contact.external_id == "322"


async def test_contact_of_another_company_is_refused_without_its_details(psa: SandboxPsa) -> None:
    own = await run(psa, PRINTER_TICKET, "get_contact")
    assert own.ok and own.data["email"] == "chloe@northlightarchitects.co.uk"
    other = await run(psa, PRINTER_TICKET, "get_contact", contact_id="311")  # a Whitmore & Lane partner
    assert not other.ok and other.data == {}
    assert "ewhitmore" not in other.summary


async def test_company_is_always_the_tickets_own(psa: SandboxPsa) -> None:
    result = await run(psa, PRINTER_TICKET, "get_company")
    assert result.data["name"] == "Northlight Architects"
    assert "company_id" not in ACTIONS["get_company"].input_model.model_fields


async def test_customer_note_is_visible_and_internal_note_is_not(psa: SandboxPsa) -> None:
    await run(psa, PRINTER_TICKET, "add_customer_note", text="We're on it.")
    await run(psa, PRINTER_TICKET, "add_internal_note", text="Checked the queue.")
    *_, reply, internal = psa.store.notes_of(PRINTER_TICKET)
    assert (reply.text, reply.internal) == ("We're on it.", False)
    assert (internal.text, internal.internal) == ("Checked the queue.", True)
    assert reply.author == internal.author == "deskhand"


def test_find_option_is_strict() -> None:
    options = [
        PicklistOption(external_id="1", name="In Progress"),
        PicklistOption(external_id="2", name="New"),
    ]
    assert find_option(options, "in  progress") == options[0]
    assert find_option(options, "2") == options[1]
    assert find_option(options, "Progress") is None
    twins = [PicklistOption(external_id="1", name="Open"), PicklistOption(external_id="2", name="open")]
    assert find_option(twins, "Open") is None


async def test_every_picklist_the_actions_use_has_values_in_the_sandbox(psa: SandboxPsa) -> None:
    ticket = await psa.get_ticket(PRINTER_TICKET)
    for picklist in (Picklist.STATUS, Picklist.BOARD, Picklist.MEMBER, Picklist.PRIORITY, Picklist.WORK_TYPE):
        assert await psa.list_options(picklist, ticket), picklist
