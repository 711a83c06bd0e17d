"""HaloPSA client against the vendor's HTTP contract, mocked at the transport with respx."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import ValidationError

from connectors.base import PsaConnector
from connectors.halopsa import HaloClient, HaloConfig
from core.domain import Picklist, PicklistOption, TicketChanges, TicketSearch, TicketState, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import halopsa_payloads as hp
from evals.fakes.halopsa import FakeHalo

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples"
SPEC_PATH = SAMPLES / "halo" / "openapi-subset-v2.json"
TOKEN = "eyJhbGciOi.halo-access.t0k3n"
TICKET_URL = f"{hp.API}/Tickets/4242"
ACTIONS_URL = f"{hp.API}/Actions"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"Halo OpenAPI subset not present at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())  # type: ignore[no-any-return]


def body_problems(body: Any, path: str, spec: dict[str, Any]) -> list[str]:
    schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return hp.schema_problems(body, schema, spec["components"]["schemas"])


@dataclass
class FakeSleep:
    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False, assert_all_mocked=True)


@pytest.fixture
def sleeper() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock, **cfg: Any) -> HaloClient:
    transport = httpx.MockTransport(router.async_handler)
    return HaloClient(hp.config(**cfg), transport=transport, sleep=sleeper, clock=clock, rng=random.Random(7))


@pytest.fixture
async def client(router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock) -> AsyncIterator[HaloClient]:
    router.post(hp.TOKEN_URL).respond(200, json=hp.token_response(TOKEN))
    client = make_client(router, sleeper, clock)
    yield client
    await client.aclose()


def api_calls(router: respx.MockRouter) -> list[tuple[str, str]]:
    return [(c.request.method, str(c.request.url)) for c in router.calls if "/api/" in c.request.url.path]


def token_calls(router: respx.MockRouter) -> list[httpx.Request]:
    return [c.request for c in router.calls if c.request.url.path == "/auth/token"]


def assert_bearer(request: httpx.Request, token: str = TOKEN) -> None:
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["Accept"] == "application/json"


def sent_json(router: respx.MockRouter) -> Any:
    return json.loads(router.calls.last.request.content)


def fields(record: Any, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in names)


TICKET = hp.ticket()
ACTIONS = [
    hp.action(1, note="Since this morning Outlook prompts me.", hidden=False, agent=None, outcome="Email"),
    hp.action(2, note="Checked MFA registration: fine.", agent=(hp.TECH_ID, hp.TECH_NAME)),
    hp.action(3, note="", agent=(hp.TECH_ID, hp.TECH_NAME), outcome="Status Change"),
]


# -- config --------------------------------------------------------------------------------------------------


BASE_URLS = [
    ("acme.halopsa.com", "https://acme.halopsa.com"),
    (" https://Acme.HaloPSA.com/api/ ", "https://acme.halopsa.com"),
    ("https://acme.halopsa.com:443", "https://acme.halopsa.com"),
    ("http://127.0.0.1:8123/halo/", "http://127.0.0.1:8123/halo"),
] + [(bad, None) for bad in ("", "ftp://a.b", "https://u:p@a.b", "https://a.b/?x=1", "https://a/b/../c")]


@pytest.mark.parametrize(("given", "base"), BASE_URLS)
def test_config_normalises_or_rejects_the_base_url(given: str, base: str | None) -> None:
    if base is None:
        with pytest.raises(ValidationError):
            hp.config(base_url=given)
        return
    config = hp.config(base_url=given)
    assert (config.base_url, config.api_url, config.token_url) == (base, f"{base}/api", f"{base}/auth/token")


def test_config_auth_url_override_and_identity() -> None:
    config = hp.config(auth_url="https://auth.haloservicedesk.com/auth/token/")
    assert config.token_url == "https://auth.haloservicedesk.com/auth/token"
    assert config.own_identity == "38"
    bad: list[dict[str, Any]] = [
        {"agent_id": 0},
        {"surprise": True},
        {"webhook_username": "dh:x"},
        {"webhook_header_name": "Bad Header"},
        {"webhook_password": "short"},
    ]
    for overrides in bad:
        with pytest.raises(ValidationError):
            hp.config(**overrides)


def test_config_generates_webhook_password_and_hides_secrets() -> None:
    values = {k: v for k, v in hp.integration_config(hp.ORIGIN).items() if k != "webhook_password"}
    first, second = HaloConfig(**values), HaloConfig(**values)
    assert len(first.webhook_password.get_secret_value()) >= 32
    assert first.webhook_password != second.webhook_password
    assert HaloConfig.model_json_schema()["properties"]["client_secret"]["sensitive"] is True
    config = hp.config()
    for text in (repr(config), str(config), config.model_dump_json()):
        assert hp.CLIENT_SECRET not in text and hp.WEBHOOK_PASSWORD not in text


# -- token ---------------------------------------------------------------------------------------------------


async def test_client_is_a_psa_connector(client: HaloClient) -> None:
    assert isinstance(client, PsaConnector)
    assert client.kind == "halopsa" and client.own_identity == "38"
    assert client.learned_config() == {}
    assert hp.CLIENT_SECRET not in repr(client)


async def test_get_ticket_gets_a_token_then_reads_ticket_and_actions(
    client: HaloClient, router: respx.MockRouter
) -> None:
    router.get(TICKET_URL).respond(200, json=TICKET)
    router.get(ACTIONS_URL).respond(200, json=hp.actions_list(ACTIONS))

    ticket = await client.get_ticket("4242")

    (token_request,) = token_calls(router)
    assert str(token_request.url) == f"{hp.TOKEN_URL}?tenant=acme"
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token_request.headers
    assert parse_qs(token_request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [hp.CLIENT_ID],
        "client_secret": [hp.CLIENT_SECRET],
        "scope": ["all"],
    }
    assert api_calls(router) == [
        ("GET", f"{TICKET_URL}?includedetails=true"),
        ("GET", f"{ACTIONS_URL}?ticket_id=4242"),
    ]
    for call in router.calls[1:]:
        assert_bearer(call.request)

    assert fields(ticket, "external_id", "number", "summary") == (
        "4242",
        "4242",
        "Outlook keeps asking for password",
    )
    assert ticket.description.startswith("Since this morning Outlook prompts")
    assert fields(ticket, "status", "status_id", "board", "board_id") == ("New", "1", "Service Desk", "5")
    assert fields(ticket, "priority", "priority_id", "type", "type_id") == ("Medium", "3", "Incident", "1")
    assert (ticket.subtype, ticket.subtype_id) == ("Email>Outlook", "11")
    assert (ticket.assignee, ticket.assignee_id) == (hp.TECH_NAME, "7")
    assert (ticket.company.external_id, ticket.company.name) == ("12", "Contoso Ltd")
    assert ticket.contact is not None
    assert (ticket.contact.external_id, ticket.contact.email) == ("34", "dana.scully@contoso.example")
    assert ticket.closed is False
    assert ticket.updated_at == datetime(2026, 3, 2, 9, 15, 42, 123456, tzinfo=UTC)
    assert [fields(n, "external_id", "internal", "author") for n in ticket.notes] == [
        ("1", False, None),
        ("2", True, "7"),
    ]
    assert ticket.updated_by is None  # Halo does not say who edited a ticket last


async def test_closed_and_unassigned_ticket(client: HaloClient, router: respx.MockRouter) -> None:
    router.get(TICKET_URL).respond(200, json=hp.ticket(status=hp.CLOSED_STATUS, agent=None, team=None))
    router.get(ACTIONS_URL).respond(200, json=hp.actions_list([]))
    ticket = await client.get_ticket("4242")
    assert ticket.closed is True
    assert (ticket.assignee, ticket.assignee_id, ticket.board, ticket.board_id) == (None, None, None, None)


async def test_token_is_cached_until_shortly_before_expiry(
    client: HaloClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(f"{hp.API}/Users/34").respond(200, json=hp.user())
    await client.get_contact("34")
    clock.now += 3600 - 61
    await client.get_contact("34")
    assert len(token_calls(router)) == 1
    clock.now += 2  # within 60 s of expiry: renewed before use
    await client.get_contact("34")
    assert len(token_calls(router)) == 2


async def test_concurrent_calls_share_one_token_refresh(client: HaloClient, router: respx.MockRouter) -> None:
    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # the other calls arrive while this refresh is in flight
        return httpx.Response(200, json=hp.token_response(TOKEN))

    router.post(hp.TOKEN_URL).mock(side_effect=slow_token)
    router.get(f"{hp.API}/Users/34").respond(200, json=hp.user())
    await asyncio.gather(*(client.get_contact("34") for _ in range(5)))
    assert len(token_calls(router)) == 1
    assert len(api_calls(router)) == 5


async def test_401_drops_the_token_and_resends_once(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> None:
    router.post(hp.TOKEN_URL).mock(
        side_effect=[httpx.Response(200, json=hp.token_response(t)) for t in ("old-token", "new-token")]
    )
    route = router.get(f"{hp.API}/Users/34").mock(
        side_effect=[httpx.Response(401, json="Unauthorized"), httpx.Response(200, json=hp.user())]
    )
    client = make_client(router, sleeper, clock)
    contact = await client.get_contact("34")
    assert contact.company_id == "12" and sleeper.calls == []
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer old-token",
        "Bearer new-token",
    ]

    refused = router.get(f"{hp.API}/Client/12").respond(401, json="Unauthorized")
    router.post(hp.TOKEN_URL).respond(200, json=hp.token_response("third-token"))
    with pytest.raises(IntegrationError) as caught:  # refused again after a fresh token: no loop
        await client.get_company("12")
    await client.aclose()
    assert caught.value.status == 401 and refused.call_count == 2 and len(token_calls(router)) == 3


async def test_refused_credentials_never_show_the_secret(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> None:
    router.post(hp.TOKEN_URL).respond(401, json=hp.oauth_error(description=f"bad secret {hp.CLIENT_SECRET}"))
    client = make_client(router, sleeper, clock)
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("4242")
    await client.aclose()
    assert caught.value.status == 401
    assert "bad secret ***" in caught.value.detail and hp.CLIENT_SECRET not in str(caught.value)
    assert api_calls(router) == []


async def test_access_token_never_appears_in_errors(client: HaloClient, router: respx.MockRouter) -> None:
    router.get(f"{hp.API}/Users/34").respond(400, json=f"token {TOKEN} may not read users")
    with pytest.raises(IntegrationError) as caught:
        await client.get_contact("34")
    assert TOKEN not in str(caught.value) and "token *** may not" in caught.value.detail


async def test_retries_honour_retry_after_then_back_off(
    client: HaloClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    router.get(f"{hp.API}/Client/12").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json="Too many requests"),
            httpx.Response(502, json="Bad gateway"),
            httpx.Response(200, json=hp.client()),
        ]
    )
    company = await client.get_company("12")
    assert company.name == "Contoso Ltd"
    assert sleeper.calls[0] == 2.0
    assert 0.5 <= sleeper.calls[1] <= 1.0


async def test_a_failed_post_is_not_resent(
    client: HaloClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    route = router.post(ACTIONS_URL).respond(500, json="Server error")
    with pytest.raises(IntegrationError):
        await client.add_note("4242", "Looking into it.", internal=True)
    assert route.call_count == 1 and sleeper.calls == []


# -- writes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("internal", "outcome"), [(True, "Private Note"), (False, "Note")])
async def test_add_note_posts_one_action_without_email_or_rules(
    client: HaloClient, router: respx.MockRouter, spec: dict[str, Any], internal: bool, outcome: str
) -> None:
    created = hp.action(9, note="Plan: reset MFA.", hidden=internal, agent=(hp.AGENT_ID, hp.AGENT_NAME))
    router.post(ACTIONS_URL).respond(200, json=created)

    note = await client.add_note("4242", "Plan: reset MFA.", internal=internal)

    assert api_calls(router) == [("POST", ACTIONS_URL)]
    assert_bearer(router.calls.last.request)
    body = sent_json(router)
    assert body == [
        {
            "ticket_id": 4242,
            "outcome": outcome,
            "note": "Plan: reset MFA.",
            "hiddenfromuser": internal,
            "sendemail": False,
            "dont_do_rules": True,
        }
    ]
    assert body_problems(body, "/Actions", spec) == []
    assert (note.external_id, note.internal, note.author) == ("9", internal, client.own_identity)


async def test_add_note_attributes_to_own_agent_when_halo_omits_it(
    client: HaloClient, router: respx.MockRouter
) -> None:
    router.post(ACTIONS_URL).respond(
        200, json=[{"id": 10, "ticket_id": 4242, "note": "x", "hiddenfromuser": True}]
    )
    note = await client.add_note("4242", "x", internal=True)
    assert (note.external_id, note.author) == ("10", "38")
    with pytest.raises(ValidationFailed):
        await client.add_note("4242", "   ", internal=True)
    with pytest.raises(ValidationFailed):
        await client.add_note("../Agent/1", "x", internal=True)
    assert len(api_calls(router)) == 1


def option(external_id: str, name: str) -> PicklistOption:
    return PicklistOption(external_id=external_id, name=name)


async def test_update_ticket_is_one_post_of_every_field(
    client: HaloClient, router: respx.MockRouter, spec: dict[str, Any]
) -> None:
    router.post(f"{hp.API}/Tickets").respond(200, json=TICKET)
    changes = TicketChanges(
        status=option("2", "In Progress"),
        board=option("8", "Escalations"),
        member=option("7", hp.TECH_NAME),
        priority=option("2", "High"),
        type=option("3", "Service Request"),
        subtype=option("13", "Network>VPN"),
    )
    ticket = await _ticket(client, router)
    await client.update_ticket(ticket, changes)

    writes = [c.request for c in router.calls if c.request.method == "POST" and "/api/" in c.request.url.path]
    assert len(writes) == 1 and str(writes[0].url) == f"{hp.API}/Tickets"
    body = json.loads(writes[0].content)
    assert body == [
        {
            "id": 4242,
            "status_id": 2,
            "team": "Escalations",
            "agent_id": 7,
            "priority_id": 2,
            "tickettype_id": 3,
            "category_1": "Network>VPN",
            "dont_do_rules": True,
            "_dont_fire_automations": True,
        }
    ]
    assert body_problems(body, "/Tickets", spec) == []


async def _ticket(client: HaloClient, router: respx.MockRouter) -> Any:
    router.get(TICKET_URL).respond(200, json=TICKET)
    router.get(ACTIONS_URL).respond(200, json=hp.actions_list([]))
    return await client.get_ticket("4242")


async def test_update_ticket_without_changes_or_with_an_item(
    client: HaloClient, router: respx.MockRouter
) -> None:
    ticket = await _ticket(client, router)
    before = len(router.calls)
    await client.update_ticket(ticket, TicketChanges())
    with pytest.raises(ValidationFailed):
        await client.update_ticket(ticket, TicketChanges(item=option("1", "Laptop")))
    assert len(router.calls) == before


async def test_log_time_posts_an_action_with_time_taken(
    client: HaloClient, router: respx.MockRouter, spec: dict[str, Any]
) -> None:
    router.post(ACTIONS_URL).respond(200, json=hp.action(5, note="Reset MFA", timetaken=0.5))
    ticket = await _ticket(client, router)
    entry = TimeEntryDraft(
        started_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        ended_at=datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
        member=option("7", hp.TECH_NAME),
        work_type=option("1", "Remote Support"),
        billable=True,
        notes="Reset MFA",
    )
    assert await client.log_time(ticket, entry) == "5"
    body = sent_json(router)
    assert body == [
        {
            "ticket_id": 4242,
            "outcome": "Private Note",
            "note": "Reset MFA",
            "hiddenfromuser": True,
            "sendemail": False,
            "timetaken": 0.5,
            "actionarrivaldate": "2026-03-02T14:00:00Z",
            "actioncompletiondate": "2026-03-02T14:30:00Z",
            "actisbillable": True,
            "dont_do_rules": True,
            "who_agentid": 7,
            "chargerate": 1,
        }
    ]
    assert body_problems(body, "/Actions", spec) == []


def test_the_spec_check_catches_a_misspelt_field(spec: dict[str, Any]) -> None:
    assert body_problems([{"ticket_id": 1, "hidden_from_user": True}], "/Actions", spec) != []
    assert body_problems([{"id": 1, "status_id": "2"}], "/Tickets", spec) != []


# -- picklists -----------------------------------------------------------------------------------------------

PICKLIST_CASES = [
    (Picklist.STATUS, "/Status?tickettype_id=1", hp.statuses(), [("1", "New"), ("2", "In Progress")]),
    (Picklist.BOARD, "/Team", hp.teams(), [("5", "Service Desk"), ("6", "Projects")]),
    (Picklist.MEMBER, "/Agent", hp.agents(), [("1", "Unassigned"), ("7", hp.TECH_NAME)]),
    (Picklist.PRIORITY, "/Priority", hp.priorities(), [("1", "Critical"), ("2", "High")]),
    (Picklist.TYPE, "/TicketType", hp.ticket_types(), [("1", "Incident"), ("3", "Service Request")]),
    (Picklist.SUBTYPE, "/Category?type_id=1&tickettype_id=1", hp.categories(), [("11", "Email>Outlook")]),
    (Picklist.WORK_TYPE, "/Lookup?lookupid=17", hp.charge_types(), [("1", "Remote Support")]),
]


@pytest.mark.parametrize(("picklist", "query", "payload", "first"), PICKLIST_CASES)
async def test_list_options_reads_once_and_caches_for_ten_minutes(
    client: HaloClient,
    router: respx.MockRouter,
    clock: FakeClock,
    picklist: Picklist,
    query: str,
    payload: list[dict[str, Any]],
    first: list[tuple[str, str]],
) -> None:
    ticket = await _ticket(client, router)
    route = router.get(f"{hp.API}{query.split('?')[0]}").respond(200, json=payload)

    options = await client.list_options(picklist, ticket)

    assert str(route.calls.last.request.url) == f"{hp.API}{query}"
    assert_bearer(route.calls.last.request)
    assert [(o.external_id, o.name) for o in options][: len(first)] == first
    await client.list_options(picklist, ticket)
    assert route.call_count == 1
    clock.now += 601
    await client.list_options(picklist, ticket)
    assert route.call_count == 2


async def test_picklist_details(client: HaloClient, router: respx.MockRouter) -> None:
    ticket = await _ticket(client, router)
    routes = {
        p: router.get(f"{hp.API}{q.split('?')[0]}").respond(200, json=body)
        for p, q, body, _ in PICKLIST_CASES
    }
    statuses = await client.list_options(Picklist.STATUS, ticket)
    assert [o.external_id for o in statuses if o.closed] == ["9"]
    assert "9" not in [o.external_id for o in await client.list_options(Picklist.BOARD, ticket)]
    assert "12" not in [o.external_id for o in await client.list_options(Picklist.MEMBER, ticket)]
    priorities = await client.list_options(Picklist.PRIORITY, ticket)
    assert len(priorities) == 4  # one per priorityid, the hidden one left out
    assert await client.list_options(Picklist.ITEM, ticket) == []
    other_type = ticket.model_copy(update={"type_id": "3"})
    await client.list_options(Picklist.STATUS, other_type)
    assert routes[Picklist.STATUS].call_count == 2  # statuses are cached per ticket type
    assert str(routes[Picklist.STATUS].calls.last.request.url) == f"{hp.API}/Status?tickettype_id=3"


# -- search, contacts, companies -----------------------------------------------------------------------------


def other(ticket_id: int) -> dict[str, Any]:
    return hp.ticket(ticket_id, client=(99, "Other Co"))


async def test_search_tickets_scopes_by_client_and_maps_summaries(
    client: HaloClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{hp.API}/Tickets").respond(
        200,
        json=hp.tickets_page(
            [hp.ticket(4242), hp.ticket(4100, status=hp.CLOSED_STATUS), other(4000)], page_size=4
        ),
    )
    query = TicketSearch(company_id="12", contact_id="34", text="outlook", limit=3, exclude_ticket_id="4242")

    found = await client.search_tickets(query)

    assert str(route.calls.last.request.url) == (
        f"{hp.API}/Tickets?client_id=12&order=dateoccurred&orderdesc=true&pageinate=true&user_id=34"
        "&open_only=false&search=outlook&page_size=4&page_no=1"
    )
    assert_bearer(route.calls.last.request)
    assert [(t.external_id, t.closed, t.company_id, t.status) for t in found] == [
        ("4100", True, "12", "Closed")
    ]
    assert found[0].created_at == datetime(2026, 3, 2, 8, 1, 10, 421438, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "flag"),
    [
        (TicketState.OPEN, "open_only=true"),
        (TicketState.CLOSED, "closed_only=true"),
        (TicketState.ANY, "open_only=false"),
    ],
)
async def test_search_state_filters(
    client: HaloClient, router: respx.MockRouter, state: TicketState, flag: str
) -> None:
    route = router.get(f"{hp.API}/Tickets").respond(200, json=hp.tickets_page([]))
    assert await client.search_tickets(TicketSearch(company_id="12", state=state)) == []
    assert flag in str(route.calls.last.request.url) and route.call_count == 1


async def test_search_follows_pages_to_the_limit(client: HaloClient, router: respx.MockRouter) -> None:
    first = [hp.ticket(5000 - i) for i in range(8)] + [other(4990), other(4989)]
    second = [hp.ticket(4900 - i) for i in range(3)]
    route = router.get(f"{hp.API}/Tickets").mock(
        side_effect=[
            httpx.Response(200, json=hp.tickets_page(first, page_size=10, record_count=13)),
            httpx.Response(200, json=hp.tickets_page(second, page_no=2, page_size=10, record_count=13)),
        ]
    )
    found = await client.search_tickets(TicketSearch(company_id="12", limit=10))
    assert [parse_qs(c.request.url.query.decode())["page_no"] for c in route.calls] == [["1"], ["2"]]
    assert len(found) == 10 and found[-1].external_id == "4899"


async def test_search_stops_at_the_page_cap(client: HaloClient, router: respx.MockRouter) -> None:
    page = hp.tickets_page([other(i) for i in range(5)], page_size=5, record_count=10_000)
    route = router.get(f"{hp.API}/Tickets").respond(200, json=page)
    assert await client.search_tickets(TicketSearch(company_id="12", limit=5)) == []
    assert route.call_count == 5


async def test_get_contact_and_company(client: HaloClient, router: respx.MockRouter) -> None:
    router.get(f"{hp.API}/Users/34").respond(200, json=hp.user())
    router.get(f"{hp.API}/Client/12").respond(200, json=hp.client())
    contact = await client.get_contact("34")
    company = await client.get_company("12")
    assert api_calls(router) == [("GET", f"{hp.API}/Users/34"), ("GET", f"{hp.API}/Client/12")]
    assert fields(contact, "name", "email", "phone") == (
        "Dana Scully",
        "dana.scully@contoso.example",
        "+1 555 0100",
    )
    assert fields(contact, "company_id", "company_name", "title", "inactive") == (
        "12",
        "Contoso Ltd",
        "Office Manager",
        False,
    )
    assert fields(company, "external_id", "name", "website", "inactive") == (
        "12",
        "Contoso Ltd",
        "https://contoso.example",
        False,
    )
    for bad in ("0", "-1", "12/../Agent", "1e3"):
        with pytest.raises(ValidationFailed):
            await client.get_contact(bad)
    assert len(api_calls(router)) == 2


# -- connection test and webhook registration ----------------------------------------------------------------


def serve_probes(router: respx.MockRouter, *, me: int = hp.AGENT_ID) -> None:
    router.get(f"{hp.API}/Tickets").respond(200, json=hp.tickets_page([hp.ticket()], page_size=1))
    router.get(f"{hp.API}/Users").respond(403, json="You do not have permission to view users")
    router.get(f"{hp.API}/Client").respond(200, json={"record_count": 1, "clients": [hp.client()]})
    router.get(f"{hp.API}/Agent/me").respond(200, json=hp.agent_me(me))


@pytest.mark.parametrize(
    ("me", "writes", "said"), [(hp.AGENT_ID, None, "as agent 38"), (41, False, "set agent_id to 41")]
)
async def test_check_access_probes_reads_and_the_writing_agent(
    client: HaloClient, router: respx.MockRouter, me: int, writes: bool | None, said: str
) -> None:
    serve_probes(router, me=me)
    checks = {c.capability: c for c in await client.check_access()}
    assert {k: v.ok for k, v in checks.items()} == {
        "read_tickets": True,
        "write_notes": writes,
        "update_tickets": None,
        "log_time": None,
        "read_contacts": False,
        "read_companies": True,
        "manage_webhooks": None,
    }
    assert (
        "permission to view users" in checks["read_contacts"].detail and said in checks["write_notes"].detail
    )
    assert f"{hp.API}/Tickets?pageinate=true&page_size=1&page_no=1" in [u for _, u in api_calls(router)]


async def test_check_access_fails_without_a_token(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> None:
    router.post(hp.TOKEN_URL).respond(400, json=hp.oauth_error("invalid_request", "tenant not found"))
    client = make_client(router, sleeper, clock)
    with pytest.raises(IntegrationError, match="tenant not found"):
        await client.check_access()
    await client.aclose()


@pytest.mark.parametrize(
    ("auth", "said"),
    [
        ({}, f"Basic Authentication, username '{hp.WEBHOOK_USERNAME}', password '{hp.WEBHOOK_PASSWORD}'"),
        (
            {"webhook_auth": "header", "webhook_header_name": "X-Key"},
            f"API Key, header name 'X-Key', key '{hp.WEBHOOK_PASSWORD}'",
        ),
    ],
)
async def test_register_webhook_says_what_to_enter(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock, auth: dict[str, str], said: str
) -> None:
    client = make_client(router, sleeper, clock, **auth)
    url = "https://deskhand.example/webhooks/halopsa/3"
    registration = await client.register_webhook(url)
    await client.aclose()
    text = "\n".join(registration.instructions)
    assert registration.registered is False and registration.external_id is None
    assert url in text and said in text
    for event in ("New Ticket Logged", "Ticket Status Changed", "Ticket Reassigned"):
        assert event in text
    assert router.calls.call_count == 0


# -- against the stateful fake -------------------------------------------------------------------------------


async def test_full_round_trip_against_the_fake(sleeper: FakeSleep, clock: FakeClock) -> None:
    fake = FakeHalo(origin="https://halo.example.net/halo")
    fake.add_ticket(4242)
    fake.add_ticket(4300, client=(99, "Other Co"))

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = fake.handle(request.method, str(request.url), headers, request.content)
        return httpx.Response(status, json=payload)

    config = HaloConfig(**hp.integration_config(fake.origin))
    client = HaloClient(config, transport=httpx.MockTransport(handler), sleep=sleeper, clock=clock)
    ticket = await client.get_ticket("4242")
    note = await client.add_note("4242", "Triage: MFA prompt loop.", internal=True)
    fake.revoke_tokens()  # Halo rotated keys: the next call is refused once, then succeeds
    statuses = await client.list_options(Picklist.STATUS, ticket)
    teams = await client.list_options(Picklist.BOARD, ticket)
    await client.update_ticket(ticket, TicketChanges(status=statuses[1], board=teams[2]))
    entry = TimeEntryDraft(
        started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), ended_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    )
    entry_id = await client.log_time(ticket, entry)
    found = await client.search_tickets(TicketSearch(company_id="12"))
    reloaded = await client.get_ticket("4242")
    await client.aclose()

    assert note.author == client.own_identity
    assert (reloaded.status, reloaded.board, reloaded.board_id) == ("In Progress", "Escalations", "8")
    assert [n.author for n in reloaded.notes] == [None, "38", "38"] and entry_id == "3"
    assert [t.external_id for t in found] == ["4242"]
    assert [(r.method, r.path) for r in fake.writes()] == [
        ("POST", "/api/Actions"),
        ("POST", "/api/Tickets"),
        ("POST", "/api/Actions"),
    ]
    assert fake.issued == 2
    assert fake.actions[4242][-1]["timetaken"] == 0.25
