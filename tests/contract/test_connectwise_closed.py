"""ConnectWise ``closed_tickets`` (the similar-ticket backfill) against the stateful fake and plain respx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from connectors.connectwise import ConnectWiseClient
from core.domain import PicklistOption, TicketChanges, TicketPage
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise, parse_conditions
from evals.fakes.openapi_check import schema_problems
from tests.contract import connectwise_fixtures as fx
from tests.contract.connectwise_fixtures import api_calls, assert_authenticated, no_sleep
from tests.timing import FakeClock

# The shared fixtures, bound here so that pytest finds them in this module.
fake, router, client, schemas = fx.fake, fx.router, fx.client, fx.schemas
raw_router, raw_client = fx.raw_router, fx.raw_client

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
CONDITIONS = "closedFlag=true and closedDate>=[2025-01-01T00:00:00Z]"
FABRIKAM = cw.company_ref(251, "Fabrikam", "Fabrikam Inc")
MAX_WALK = 20  # more pages than any test needs: a walk that does not end fails instead of hanging


def closed_at(minutes: int) -> str:
    return (SINCE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_history(fake: FakeConnectWise, count: int) -> list[str]:
    """``count`` closed tickets of two companies, three per closing minute (ties broken by id), added in
    an order unrelated to either; returns their ids in the order the backfill must list them."""
    expected: list[tuple[str, int]] = []
    for n in range(count):
        ticket_id = 9000 - n * 7 % 997  # ids not in closing order
        minute = n // 3
        company = FABRIKAM if n % 2 else None
        fake.add_ticket(ticket_id, closed=True, closed_date=closed_at(minute), company=company)
        expected.append((closed_at(minute), ticket_id))
    return [str(ticket_id) for _, ticket_id in sorted(expected)]


async def walk(client: ConnectWiseClient, cursor: str | None = None) -> list[TicketPage]:
    pages: list[TicketPage] = []
    for _ in range(MAX_WALK):
        page = await client.closed_tickets(SINCE, cursor=cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("closed_tickets never returned a last page")


# -- the request --------------------------------------------------------------------------------------------


async def test_first_page_request_and_every_company_oldest_closed_first(
    client: ConnectWiseClient, fake: FakeConnectWise, schemas: dict[str, Any]
) -> None:
    fake.add_ticket(4801, closed=True, closed_date="2025-03-01T10:00:00Z")
    fake.add_ticket(4802, closed=True, closed_date="2025-02-01T10:00:00Z", company=FABRIKAM)
    fake.add_ticket(4799, closed=True, closed_date="2025-02-01T10:00:00Z")  # same moment: id decides
    fake.add_ticket(4700, closed=True, closed_date="2024-12-31T23:59:59Z")  # closed before since
    fake.add_ticket(4803, closed=False)  # open (4711 too)

    page = await client.closed_tickets(SINCE)

    [(method, path, query)] = api_calls(fake)
    assert (method, path) == ("GET", "/service/tickets")
    assert query == {
        "conditions": CONDITIONS,
        "orderBy": "closedDate asc, id asc",
        "pageSize": "100",
        "page": "1",
    }
    recorded = fake.requests[-1]
    assert_authenticated(recorded)
    assert recorded.body is None and "%20" in recorded.query and "+" not in recorded.query
    assert parse_conditions(query["conditions"]) == [
        ("closedFlag", "=", True),
        ("closedDate", ">=", SINCE),
    ]
    assert [(t.external_id, t.company_id, t.closed) for t in page.tickets] == [
        ("4799", "250", True),
        ("4802", "251", True),
        ("4801", "250", True),
    ]
    assert page.tickets[0].summary == "Outlook keeps asking for password"
    assert page.next_cursor is None  # a short page is the last one
    assert schema_problems(fake.tickets[4802], {"$ref": "#/components/schemas/Ticket"}, schemas) == []


async def test_a_naive_or_offset_since_is_sent_as_utc_seconds(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    offset = datetime(2025, 1, 1, 1, 0, 0, 999_999, tzinfo=fx.START.tzinfo)  # 00:00:00.999999 UTC
    await client.closed_tickets(offset)
    await client.closed_tickets(datetime(2025, 1, 1))
    assert [query["conditions"] for _, _, query in api_calls(fake)] == [CONDITIONS, CONDITIONS]


# -- paging and resuming -----------------------------------------------------------------------------------


async def test_pages_to_the_end_through_cursors(client: ConnectWiseClient, fake: FakeConnectWise) -> None:
    expected = seed_history(fake, 230)

    pages = await walk(client)

    assert [len(p.tickets) for p in pages] == [100, 100, 30]
    assert [p.next_cursor for p in pages] == [
        "page=2;since=2025-01-01T00:00:00Z",
        "page=3;since=2025-01-01T00:00:00Z",
        None,
    ]
    listed = [t.external_id for p in pages for t in p.tickets]
    assert listed == expected and len(set(listed)) == 230
    assert {t.company_id for p in pages for t in p.tickets} == {"250", "251"}
    assert [query["page"] for _, _, query in api_calls(fake)] == ["1", "2", "3"]
    assert all(query["conditions"] == CONDITIONS for _, _, query in api_calls(fake))


async def test_a_full_last_page_is_followed_by_one_empty_page(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    seed_history(fake, 100)
    pages = await walk(client)
    assert [(len(p.tickets), p.next_cursor is None) for p in pages] == [(100, False), (0, True)]


async def test_a_new_client_resumes_from_a_saved_cursor(
    client: ConnectWiseClient, fake: FakeConnectWise, router: respx.MockRouter
) -> None:
    expected = seed_history(fake, 230)
    first = await client.closed_tickets(SINCE)
    saved = first.next_cursor
    assert saved is not None
    await client.aclose()  # the process dies; the cursor was saved as plain text

    restarted = ConnectWiseClient(
        cw.config(), transport=httpx.MockTransport(router.handler), sleep=no_sleep, clock=FakeClock()
    )
    try:
        rest = await walk(restarted, saved)
    finally:
        await restarted.aclose()

    resumed = [t.external_id for t in first.tickets] + [t.external_id for p in rest for t in p.tickets]
    assert resumed == expected
    assert api_calls(fake)[-2][2]["page"] == "2"


async def test_a_ticket_closed_during_the_walk_is_listed_at_the_end(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    seed_history(fake, 150)
    first = await client.closed_tickets(SINCE)
    fake.now = "2026-03-02T10:00:00Z"
    closed = PicklistOption(external_id="20", name=">Closed", closed=True, parent_id="1")
    await client.update_ticket(fx.ticket_4711(fake), TicketChanges(status=closed))

    rest = await walk(client, first.next_cursor)

    assert fake.tickets[4711]["closedDate"] == "2026-03-02T10:00:00Z"
    assert fake.tickets[4711]["closedBy"] == cw.API_MEMBER
    assert rest[-1].tickets[-1].external_id == "4711"
    assert sum(len(p.tickets) for p in rest) == 51


# -- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "2",
        "page=2",
        "page=0;since=2025-01-01T00:00:00Z",
        "page=-1;since=2025-01-01T00:00:00Z",
        "page=02;since=2025-01-01T00:00:00Z",
        "page=2;since=2025-01-01",
        "page=2;since=2025-01-01T00:00:00Z;x=1",
        " page=2;since=2025-01-01T00:00:00Z",
        "page=100001;since=2025-01-01T00:00:00Z",
        "page=2;since=2024-12-31T00:00:00Z",  # issued for another since
        "https://na.myconnectwise.net/v2025_1/apis/3.0/service/tickets?page=2",
    ],
)
async def test_a_malformed_cursor_is_refused_before_any_request(
    client: ConnectWiseClient, fake: FakeConnectWise, cursor: str
) -> None:
    with pytest.raises(ValidationFailed):
        await client.closed_tickets(SINCE, cursor=cursor)
    assert fake.requests == []


async def test_stray_records_are_dropped_and_a_page_is_sorted_here_too(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    no_company = {**cw.ticket(12, closed=True, closed_date="2025-05-01T00:00:00Z"), "company": None}
    page_items = [
        cw.ticket(11, closed=True, closed_date="2025-06-01T00:00:00Z"),
        cw.ticket(10, closed=True, closed_date="2025-05-01T00:00:00Z"),
        cw.ticket(13, closed=False),  # the vendor ignored closedFlag=true
        no_company,
        cw.ticket(14, closed=True, closed_date="2024-06-01T00:00:00Z"),  # ignored the date condition
    ]
    raw_router.get(f"{cw.API}/service/tickets").respond(200, json=page_items)

    page = await raw_client.closed_tickets(SINCE)

    assert [t.external_id for t in page.tickets] == ["10", "11"]
    assert page.next_cursor is None


async def test_a_busy_server_is_retried_and_a_wrong_body_refused(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    route = raw_router.get(f"{cw.API}/service/tickets")
    route.side_effect = [
        httpx.Response(503, headers={"Retry-After": "0"}),
        httpx.Response(200, json=[cw.ticket(10, closed=True, closed_date="2025-05-01T00:00:00Z")]),
        httpx.Response(200, json={"message": "not a list"}),
    ]
    page = await raw_client.closed_tickets(SINCE)
    assert [t.external_id for t in page.tickets] == ["10"] and route.call_count == 2

    with pytest.raises(IntegrationError, match="expected a JSON list"):
        await raw_client.closed_tickets(SINCE)


async def test_paging_past_the_cap_is_an_error_not_a_loop(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    full = [cw.ticket(i, closed=True, closed_date="2025-05-01T00:00:00Z") for i in range(1, 101)]
    raw_router.get(f"{cw.API}/service/tickets").respond(200, json=full)
    with pytest.raises(IntegrationError, match="past 100000 pages"):
        await raw_client.closed_tickets(SINCE, cursor="page=100000;since=2025-01-01T00:00:00Z")
