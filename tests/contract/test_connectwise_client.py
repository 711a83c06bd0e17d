"""ConnectWise client against the vendor's HTTP contract, mocked at the transport with respx."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from connectors.base import PsaConnector
from connectors.connectwise import ConnectWiseClient, ConnectWiseConfig
from connectors.connectwise.mapping import map_ticket
from connectors.http import parse_retry_after
from core.domain import Picklist, PicklistOption, TicketChanges
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from evals.fakes.openapi_check import schema_problems
from tests.timing import FakeClock, FakeSleep

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples"
SPEC_PATH = SAMPLES / "connectwise" / "openapi-subset-2026.4-get-only.json"
TICKET_URL = f"{cw.API}/service/tickets/4711"
NOTES_URL = f"{cw.API}/service/tickets/4711/notes"
COMPANY_INFO_URL = f"{cw.ORIGIN}/login/companyinfo/{cw.COMPANY_ID}"


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"ConnectWise OpenAPI subset not present at {SPEC_PATH}")
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec["components"]["schemas"]  # type: ignore[no-any-return]


def assert_conforms(value: Any, schema_name: str, schemas: dict[str, Any]) -> None:
    assert schema_problems(value, {"$ref": f"#/components/schemas/{schema_name}"}, schemas) == []


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False, assert_all_mocked=True)


@pytest.fixture
def sleeper() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock, **cfg: Any
) -> ConnectWiseClient:
    return ConnectWiseClient(
        cw.config(**cfg), transport=httpx.MockTransport(router.handler), sleep=sleeper, clock=clock
    )


@pytest.fixture
async def client(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> AsyncIterator[ConnectWiseClient]:
    router.get(COMPANY_INFO_URL).respond(200, json=cw.company_info())
    client = make_client(router, sleeper, clock)
    yield client
    await client.aclose()


def assert_api_auth(request: httpx.Request) -> None:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"{cw.COMPANY_ID}+{cw.PUBLIC_KEY}:{cw.PRIVATE_KEY}"
    assert request.headers["clientId"] == cw.CLIENT_ID
    assert request.headers["Accept"] == "application/json"


def serve_ticket(router: respx.MockRouter, notes: list[dict[str, Any]]) -> None:
    router.get(TICKET_URL).respond(200, json=cw.ticket())
    router.get(NOTES_URL).respond(200, json=notes)


TICKET_NOTES = [
    cw.note(9001, text="Since this morning Outlook prompts for my password every few minutes."),
    cw.note(
        9002, text="Checked MFA registration: fine.", internal=True, member="jsmith", created_by="jsmith"
    ),
]


# -- reads ----------------------------------------------------------------------------------------------


async def test_get_ticket_discovers_codebase_then_reads_ticket_and_notes(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    serve_ticket(router, TICKET_NOTES)

    ticket = await client.get_ticket("4711")

    urls = [(call.request.method, str(call.request.url)) for call in router.calls]
    assert urls == [
        ("GET", COMPANY_INFO_URL),
        ("GET", TICKET_URL),
        ("GET", f"{NOTES_URL}?pageSize=100&orderBy=id%20asc"),
    ]
    discovery = router.calls[0].request
    assert "Authorization" not in discovery.headers and "clientId" not in discovery.headers
    for call in router.calls[1:]:
        assert_api_auth(call.request)

    assert ticket.external_id == ticket.number == "4711"
    assert ticket.summary == "Outlook keeps asking for password"
    assert ticket.description.startswith("Since this morning Outlook")
    assert (ticket.status, ticket.status_id, ticket.board, ticket.board_id) == ("New", "16", "Help Desk", "1")
    assert (ticket.priority, ticket.type) == ("Priority 3 - Normal Response", "Incident")
    assert (ticket.company.external_id, ticket.company.name, ticket.company.identifier) == (
        "250",
        "Contoso Ltd",
        "Contoso",
    )
    assert ticket.contact is not None and ticket.contact.external_id == "77"
    assert ticket.contact.email == "dana.scully@contoso.example"
    assert ticket.closed is False
    assert ticket.updated_by == "jsmith"
    assert ticket.updated_at == datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC)
    assert [(n.external_id, n.internal, n.author) for n in ticket.notes] == [("9002", True, "jsmith")]

    await client.get_ticket("4711")
    assert sum(1 for call in router.calls if str(call.request.url) == COMPANY_INFO_URL) == 1


async def test_configured_codebase_skips_discovery(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> None:
    client = make_client(router, sleeper, clock, site="http://127.0.0.1:8123/", codebase="/v4_6_release")
    base = "http://127.0.0.1:8123/v4_6_release/apis/3.0"
    router.get(f"{base}/service/tickets/4711").respond(200, json=cw.ticket(closed=True))
    router.get(f"{base}/service/tickets/4711/notes").respond(200, json=[])
    ticket = await client.get_ticket("4711")
    await client.aclose()
    assert ticket.closed is True
    assert [str(c.request.url).split("?")[0] for c in router.calls] == [
        f"{base}/service/tickets/4711",
        f"{base}/service/tickets/4711/notes",
    ]


async def test_notes_beyond_one_page_are_followed(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    first = [cw.note(i, text=f"note {i}", internal=True) for i in range(1, 101)]
    router.get(TICKET_URL).respond(200, json=cw.ticket())
    router.get(NOTES_URL).mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=[cw.note(101, text="latest")])]
    )
    ticket = await client.get_ticket("4711")
    assert str(router.calls.last.request.url) == f"{NOTES_URL}?pageSize=100&orderBy=id%20asc&page=2"
    assert ticket.description == "latest"  # the only Discussion note
    assert len(ticket.notes) == 100


async def test_status_options_skip_inactive_and_are_cached_per_board_for_ten_minutes(
    client: ConnectWiseClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(f"{cw.API}/service/boards/1/statuses").respond(200, json=cw.board_statuses())
    ticket = map_ticket(cw.ticket(), [])

    options = await client.list_options(Picklist.STATUS, ticket)

    assert str(route.calls.last.request.url) == f"{cw.API}/service/boards/1/statuses?pageSize=1000"
    assert_api_auth(route.calls.last.request)
    assert [(o.external_id, o.name, o.closed, o.parent_id) for o in options] == [
        ("16", "New", False, "1"),
        ("17", "In Progress", False, "1"),
        ("18", "Waiting on Client", False, "1"),
        ("20", ">Closed", True, "1"),
    ]
    clock.now += 599
    assert await client.list_options(Picklist.STATUS, ticket) == options
    assert route.call_count == 1
    clock.now += 2
    await client.list_options(Picklist.STATUS, ticket)
    assert route.call_count == 2


# -- writes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("internal", [True, False])
async def test_add_note_posts_service_note(
    client: ConnectWiseClient, router: respx.MockRouter, internal: bool
) -> None:
    created = cw.note(9100, text="Plan: reset the Outlook profile.", internal=internal, member=cw.API_MEMBER)
    route = router.post(NOTES_URL).respond(201, json=created)

    result = await client.add_note("4711", "Plan: reset the Outlook profile.", internal=internal)

    request = route.calls.last.request
    assert str(request.url) == NOTES_URL
    assert_api_auth(request)
    expected: dict[str, Any] = {
        "text": "Plan: reset the Outlook profile.",
        "internalAnalysisFlag": internal,
        "detailDescriptionFlag": not internal,
        "resolutionFlag": False,
        "processNotifications": False,
    }
    if internal:
        expected["member"] = {"identifier": cw.API_MEMBER}
    assert json.loads(request.content) == expected
    assert (result.external_id, result.internal, result.author) == ("9100", internal, cw.API_MEMBER)


STATUS_IN_PROGRESS = PicklistOption(external_id="17", name="In Progress", parent_id="1")


async def test_update_ticket_with_a_status_sends_one_json_patch(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    route = router.patch(TICKET_URL).respond(200, json=cw.ticket(status=(17, "In Progress")))

    await client.update_ticket(map_ticket(cw.ticket(), []), TicketChanges(status=STATUS_IN_PROGRESS))

    request = route.calls.last.request
    assert request.method == "PATCH" and str(request.url) == TICKET_URL
    assert_api_auth(request)
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == [{"op": "replace", "path": "status", "value": {"id": 17}}]


async def test_update_ticket_sends_every_field_in_one_request(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    route = router.patch(TICKET_URL).respond(200, json=cw.ticket())
    changes = TicketChanges(
        board=PicklistOption(external_id="3", name="Escalations"),
        status=PicklistOption(external_id="302", name="Escalated", parent_id="3"),
        type=PicklistOption(external_id="9", name="Request", parent_id="3"),
        subtype=PicklistOption(external_id="21", name="Email", parent_id="9"),
        item=PicklistOption(external_id="31", name="Reset", parent_id="3"),
        priority=PicklistOption(external_id="2", name="Priority 1 - Emergency Response"),
        member=PicklistOption(external_id="akhan", name="Aisha Khan"),
    )

    await client.update_ticket(map_ticket(cw.ticket(), []), changes)

    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content) == [
        {"op": "replace", "path": "board", "value": {"id": 3}},
        {"op": "replace", "path": "status", "value": {"id": 302}},
        {"op": "replace", "path": "type", "value": {"id": 9}},
        {"op": "replace", "path": "subType", "value": {"id": 21}},
        {"op": "replace", "path": "item", "value": {"id": 31}},
        {"op": "replace", "path": "priority", "value": {"id": 2}},
        {"op": "replace", "path": "owner", "value": {"identifier": "akhan"}},
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (TicketChanges(board=PicklistOption(external_id="3", name="Escalations")), "needs a status of that"),
        (
            TicketChanges(status=PicklistOption(external_id="302", name="Escalated", parent_id="3")),
            "belongs to board 3",
        ),
        (
            TicketChanges(
                board=PicklistOption(external_id="3", name="Escalations"), status=STATUS_IN_PROGRESS
            ),
            "belongs to board 1",
        ),
        (TicketChanges(member=PicklistOption(external_id="john smith", name="x")), "member identifier"),
        (TicketChanges(priority=PicklistOption(external_id="../4", name="x")), "positive integer"),
    ],
)
async def test_update_ticket_refuses_impossible_changes_before_any_request(
    client: ConnectWiseClient, router: respx.MockRouter, changes: TicketChanges, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await client.update_ticket(map_ticket(cw.ticket(), []), changes)
    assert router.calls.call_count == 0


async def test_update_ticket_without_changes_sends_nothing(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    await client.update_ticket(map_ticket(cw.ticket(), []), TicketChanges())
    assert router.calls.call_count == 0
    board_unchanged = TicketChanges(board=PicklistOption(external_id="1", name="Help Desk"))
    route = router.patch(TICKET_URL).respond(200, json=cw.ticket())
    await client.update_ticket(map_ticket(cw.ticket(), []), board_unchanged)  # same board: no status needed
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content) == [
        {"op": "replace", "path": "board", "value": {"id": 1}}
    ]


async def test_ids_that_are_not_integers_never_reach_the_network(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    with pytest.raises(ValidationFailed):
        await client.get_ticket("4711/../../system/members")
    with pytest.raises(ValidationFailed):
        await client.update_ticket(
            map_ticket(cw.ticket(), []), TicketChanges(status=PicklistOption(external_id="x", name="Bad"))
        )
    assert router.calls.call_count == 0


# -- the vendor's schemas -------------------------------------------------------------------------------


async def test_served_fixtures_and_sent_bodies_match_vendor_schemas(
    client: ConnectWiseClient, router: respx.MockRouter, schemas: dict[str, Any]
) -> None:
    assert_conforms(cw.ticket(), "Ticket", schemas)
    for item in TICKET_NOTES:
        assert_conforms(item, "ServiceNote", schemas)
    for item in cw.board_statuses():
        assert_conforms(item, "BoardStatus", schemas)

    route = router.post(NOTES_URL).respond(201, json=cw.note(9100, text="x", internal=True))
    patch = router.patch(TICKET_URL).respond(200, json=cw.ticket())
    await client.add_note("4711", "internal", internal=True)
    await client.add_note("4711", "public", internal=False)
    every_field = TicketChanges(
        board=PicklistOption(external_id="3", name="Escalations"),
        status=PicklistOption(external_id="302", name="Escalated"),
        type=PicklistOption(external_id="9", name="Request"),
        subtype=PicklistOption(external_id="21", name="Email"),
        item=PicklistOption(external_id="31", name="Reset"),
        priority=PicklistOption(external_id="2", name="Priority 1"),
        member=PicklistOption(external_id="akhan", name="Aisha Khan"),
    )
    await client.update_ticket(map_ticket(cw.ticket(), []), every_field)

    for call in route.calls:
        assert_conforms(json.loads(call.request.content), "ServiceNote", schemas)
    operations = json.loads(patch.calls.last.request.content)
    ticket_props = schemas["Ticket"]["properties"]
    assert len(operations) == 7
    for operation in operations:
        assert set(operation) == {"op", "path", "value"} and operation["op"] == "replace"
        assert operation["path"] in ticket_props
        assert schema_problems(operation["value"], ticket_props[operation["path"]], schemas) == []


def test_schema_check_catches_a_misspelt_property(schemas: dict[str, Any]) -> None:
    bad = {"text": "x", "internalAnalysisFlags": True}
    assert schema_problems(bad, {"$ref": "#/components/schemas/ServiceNote"}, schemas) != []


# -- errors and retries ---------------------------------------------------------------------------------


def assert_no_credentials(error: Exception) -> None:
    token = base64.b64encode(f"{cw.COMPANY_ID}+{cw.PUBLIC_KEY}:{cw.PRIVATE_KEY}".encode()).decode()
    for text in (str(error), repr(error), getattr(error, "detail", "")):
        for secret in (cw.PRIVATE_KEY, cw.PUBLIC_KEY, token):
            assert secret not in text


async def test_not_found_carries_vendor_message(client: ConnectWiseClient, router: respx.MockRouter) -> None:
    router.get(f"{cw.API}/service/tickets/999").respond(
        404, json=cw.error("NotFound", "Ticket with id 999 not found")
    )
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("999")
    error = caught.value
    assert error.status == 404 and error.retryable is False
    assert "GET /service/tickets/999" in error.detail and "404" in error.detail
    assert "Ticket with id 999 not found" in error.detail
    assert_no_credentials(error)


async def test_vendor_message_echoing_a_secret_is_redacted(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    router.post(NOTES_URL).respond(
        400,
        json=cw.error(
            "InvalidObject",
            f"bad request from {cw.PUBLIC_KEY}",
            errors=[{"code": "Invalid", "message": f"member {cw.PRIVATE_KEY} invalid", "field": "member"}],
        ),
    )
    with pytest.raises(IntegrationError) as caught:
        await client.add_note("4711", "hello", internal=True)
    assert "member *** invalid" in caught.value.detail
    assert_no_credentials(caught.value)


async def test_429_honours_retry_after_then_succeeds(
    client: ConnectWiseClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    router.get(TICKET_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json=cw.error("TooManyRequests", "slow down")),
            httpx.Response(200, json=cw.ticket()),
        ]
    )
    router.get(NOTES_URL).respond(200, json=[])
    ticket = await client.get_ticket("4711")
    assert ticket.external_id == "4711"
    assert sleeper.calls == [7.0]


async def test_server_errors_are_retried_three_times_then_raise_retryable(
    client: ConnectWiseClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    route = router.get(TICKET_URL).respond(500, json=cw.error("InternalError", "An error occurred"))
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("4711")
    assert route.call_count == 3
    assert len(sleeper.calls) == 2 and sleeper.calls[0] < sleeper.calls[1]  # exponential backoff
    assert caught.value.status == 500 and caught.value.retryable is True
    assert "An error occurred" in caught.value.detail
    assert_no_credentials(caught.value)


async def test_503_exhausts_attempts(
    client: ConnectWiseClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    route = router.get(TICKET_URL).respond(503, headers={"Retry-After": "2"})
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("4711")
    assert route.call_count == 3 and sleeper.calls == [2.0, 2.0]
    assert caught.value.retryable is True


async def test_a_failed_note_post_is_not_resent(
    client: ConnectWiseClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    route = router.post(NOTES_URL).respond(500, json=cw.error("InternalError", "An error occurred"))
    with pytest.raises(IntegrationError) as caught:
        await client.add_note("4711", "hello", internal=True)
    assert route.call_count == 1 and sleeper.calls == []
    assert caught.value.retryable is True


async def test_timeouts_are_retried_then_raise_retryable(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    route = router.get(TICKET_URL).mock(side_effect=httpx.ReadTimeout)
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("4711")
    assert route.call_count == 3
    assert caught.value.retryable is True and caught.value.status is None


async def test_long_retry_after_is_not_slept_through(
    client: ConnectWiseClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    router.get(TICKET_URL).respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("4711")
    assert caught.value.retryable is True and sleeper.calls == []


def test_retry_after_http_date() -> None:
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 02 Mar 2026 09:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 02 Mar 2026 08:59:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None


# -- configuration and mapping --------------------------------------------------------------------------


async def test_client_satisfies_protocol_and_never_shows_secrets() -> None:
    client = ConnectWiseClient(cw.config())
    await client.aclose()
    assert isinstance(client, PsaConnector)
    assert client.kind == "connectwise" and client.own_identity == cw.API_MEMBER
    config = cw.config()
    assert config.own_identity == cw.API_MEMBER
    for text in (repr(config), str(config), repr(client), config.model_dump_json()):
        assert cw.PRIVATE_KEY not in text
    schema = ConnectWiseConfig.model_json_schema()
    assert schema["properties"]["private_key"]["sensitive"] is True


@pytest.mark.parametrize(
    ("site", "origin"),
    [
        ("na.myconnectwise.net", "https://na.myconnectwise.net"),
        ("https://CW.example.com/", "https://cw.example.com"),
        ("https://cw.example.com:443", "https://cw.example.com"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ],
)
def test_site_is_normalised_to_an_origin(site: str, origin: str) -> None:
    assert cw.config(site=site).origin == origin


@pytest.mark.parametrize(
    "site", ["ftp://cw.example.com", "https://cw.example.com/v4_6_release", "https://u:p@x.io"]
)
def test_bad_sites_are_rejected(site: str) -> None:
    with pytest.raises(ValidationError):
        cw.config(site=site)


@pytest.mark.parametrize("missing", ["id", "summary", "company"])
def test_ticket_without_required_fields_is_rejected(missing: str) -> None:
    raw = cw.ticket()
    del raw[missing]
    with pytest.raises(ValidationFailed):
        map_ticket(raw, [])


def test_sparse_ticket_maps_with_defaults() -> None:
    ticket = map_ticket({"id": 5, "summary": "Printer", "company": {"id": 9}}, [])
    assert (ticket.company.name, ticket.contact, ticket.status, ticket.closed) == ("9", None, None, False)
    closed_by_name = map_ticket(
        {"id": 5, "summary": "x", "company": {"id": 9}, "status": {"name": ">Closed"}}
    )
    assert closed_by_name.closed is True
