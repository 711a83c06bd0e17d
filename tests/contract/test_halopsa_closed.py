"""HaloPSA ``closed_tickets`` (the similar-ticket backfill) against the stateful fake and plain respx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from connectors.halopsa import HaloClient
from connectors.halopsa.closed import CLOSED_QUERY
from core.domain import PicklistOption, TicketChanges, TicketPage
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import halopsa_payloads as hp
from evals.fakes.halopsa import FakeHalo, Recorded
from tests.contract import halopsa_fixtures as fx
from tests.contract.halopsa_fixtures import assert_bearer
from tests.timing import FakeClock, FakeSleep

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, client = fx.router, fx.sleeper, fx.clock, fx.client

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
FIRST_PAGE_QUERY = {
    "closed_only": "true",
    "datesearch": "datecleared",
    "order": "dateclosed",
    "orderdesc": "false",
    "order2": "id",
    "orderdesc2": "false",
    "pageinate": "true",
    "startdate": "2025-01-01T00:00:00Z",
    "page_size": "100",
    "page_no": "1",
}
OTHER_CLIENT = (99, "Other Co")
MAX_WALK = 20  # more pages than any test needs: a walk that does not end fails instead of hanging


def closed_at(minutes: int) -> str:
    return (SINCE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


@pytest.fixture
def fake() -> FakeHalo:
    fake = FakeHalo()
    fake.add_ticket(4242)  # open
    return fake


@pytest.fixture
def make(fake: FakeHalo, sleeper: FakeSleep, clock: FakeClock) -> Callable[[], HaloClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = fake.handle(request.method, str(request.url), headers, request.content)
        return httpx.Response(status, json=payload)

    def build() -> HaloClient:
        return HaloClient(hp.config(), transport=httpx.MockTransport(handler), sleep=sleeper, clock=clock)

    return build


@pytest.fixture
async def halo(make: Callable[[], HaloClient]) -> AsyncIterator[HaloClient]:
    client = make()
    yield client
    await client.aclose()


def ticket_reads(fake: FakeHalo) -> list[Recorded]:
    return [r for r in fake.requests if r.path == "/api/Tickets" and r.method == "GET"]


def query_of(recorded: Recorded) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(recorded.query).items()}


def seed_history(fake: FakeHalo, count: int) -> list[str]:
    """``count`` closed tickets of two clients, three per closing minute (ties broken by id), added in an
    order unrelated to either; returns their ids in the order the backfill must list them."""
    expected: list[tuple[str, int]] = []
    for n in range(count):
        ticket_id = 9000 - n * 7 % 997  # ids not in closing order
        client = OTHER_CLIENT if n % 2 else (12, "Contoso Ltd")
        fake.add_ticket(ticket_id, status=hp.CLOSED_STATUS, dateclosed=closed_at(n // 3), client=client)
        expected.append((closed_at(n // 3), ticket_id))
    return [str(ticket_id) for _, ticket_id in sorted(expected)]


async def walk(client: HaloClient, cursor: str | None = None) -> list[TicketPage]:
    pages: list[TicketPage] = []
    for _ in range(MAX_WALK):
        page = await client.closed_tickets(SINCE, cursor=cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("closed_tickets never returned a last page")


# -- the request --------------------------------------------------------------------------------------------


async def test_first_page_request_and_every_client_oldest_closed_first(
    halo: HaloClient, fake: FakeHalo
) -> None:
    fake.add_ticket(4801, status=hp.CLOSED_STATUS, dateclosed="2025-03-01T10:00:00.1234567Z")
    fake.add_ticket(4802, status=hp.CLOSED_STATUS, dateclosed="2025-02-01T10:00:00Z", client=OTHER_CLIENT)
    fake.add_ticket(4799, status=hp.CLOSED_STATUS, dateclosed="2025-02-01T10:00:00Z")  # tie: id decides
    fake.add_ticket(4700, status=hp.CLOSED_STATUS, dateclosed="2024-12-31T23:59:59Z")  # before since

    page = await halo.closed_tickets(SINCE)

    [read] = ticket_reads(fake)
    assert query_of(read) == FIRST_PAGE_QUERY
    assert read.query == (
        "closed_only=true&datesearch=datecleared&order=dateclosed&orderdesc=false&order2=id"
        "&orderdesc2=false&pageinate=true&startdate=2025-01-01T00%3A00%3A00Z&page_size=100&page_no=1"
    )
    assert read.body is None and read.headers["authorization"].startswith("Bearer fake-halo-token-")
    assert [(t.external_id, t.company_id, t.closed, t.status) for t in page.tickets] == [
        ("4799", "12", True, "Closed"),
        ("4802", "99", True, "Closed"),
        ("4801", "12", True, "Closed"),
    ]
    assert page.next_cursor is None


async def test_the_unconfirmed_parameter_names_live_in_one_constant(
    client: HaloClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{hp.API}/Tickets").respond(200, json=hp.tickets_page([], page_size=100))
    await client.closed_tickets(SINCE)
    sent = {k: v[-1] for k, v in parse_qs(route.calls.last.request.url.query.decode()).items()}
    assert {k: sent[k] for k in CLOSED_QUERY} == dict(CLOSED_QUERY)
    assert set(sent) == set(CLOSED_QUERY) | {"startdate", "page_size", "page_no"}
    assert_bearer(route.calls.last.request)


# -- paging and resuming -----------------------------------------------------------------------------------


async def test_pages_to_the_end_through_cursors(halo: HaloClient, fake: FakeHalo) -> None:
    expected = seed_history(fake, 230)

    pages = await walk(halo)

    assert [len(p.tickets) for p in pages] == [100, 100, 30]
    assert [p.next_cursor for p in pages] == [
        "page=2;since=2025-01-01T00:00:00Z",
        "page=3;since=2025-01-01T00:00:00Z",
        None,
    ]
    listed = [t.external_id for p in pages for t in p.tickets]
    assert listed == expected and len(set(listed)) == 230
    assert [query_of(r)["page_no"] for r in ticket_reads(fake)] == ["1", "2", "3"]
    assert all({**query_of(r), "page_no": "1"} == FIRST_PAGE_QUERY for r in ticket_reads(fake))


async def test_record_count_ends_the_walk_on_a_full_last_page(halo: HaloClient, fake: FakeHalo) -> None:
    seed_history(fake, 100)
    pages = await walk(halo)
    assert [(len(p.tickets), p.next_cursor) for p in pages] == [(100, None)]


async def test_a_new_client_resumes_from_a_saved_cursor(
    halo: HaloClient, fake: FakeHalo, make: Callable[[], HaloClient]
) -> None:
    expected = seed_history(fake, 230)
    first = await halo.closed_tickets(SINCE)
    saved = first.next_cursor
    assert saved == "page=2;since=2025-01-01T00:00:00Z"

    restarted = make()  # a new process: new token, same cursor
    try:
        rest = await walk(restarted, saved)
    finally:
        await restarted.aclose()

    resumed = [t.external_id for t in first.tickets] + [t.external_id for p in rest for t in p.tickets]
    assert resumed == expected
    assert [query_of(r)["page_no"] for r in ticket_reads(fake)] == ["1", "2", "3"]
    assert fake.issued == 2


async def test_a_ticket_closed_during_the_walk_is_listed_at_the_end(halo: HaloClient, fake: FakeHalo) -> None:
    seed_history(fake, 150)
    first = await halo.closed_tickets(SINCE)
    ticket = await halo.get_ticket("4242")
    await halo.update_ticket(ticket, TicketChanges(status=PicklistOption(external_id="9", name="Closed")))

    rest = await walk(halo, first.next_cursor)

    assert fake.tickets[4242]["dateclosed"] == fake.now
    assert rest[-1].tickets[-1].external_id == "4242"
    assert sum(len(p.tickets) for p in rest) == 51


# -- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "3",
        "page=3",
        "page=0;since=2025-01-01T00:00:00Z",
        "page=03;since=2025-01-01T00:00:00Z",
        "page=3;since=2025-01-01T00:00:00",
        "page=3;since=2025-01-01T00:00:00Z&page_size=1000",
        "page=100001;since=2025-01-01T00:00:00Z",
        "page=3;since=2025-06-01T00:00:00Z",  # issued for another since
    ],
)
async def test_a_malformed_cursor_is_refused_before_any_request(
    halo: HaloClient, fake: FakeHalo, cursor: str
) -> None:
    with pytest.raises(ValidationFailed):
        await halo.closed_tickets(SINCE, cursor=cursor)
    assert fake.requests == []


async def test_stray_records_are_dropped_and_a_wrong_body_refused(
    client: HaloClient, router: respx.MockRouter
) -> None:
    custom_closed = {**hp.ticket(11, status=(20, "Resolved - Auto")), "dateclosed": "2025-06-01T00:00:00Z"}
    items = [
        custom_closed,  # a custom closed status: closed_only says closed, so it is closed
        hp.ticket(10, status=hp.CLOSED_STATUS, dateclosed="2025-05-01T00:00:00Z"),
        {**hp.ticket(12, status=hp.CLOSED_STATUS, dateclosed="2025-05-01T00:00:00Z"), "client_id": 0},
        hp.ticket(13, status=hp.CLOSED_STATUS, dateclosed="2024-05-01T00:00:00Z"),  # date filter ignored
    ]
    route = router.get(f"{hp.API}/Tickets")
    route.side_effect = [
        httpx.Response(200, json=hp.tickets_page(items, page_size=100)),
        httpx.Response(200, json=[hp.ticket(10)]),
    ]

    page = await client.closed_tickets(SINCE)
    assert [(t.external_id, t.closed) for t in page.tickets] == [("10", True), ("11", True)]

    with pytest.raises(IntegrationError, match="expected a paginated ticket list"):
        await client.closed_tickets(SINCE)


async def test_a_busy_server_is_retried(
    client: HaloClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    route = router.get(f"{hp.API}/Tickets")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json=hp.tickets_page([hp.ticket(10, status=hp.CLOSED_STATUS)], page_size=100)),
    ]
    page = await client.closed_tickets(SINCE)
    assert [t.external_id for t in page.tickets] == ["10"]
    assert route.call_count == 2 and sleeper.calls == [2.0]
