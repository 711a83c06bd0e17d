"""ConnectWise picklists, ticket updates and time entries, against the stateful fake or plain respx.

Search, contacts and companies, the connection test and callback registration have their own
modules; the shared fixtures are in ``connectwise_fixtures``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from connectors.connectwise import ConnectWiseClient
from connectors.connectwise.mapping import map_ticket
from core.domain import Picklist, PicklistOption, TicketChanges, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.openapi_check import schema_problems
from tests.contract import connectwise_fixtures as fx
from tests.contract.connectwise_fixtures import START, api_calls, assert_authenticated, ticket_4711

# The shared fixtures, bound here so that pytest finds them in this module.
fake, router, client, schemas = fx.fake, fx.router, fx.client, fx.schemas
raw_router, raw_client = fx.raw_router, fx.raw_client


# -- picklists ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("picklist", "path", "query", "expected"),
    [
        (Picklist.BOARD, "/service/boards", {}, [("1", "Help Desk", None), ("3", "Escalations", None)]),
        (
            Picklist.MEMBER,
            "/system/members",
            {"conditions": "inactiveFlag=false"},
            [("jsmith", "John Smith", None), ("akhan", "Aisha Khan", None),
             (cw.API_MEMBER, "Deskhand Agent", None)],
        ),
        (
            Picklist.PRIORITY,
            "/service/priorities",
            {},
            [("2", "Priority 1 - Emergency Response", None), ("3", "Priority 2 - Quick Response", None),
             ("4", "Priority 3 - Normal Response", None)],
        ),
        (Picklist.TYPE, "/service/boards/1/types", {}, [("8", "Incident", "1"), ("9", "Request", "1")]),
        (
            Picklist.SUBTYPE,
            "/service/boards/1/subtypes",
            {},
            [("21", "Email", "8"), ("21", "Email", "9"), ("22", "Printer", "8"), ("23", "General", None)],
        ),
        (Picklist.ITEM, "/service/boards/1/items", {}, [("31", "Reset", "1"), ("32", "Replace", "1")]),
        (Picklist.WORK_TYPE, "/time/workTypes", {}, [("3", "Regular", None), ("4", "After Hours", None)]),
    ],
)  # fmt: skip
async def test_picklists_read_active_values_once_and_cache_them(
    client: ConnectWiseClient,
    fake: FakeConnectWise,
    picklist: Picklist,
    path: str,
    query: dict[str, str],
    expected: list[tuple[str, str, str | None]],
) -> None:
    options = await client.list_options(picklist, ticket_4711(fake))
    again = await client.list_options(picklist, ticket_4711(fake))

    assert [(o.external_id, o.name, o.parent_id) for o in options] == expected
    assert again == options
    assert api_calls(fake) == [("GET", path, {"pageSize": "1000", **query})]
    assert_authenticated(fake.requests[-1])


async def test_board_scoped_picklists_follow_the_ticket_board_and_need_one(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    on_escalations = map_ticket(cw.ticket(status=(301, "New"), board=(3, "Escalations")), [])
    statuses = await client.list_options(Picklist.STATUS, on_escalations)
    assert [(o.external_id, o.closed, o.parent_id) for o in statuses] == [
        ("301", False, "3"),
        ("302", False, "3"),
        ("303", True, "3"),
    ]
    boardless = ticket_4711(fake).model_copy(update={"board_id": None})
    assert await client.list_options(Picklist.TYPE, boardless) == []
    assert [call[1] for call in api_calls(fake)] == ["/service/boards/3/statuses"]


async def test_picklists_follow_full_pages_up_to_a_cap(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    page = [cw.board_status(1000 + i, f"S{i}") for i in range(1000)]
    route = raw_router.get(f"{cw.API}/service/boards/1/statuses").mock(
        side_effect=[httpx.Response(200, json=page), httpx.Response(200, json=page[:3])]
    )
    options = await raw_client.list_options(Picklist.STATUS, map_ticket(cw.ticket(), []))
    assert len(options) == 1003
    assert [str(call.request.url).split("?")[1] for call in route.calls] == [
        "pageSize=1000",
        "pageSize=1000&page=2",
    ]

    endless = raw_router.get(f"{cw.API}/time/workTypes").respond(
        200, json=[{"id": i, "name": f"W{i}"} for i in range(1, 1001)]
    )
    await raw_client.list_options(Picklist.WORK_TYPE, map_ticket(cw.ticket(), []))
    assert endless.call_count == 5


# -- ticket updates against the stateful fake ------------------------------------------------------------


async def test_update_ticket_moves_board_and_status_together_in_the_fake(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    ticket = ticket_4711(fake)
    board = next(o for o in await client.list_options(Picklist.BOARD, ticket) if o.name == "Escalations")
    on_new_board = ticket.model_copy(update={"board_id": board.external_id})
    status = next(
        o for o in await client.list_options(Picklist.STATUS, on_new_board) if o.name == "Escalated"
    )
    member = next(o for o in await client.list_options(Picklist.MEMBER, ticket) if o.external_id == "akhan")

    await client.update_ticket(ticket, TicketChanges(board=board, status=status, member=member))

    reloaded = await client.get_ticket("4711")
    assert (reloaded.board_id, reloaded.status, reloaded.assignee_id) == ("3", "Escalated", "akhan")
    [patch] = fake.writes("PATCH")
    assert patch.path.endswith("/apis/3.0/service/tickets/4711")
    assert patch.body == [
        {"op": "replace", "path": "board", "value": {"id": 3}},
        {"op": "replace", "path": "status", "value": {"id": 302}},
        {"op": "replace", "path": "owner", "value": {"identifier": "akhan"}},
    ]


async def test_a_status_connectwise_refuses_surfaces_its_message(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    foreign = TicketChanges(
        board=PicklistOption(external_id="3", name="Escalations"),
        status=PicklistOption(external_id="17", name="In Progress"),  # no parent_id: only the PSA can tell
    )
    with pytest.raises(IntegrationError) as caught:
        await client.update_ticket(ticket_4711(fake), foreign)
    assert caught.value.status == 400
    assert "not valid for the ticket's board" in caught.value.detail
    assert fake.tickets[4711]["board"]["id"] == 1


async def test_triage_run_costs_four_calls_once_statuses_are_cached(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    for _run in range(2):
        ticket = await client.get_ticket("4711")
        statuses = await client.list_options(Picklist.STATUS, ticket)
        await client.add_note("4711", "Plan: ask the user to restart.", internal=True)
        waiting = next(o for o in statuses if o.name == "Waiting on Client")
        await client.update_ticket(ticket, TicketChanges(status=waiting))

    per_run = [(method, path) for method, path, _ in api_calls(fake)]
    first, second = per_run[:5], per_run[5:]
    assert first == [
        ("GET", "/service/tickets/4711"),
        ("GET", "/service/tickets/4711/notes"),
        ("GET", "/service/boards/1/statuses"),
        ("POST", "/service/tickets/4711/notes"),
        ("PATCH", "/service/tickets/4711"),
    ]
    assert second == [first[0], first[1], first[3], first[4]]
    assert sum(1 for r in fake.requests if "/login/companyinfo/" in r.path) == 1


# -- time entries ----------------------------------------------------------------------------------------


async def test_log_time_posts_a_service_ticket_time_entry(
    client: ConnectWiseClient, fake: FakeConnectWise, schemas: dict[str, Any]
) -> None:
    entry = TimeEntryDraft(
        started_at=START,
        ended_at=START + timedelta(minutes=30),
        member=PicklistOption(external_id="jsmith", name="John Smith"),
        work_type=PicklistOption(external_id="4", name="After Hours"),
        billable=True,
        notes="Reset the Outlook profile.",
    )

    entry_id = await client.log_time(ticket_4711(fake), entry)

    [post] = fake.writes("POST")
    assert post.path.endswith("/apis/3.0/time/entries")
    assert_authenticated(post)
    assert post.body == {
        "chargeToId": 4711,
        "chargeToType": "ServiceTicket",
        "member": {"identifier": "jsmith"},
        "timeStart": "2026-03-02T09:00:00Z",
        "timeEnd": "2026-03-02T09:30:00Z",
        "workType": {"id": 4},
        "billableOption": "Billable",
        "notes": "",
        "internalNotes": "Reset the Outlook profile.",
        "addToDetailDescriptionFlag": False,
        "addToInternalAnalysisFlag": False,
        "addToResolutionFlag": False,
        "emailResourceFlag": False,
        "emailContactFlag": False,
        "emailCcFlag": False,
    }
    assert schema_problems(post.body, {"$ref": "#/components/schemas/TimeEntry"}, schemas) == []
    [stored] = fake.time_entries
    assert entry_id == str(stored["id"])
    assert stored["member"]["identifier"] == "jsmith" and stored["workType"]["name"] == "After Hours"
    assert schema_problems(stored, {"$ref": "#/components/schemas/TimeEntry"}, schemas) == []


async def test_log_time_without_member_is_booked_to_the_api_member(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    entry = TimeEntryDraft(started_at=START, ended_at=START + timedelta(minutes=15))
    await client.log_time(ticket_4711(fake), entry)
    [post] = fake.writes("POST")
    assert "member" not in post.body and "workType" not in post.body
    assert post.body["billableOption"] == "DoNotBill"
    assert fake.time_entries[0]["member"]["identifier"] == cw.API_MEMBER


@pytest.mark.parametrize(
    "entry",
    [
        TimeEntryDraft(started_at=datetime(2026, 3, 2, 9), ended_at=datetime(2026, 3, 2, 10)),
        TimeEntryDraft(started_at=START, ended_at=START),
        TimeEntryDraft(
            started_at=START,
            ended_at=START + timedelta(hours=1),
            work_type=PicklistOption(external_id="x", name="x"),
        ),
    ],
)
async def test_bad_time_entries_never_reach_connectwise(
    client: ConnectWiseClient, fake: FakeConnectWise, entry: TimeEntryDraft
) -> None:
    with pytest.raises(ValidationFailed):
        await client.log_time(ticket_4711(fake), entry)
    assert fake.requests == []


async def test_a_failed_time_entry_post_is_not_resent(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    route = raw_router.post(f"{cw.API}/time/entries").respond(500, json=cw.error("InternalError", "boom"))
    entry = TimeEntryDraft(started_at=START, ended_at=START + timedelta(minutes=15))
    with pytest.raises(IntegrationError) as caught:
        await raw_client.log_time(map_ticket(cw.ticket(), []), entry)
    assert route.call_count == 1 and caught.value.retryable is True
