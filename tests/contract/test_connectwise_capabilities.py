"""ConnectWise picklists, time, search, contacts, companies, access checks and callback registration.

Most tests run the client against the stateful ``FakeConnectWise`` (mounted with respx) and assert the
requests it recorded; retries and paging edge cases use plain respx routes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from connectors.base import Capability
from connectors.connectwise import ConnectWiseClient
from connectors.connectwise.mapping import map_ticket
from core.domain import Picklist, PicklistOption, TicketChanges, TicketSearch, TicketState, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise, Recorded, parse_conditions

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples" / "connectwise"
SPEC_PATH = SAMPLES / "openapi-subset-2026.4-get-only.json"
WRITE_SHAPES_PATH = SAMPLES / "write-shapes.derived.json"
WEBHOOK_URL = "https://deskhand.example.com/webhooks/connectwise/7"
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def fake() -> FakeConnectWise:
    fake = FakeConnectWise()
    fake.add_ticket(4711)
    return fake


@pytest.fixture
def router(fake: FakeConnectWise) -> respx.MockRouter:
    def respond(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = fake.handle(request.method, str(request.url), headers, request.content)
        return httpx.Response(status, json=payload)

    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.route(host=cw.CLOUD_HOST).mock(side_effect=respond)
    return router


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[ConnectWiseClient]:
    client = ConnectWiseClient(
        cw.config(), transport=httpx.MockTransport(router.handler), sleep=no_sleep, clock=FakeClock()
    )
    yield client
    await client.aclose()


@pytest.fixture
def raw_router() -> respx.MockRouter:
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.get(f"{cw.ORIGIN}/login/companyinfo/{cw.COMPANY_ID}").respond(200, json=cw.company_info())
    return router


@pytest.fixture
async def raw_client(raw_router: respx.MockRouter) -> AsyncIterator[ConnectWiseClient]:
    client = ConnectWiseClient(
        cw.config(), transport=httpx.MockTransport(raw_router.handler), sleep=no_sleep, clock=FakeClock()
    )
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"ConnectWise OpenAPI subset not present at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())["components"]["schemas"]  # type: ignore[no-any-return]


def api_calls(fake: FakeConnectWise) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path under /apis/3.0, query) of every authenticated API request, companyinfo left out."""
    calls = []
    for recorded in fake.requests:
        if "/apis/3.0" in recorded.path:
            query = {k: v[-1] for k, v in parse_qs(recorded.query).items()}
            calls.append((recorded.method, recorded.path.split("/apis/3.0", 1)[1], query))
    return calls


def assert_authenticated(recorded: Recorded) -> None:
    token = base64.b64encode(f"{cw.COMPANY_ID}+{cw.PUBLIC_KEY}:{cw.PRIVATE_KEY}".encode()).decode()
    assert recorded.headers["authorization"] == f"Basic {token}"
    assert recorded.headers["clientid"] == cw.CLIENT_ID
    assert recorded.headers["accept"] == "application/json"


def ticket_4711(fake: FakeConnectWise) -> Any:
    return map_ticket(fake.tickets[4711], [])


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
    assert cw.schema_problems(post.body, {"$ref": "#/components/schemas/TimeEntry"}, schemas) == []
    [stored] = fake.time_entries
    assert entry_id == str(stored["id"])
    assert stored["member"]["identifier"] == "jsmith" and stored["workType"]["name"] == "After Hours"
    assert cw.schema_problems(stored, {"$ref": "#/components/schemas/TimeEntry"}, schemas) == []


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


# -- search ----------------------------------------------------------------------------------------------


