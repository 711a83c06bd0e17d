"""HaloPSA search, contacts and companies, the connection test and webhook registration, and a round
trip against the stateful fake.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from connectors.halopsa import HaloClient, HaloConfig
from core.domain import Picklist, TicketChanges, TicketSearch, TicketState, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import halopsa_payloads as hp
from evals.fakes.halopsa import FakeHalo
from tests.contract import halopsa_fixtures as fx
from tests.contract.halopsa_fixtures import (
    FakeClock,
    FakeSleep,
    api_calls,
    assert_bearer,
    fields,
    make_client,
)

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, client = fx.router, fx.sleeper, fx.clock, fx.client


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