async def test_search_tickets_is_company_scoped_newest_first_and_skips_the_current_ticket(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    fake.add_ticket(4700, summary="Printer offline again", closed=False)
    fake.add_ticket(4690, summary="Printer toner low", closed=True)
    fake.add_ticket(4680, summary="New printer for reception")
    fake.add_ticket(4712, summary="Printer at Fabrikam", company=cw.company_ref(251, "Fabrikam", "Fabrikam"))
    fake.tickets[4711]["summary"] = "Printer jams"

    found = await client.search_tickets(
        TicketSearch(company_id="250", contact_id="77", text="printer", state=TicketState.OPEN,
                     exclude_ticket_id="4711", limit=5)
    )  # fmt: skip

    assert [(t.external_id, t.summary, t.closed, t.company_id) for t in found] == [
        ("4700", "Printer offline again", False, "250"),
        ("4680", "New printer for reception", False, "250"),
    ]
    assert found[0].contact_name == "Dana Scully" and found[0].status == "New"
    assert found[0].created_at == datetime(2026, 3, 2, 8, 1, 10, tzinfo=UTC)
    [(method, path, query)] = api_calls(fake)
    assert (method, path) == ("GET", "/service/tickets")
    assert query == {
        "pageSize": "5",
        "conditions": "company/id=250 and contact/id=77 and closedFlag=false and id!=4711 and "
        'summary contains "printer"',
        "orderBy": "id desc",
    }
    assert "%20" in fake.requests[-1].query and "+" not in fake.requests[-1].query


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('printer" or company/id=999 or summary contains "x',
         ["printer", "or company/id=999 or summary contains"]),
        ("paper \\\" jam [2026-01-01T00:00:00Z]", ["paper", "jam", "2026-01-01T00:00:00Z"]),
        ("O'Brien's\nlaptop", ["Brien", "laptop"]),
    ],
)  # fmt: skip
async def test_search_text_cannot_break_out_of_the_conditions_string(
    client: ConnectWiseClient, fake: FakeConnectWise, text: str, fragments: list[str]
) -> None:
    fake.add_ticket(9999, summary="x", company=cw.company_ref(999, "Evil", "Evil"))
    found = await client.search_tickets(TicketSearch(company_id="250", text=text))
    conditions = parse_qs(fake.requests[-1].query)["conditions"][0]
    clauses = parse_conditions(conditions)  # the fake's strict parser accepts it: still well formed
    assert clauses[0] == ("company/id", "=", 250)
    assert [value for name, _op, value in clauses[1:]] == [f.strip() for f in fragments]
    assert all(name == "summary" and op == "contains" for name, op, _ in clauses[1:])
    assert all(t.company_id == "250" for t in found)


async def test_search_follows_pages_until_the_limit_and_stops_at_the_cap(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    # A record of another company (which ConnectWise should not send) costs a page, never a result.
    stray = cw.ticket(49, summary="elsewhere", company=cw.company_ref(251, "Fabrikam", "Fabrikam"))
    newest_first = [
        cw.ticket(50, summary="T50"),
        stray,
        *(cw.ticket(i, summary=f"T{i}") for i in range(48, 40, -1)),
    ]

    def pages(request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        size, page = int(query["pageSize"][0]), int(query.get("page", ["1"])[0])
        return httpx.Response(200, json=newest_first[(page - 1) * size : page * size])

    route = raw_router.get(f"{cw.API}/service/tickets").mock(side_effect=pages)
    found = await raw_client.search_tickets(TicketSearch(company_id="250", limit=3))
    assert [t.external_id for t in found] == ["50", "48", "47"]
    assert [str(c.request.url).endswith("page=2") for c in route.calls] == [False, True]

    newest_first[:] = [stray] * 10
    assert await raw_client.search_tickets(TicketSearch(company_id="250", limit=2)) == []
    assert route.call_count == 2 + 5


async def test_search_refuses_text_with_nothing_searchable(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    with pytest.raises(ValidationFailed):
        await client.search_tickets(TicketSearch(company_id="250", text='"""'))
    with pytest.raises(ValidationFailed):
        await client.search_tickets(TicketSearch(company_id="250 or 1=1"))
    assert fake.requests == []


# -- contacts and companies ------------------------------------------------------------------------------


async def test_get_contact_reads_the_default_email_and_company(
    client: ConnectWiseClient, fake: FakeConnectWise, schemas: dict[str, Any]
) -> None:
    contact = await client.get_contact("77")
    assert (contact.external_id, contact.name, contact.email) == (
        "77",
        "Dana Scully",
        "dana.scully@contoso.example",
    )
    assert (contact.company_id, contact.company_name, contact.phone) == ("250", "Contoso Ltd", "5551234567")
    assert contact.title == "Office Manager" and contact.inactive is False
    assert api_calls(fake) == [("GET", "/company/contacts/77", {})]
    assert cw.schema_problems(fake.contacts[77], {"$ref": "#/components/schemas/Contact"}, schemas) == []
    fake.contacts[78] = cw.contact(78, email=None)
    assert (await client.get_contact("78")).email == "dana.private@example.net"


async def test_get_company_maps_address_and_status(
    client: ConnectWiseClient, fake: FakeConnectWise, schemas: dict[str, Any]
) -> None:
    company = await client.get_company("250")
    assert (company.external_id, company.name, company.identifier) == ("250", "Contoso Ltd", "Contoso")
    assert company.address == "1 Main Street, Tampa, FL, 33602, United States"
    assert (company.status, company.phone, company.inactive) == ("Active", "8135550100", False)
    assert api_calls(fake) == [("GET", "/company/companies/250", {})]
    assert cw.schema_problems(fake.companies[250], {"$ref": "#/components/schemas/Company"}, schemas) == []
    with pytest.raises(IntegrationError) as caught:
        await client.get_company("404")
    assert caught.value.status == 404 and "was not found" in caught.value.detail


# -- connection test -------------------------------------------------------------------------------------


def access(checks: list[Any]) -> dict[str, tuple[bool | None, str]]:
    return {check.capability: (check.ok, check.detail) for check in checks}


async def test_check_access_reads_only_and_judges_writes_from_my_security(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    result = access(await client.check_access())

    assert list(result) == [capability.value for capability in Capability]
    assert {name: ok for name, (ok, _) in result.items()} == {
        "read_tickets": True,
        "write_notes": True,
        "update_tickets": True,
        "log_time": True,
        "read_contacts": True,
        "read_companies": True,
        "manage_webhooks": None,
    }
    assert result["update_tickets"][1] == "Service Desk > Service Tickets: Edit level All"
    assert fake.writes() == []
    probes = sorted((path, query.get("pageSize")) for _, path, query in api_calls(fake))
    assert probes == [
        ("/company/companies", "1"),
        ("/company/contacts", "1"),
        ("/service/tickets", "1"),
        ("/system/callbacks", "1"),
        ("/system/mySecurity", "1000"),
        ("/time/entries", "1"),
    ]


@pytest.mark.parametrize(
    ("overrides", "capability", "ok", "detail"),
    [
        ({"Service Tickets": {"editLevel": "None"}}, "update_tickets", False, "Edit level None; grant Edit"),
        ({"Service Tickets": {"editLevel": "My"}}, "write_notes", None, "only records the API member owns"),
        ({"Time Entry": {"addLevel": "My"}}, "log_time", True, "its own entries only"),
        (
            {"Time Entry": {"addLevel": "None"}},
            "log_time",
            False,
            "Time & Expense > Time Entry: Add level None",
        ),
    ],
)
async def test_check_access_reports_each_security_level(
    client: ConnectWiseClient,
    fake: FakeConnectWise,
    overrides: dict[str, dict[str, str]],
    capability: str,
    ok: bool | None,
    detail: str,
) -> None:
    fake.security = cw.my_security(overrides)
    got_ok, got_detail = access(await client.check_access())[capability]
    assert got_ok is ok and detail in got_detail


async def test_check_access_carries_connectwise_refusals(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    fake.forbidden = {"/company/contacts", "/system/mySecurity", "/time/entries", "/system/callbacks"}
    fake.security = []
    result = access(await client.check_access())

    assert result["read_contacts"][0] is False
    assert "HTTP 403" in result["read_contacts"][1] and "You do not have access" in result["read_contacts"][1]
    assert result["manage_webhooks"][0] is False
    assert result["log_time"][0] is False and "/time/entries" in result["log_time"][1]
    # Tickets are readable, so without the security levels the ticket writes stay unknown.
    assert result["update_tickets"][0] is None
    assert "could not read the API member's security levels" in result["update_tickets"][1]
    assert result["read_tickets"] == (True, "GET /service/tickets answered")


async def test_check_access_with_security_rows_missing_says_unknown(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    fake.security = []
    ok, detail = access(await client.check_access())["update_tickets"]
    assert ok is None and "did not report the Edit level of Service Desk > Service Tickets" in detail


async def test_check_access_with_bad_keys_fails_everything(
    fake: FakeConnectWise, router: respx.MockRouter
) -> None:
    client = ConnectWiseClient(
        cw.config(private_key="wrong-key"), transport=httpx.MockTransport(router.handler), sleep=no_sleep
    )
    result = access(await client.check_access())
    await client.aclose()
    assert {ok for ok, _ in result.values()} == {False}
    assert all("HTTP 401" in detail and "wrong-key" not in detail for _, detail in result.values())


async def test_learned_config_reports_the_discovered_codebase(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    assert client.learned_config() == {}
    await client.get_ticket("4711")
    assert client.learned_config() == {"codebase": cw.CODEBASE}
    configured = ConnectWiseClient(
        cw.config(codebase="v2025_1"), transport=httpx.MockTransport(router.handler)
    )
    await configured.get_ticket("4711")
    await configured.aclose()
    assert configured.learned_config() == {}


# -- callback registration -------------------------------------------------------------------------------


async def test_register_webhook_creates_one_ticket_callback_then_reuses_it(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    registered_url = f"{WEBHOOK_URL}?recordId="  # ConnectWise appends the record id to what is registered
    fake.callbacks.append(cw.callback_entry(500, registered_url, inactive=True))  # same URL, but switched off

    first = await client.register_webhook(WEBHOOK_URL)
    second = await client.register_webhook(WEBHOOK_URL)

    assert first.registered and second.registered and first.external_id == second.external_id
    assert first.external_id == str(fake.callbacks[-1]["id"]) and len(fake.callbacks) == 2
    [post] = fake.writes()
    assert post.method == "POST" and post.path.endswith("/apis/3.0/system/callbacks")
    assert_authenticated(post)
    assert post.body == {
        "url": registered_url,
        "objectId": 1,
        "type": "ticket",
        "level": "owner",
        "description": "Deskhand",
        "payloadVersion": "3.0.0",
        "inactiveFlag": False,
        "isSoapCallbackFlag": False,
        "isSelfSuppressedFlag": False,
    }
    lookups = [(method, path, query) for method, path, query in api_calls(fake) if method == "GET"]
    assert (
        lookups
        == [("GET", "/system/callbacks", {"pageSize": "1000", "conditions": f'url="{registered_url}"'})] * 2
    )


def test_callback_body_matches_the_derived_write_shape() -> None:
    if not WRITE_SHAPES_PATH.exists():
        pytest.skip(f"write shapes not present at {WRITE_SHAPES_PATH}")
    from connectors.connectwise.callback_registration import callback_body

    shape = json.loads(WRITE_SHAPES_PATH.read_text())["CallbackEntry (POST /system/callbacks)"]
    allowed = set(shape["required"]) | {name.split(" ")[0] for name in shape["optional"]}
    body = callback_body(WEBHOOK_URL)
    assert set(shape["required"]) <= set(body) <= allowed
    sample = json.loads((SAMPLES / "system-callbacks-register-ticket.response.json").read_text())
    assert (body["type"], body["level"], body["objectId"]) == (
        sample["type"],
        sample["level"],
        sample["objectId"],
    )


@pytest.mark.parametrize(
    "url", ['https://x.example/hook" or url!="', "ftp://x.example/hook", "https://x.example/a b", "/relative"]
)
async def test_register_webhook_refuses_urls_that_could_break_the_lookup(
    client: ConnectWiseClient, fake: FakeConnectWise, url: str
) -> None:
    with pytest.raises(ValidationFailed):
        await client.register_webhook(url)
    assert fake.requests == []


async def test_a_failed_callback_post_is_not_resent(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    raw_router.get(f"{cw.API}/system/callbacks").respond(200, json=[])
    route = raw_router.post(f"{cw.API}/system/callbacks").respond(
        502, json=cw.error("BadGateway", "try later")
    )
    with pytest.raises(IntegrationError):
        await raw_client.register_webhook(WEBHOOK_URL)
    assert route.call_count == 1


# -- the vendor's published GET paths --------------------------------------------------------------------


async def test_every_get_the_spec_covers_uses_a_declared_path_and_parameters(
    client: ConnectWiseClient, fake: FakeConnectWise, schemas: dict[str, Any]
) -> None:
    spec = json.loads(SPEC_PATH.read_text())
    ticket = await client.get_ticket("4711")
    for picklist in (Picklist.STATUS, Picklist.BOARD, Picklist.TYPE, Picklist.SUBTYPE, Picklist.ITEM):
        await client.list_options(picklist, ticket)
    await client.search_tickets(TicketSearch(company_id="250", text="printer"))
    await client.get_contact("77")
    await client.get_company("250")
    await client.check_access()

    templates = {
        path: {p["name"] for p in ops["get"].get("parameters", [])} for path, ops in spec["paths"].items()
    }
    covered = 0
    for method, path, query in api_calls(fake):
        for template, declared in templates.items():
            pattern = "^" + "/".join("[0-9]+" if s.startswith("{") else s for s in template.split("/")) + "$"
            if method == "GET" and re.match(pattern, path):
                assert set(query) <= declared, (path, query)
                covered += 1
    assert covered >= 12
