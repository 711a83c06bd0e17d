"""Autotask ``closed_tickets`` (the similar-ticket backfill) against the stateful fake and plain respx."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from connectors.autotask import AutotaskClient
from core.domain import PicklistOption, TicketChanges, TicketPage
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import autotask_payloads as at
from evals.fakes.autotask import FakeAutotask, Recorded
from evals.fakes.autotask_swagger import swagger_problems
from tests.contract import autotask_fixtures as fx
from tests.contract.autotask_fixtures import SWAGGER_PATH, TICKET_FIELDS_URL, at_ticket

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, limits = fx.router, fx.sleeper, fx.clock, fx.limits
make, client = fx.make, fx.client

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
QUERY_BODY = {
    "filter": [
        {"op": "eq", "field": "status", "value": at.STATUS_COMPLETE},
        {"op": "gte", "field": "completedDate", "value": "2025-01-01T00:00:00Z"},
    ],
    "MaxRecords": 100,
}
QUERY_PATH = "/ATServicesRest/V1.0/Tickets/query"
NEXT_PATH = "/ATServicesRest/V1.0/Tickets/query/next"
OTHER_COMPANY = 175
MAX_WALK = 20  # more pages than any test needs: a walk that does not end fails instead of hanging


def completed_at(minutes: int) -> str:
    return (SINCE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def fake() -> FakeAutotask:
    fake = FakeAutotask()
    fake.add_ticket(at.TICKET_ID)  # open
    return fake


@pytest.fixture
def autotask(make: Any, fake: FakeAutotask) -> AutotaskClient:
    return make(transport=httpx.MockTransport(fake.respond))  # type: ignore[no-any-return]


def queries(fake: FakeAutotask) -> list[Recorded]:
    return [r for r in fake.requests if r.path in (QUERY_PATH, NEXT_PATH)]


def seed_history(fake: FakeAutotask, count: int) -> set[str]:
    """``count`` Complete tickets of two companies, completed in an order unrelated to their ids."""
    for n in range(count):
        fake.add_ticket(
            1000 + n,
            status=at.STATUS_COMPLETE,
            completed_date=completed_at((n * 37) % count),
            company_id=OTHER_COMPANY if n % 2 else at.COMPANY_ID,
        )
    return {str(1000 + n) for n in range(count)}


def page_order(page: TicketPage, fake: FakeAutotask) -> list[tuple[str, int]]:
    return [(fake.tickets[int(t.external_id)]["completedDate"], int(t.external_id)) for t in page.tickets]


async def walk(client: AutotaskClient, cursor: str | None = None) -> list[TicketPage]:
    pages: list[TicketPage] = []
    for _ in range(MAX_WALK):
        page = await client.closed_tickets(SINCE, cursor=cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("closed_tickets never returned a last page")


# -- the request --------------------------------------------------------------------------------------------


async def test_first_page_request_and_every_company_sorted_by_completion(
    autotask: AutotaskClient, fake: FakeAutotask
) -> None:
    fake.add_ticket(4803, status=at.STATUS_COMPLETE, completed_date="2025-03-01T10:00:00.000Z")
    fake.add_ticket(
        4802, status=at.STATUS_COMPLETE, completed_date="2025-02-01T10:00:00Z", company_id=OTHER_COMPANY
    )
    fake.add_ticket(4804, status=at.STATUS_COMPLETE, completed_date="2025-02-01T10:00:00Z")  # tie: by id
    fake.add_ticket(4700, status=at.STATUS_COMPLETE, completed_date="2024-12-31T23:59:59Z")  # too early
    fake.add_ticket(4805, status=at.STATUS_IN_PROGRESS)

    page = await autotask.closed_tickets(SINCE)

    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/ATServicesRest/V1.0/Tickets/entityInformation/fields"),  # the Complete status value
        ("POST", QUERY_PATH),
    ]
    query = fake.requests[-1]
    assert query.body == QUERY_BODY and query.query == ""
    assert (query.headers["apiintegrationcode"], query.headers["username"], query.headers["secret"]) == (
        at.INTEGRATION_CODE, at.USERNAME, at.SECRET,
    )  # fmt: skip
    assert [(t.external_id, t.company_id, t.closed, t.status) for t in page.tickets] == [
        ("4802", str(OTHER_COMPANY), True, "Complete"),
        ("4804", str(at.COMPANY_ID), True, "Complete"),
        ("4803", str(at.COMPANY_ID), True, "Complete"),
    ]
    assert page.tickets[0].number == "T20260302.4802"
    assert page.next_cursor is None


def test_the_query_body_matches_the_vendor_swagger() -> None:
    if not SWAGGER_PATH.exists():
        pytest.skip(f"Autotask swagger subset not present at {SWAGGER_PATH}")
    definitions = json.loads(SWAGGER_PATH.read_text())["definitions"]
    assert swagger_problems(QUERY_BODY, "QueryModel", definitions) == []
    ticket = at.ticket(1, status=at.STATUS_COMPLETE, completed_date="2025-02-01T10:00:00.000Z")
    assert swagger_problems(ticket, "TicketModel", definitions) == []


# -- paging and resuming -----------------------------------------------------------------------------------


async def test_pages_to_the_end_through_next_page_urls(autotask: AutotaskClient, fake: FakeAutotask) -> None:
    expected = seed_history(fake, 230)

    pages = await walk(autotask)

    assert [len(p.tickets) for p in pages] == [100, 100, 30]
    listed = [t.external_id for p in pages for t in p.tickets]
    assert set(listed) == expected and len(listed) == 230
    for page in pages:  # sorted by completion, then id, within each page
        assert page_order(page, fake) == sorted(page_order(page, fake))
    # Across pages the walk follows Autotask's paging: by id, not by completion time.
    id_ranges = [
        (min(int(t.external_id) for t in p.tickets), max(int(t.external_id) for t in p.tickets))
        for p in pages
    ]
    assert id_ranges == [(1000, 1099), (1100, 1199), (1200, 1229)]
    cursors = [p.next_cursor for p in pages]
    assert cursors[-1] is None
    for cursor in cursors[:-1]:
        assert cursor is not None and cursor.startswith(f"{at.ZONE_URL}V1.0/Tickets/query/next?paging=")
    sent = queries(fake)
    assert [(r.method, r.path) for r in sent] == [
        ("POST", QUERY_PATH),
        ("POST", NEXT_PATH),
        ("POST", NEXT_PATH),
    ]
    assert all(r.body == QUERY_BODY for r in sent)  # every page is asked with the same filter
    assert [parse_qs(r.query)["paging"][0] for r in sent[1:]] == [
        parse_qs(urlsplit(c).query)["paging"][0] for c in cursors[:-1] if c
    ]


async def test_a_new_client_resumes_from_a_saved_cursor(
    autotask: AutotaskClient, fake: FakeAutotask, make: Any
) -> None:
    expected = seed_history(fake, 230)
    first = await autotask.closed_tickets(SINCE)
    saved = first.next_cursor
    assert saved is not None

    restarted = make(transport=httpx.MockTransport(fake.respond))
    rest = await walk(restarted, saved)

    listed = [t.external_id for t in first.tickets] + [t.external_id for p in rest for t in p.tickets]
    assert sorted(listed) == sorted(expected)
    assert queries(fake)[1].path == NEXT_PATH and queries(fake)[1].body == QUERY_BODY


async def test_changes_during_the_walk_do_not_shift_later_pages(
    autotask: AutotaskClient, fake: FakeAutotask
) -> None:
    seed_history(fake, 150)
    first = await autotask.closed_tickets(SINCE)
    fake.add_ticket(5000)  # a ticket beyond the walk's position, completed while the backfill runs
    await autotask.update_ticket(
        at_ticket(ticket_id=5000), TicketChanges(status=PicklistOption(external_id="5", name="Complete"))
    )
    reopened = at_ticket(ticket_id=1120, status=at.STATUS_COMPLETE)
    await autotask.update_ticket(reopened, TicketChanges(status=PicklistOption(external_id="8", name="x")))

    rest = await walk(autotask, first.next_cursor)

    listed = [t.external_id for p in rest for t in p.tickets]
    assert fake.tickets[5000]["completedDate"] == fake.now and fake.tickets[1120]["completedDate"] is None
    assert sorted(listed) == sorted([str(i) for i in range(1100, 1150) if i != 1120] + ["5000"])


# -- refusals ----------------------------------------------------------------------------------------------

ZONE_NEXT = f"{at.ZONE_URL}V1.0/Tickets/query/next"


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "page=2",
        "1100",
        f"{ZONE_NEXT}?paging=x#frag",
        f"{ZONE_NEXT}?paging=x y",
        f"ftp://{at.ZONE_HOST}/ATServicesRest/V1.0/Tickets/query/next?paging=x",
        f"https://user:pw@{at.ZONE_HOST}/ATServicesRest/V1.0/Tickets/query/next?paging=x",
        f"https://{at.ZONE_HOST}/ATServicesRest/V1.0/Tickets/query?paging=x",
        f"https://{at.ZONE_HOST}/ATServicesRest/V1.0/Companies/query/next?paging=x",
        f"https://{at.ZONE_HOST}/Other/V1.0/Tickets/query/next?paging=x",
        f"https://{at.ZONE_HOST}/ATServicesRest/x/V1.0/Tickets/query/next?paging=x",
        "https://evil.example.com/ATServicesRest/V1.0/Tickets/query/next?paging=x",
        f"https://{at.ZONE_HOST}.evil.example/ATServicesRest/V1.0/Tickets/query/next?paging=x",
        f"http://{at.ZONE_HOST}/ATServicesRest/V1.0/Tickets/query/next?paging=x",
        f"{ZONE_NEXT}?paging=" + "x" * 8000,
    ],
)
async def test_a_malformed_or_foreign_cursor_is_refused_before_any_request(
    autotask: AutotaskClient, fake: FakeAutotask, cursor: str
) -> None:
    with pytest.raises(ValidationFailed):
        await autotask.closed_tickets(SINCE, cursor=cursor)
    assert fake.requests == []


async def test_with_a_discovered_zone_a_foreign_cursor_costs_only_the_zone_lookup(
    make: Any, fake: FakeAutotask
) -> None:
    discovering = make(transport=httpx.MockTransport(fake.respond), zone_url=None)
    with pytest.raises(ValidationFailed):
        await discovering.closed_tickets(
            SINCE, cursor="https://webservices2.autotask.net/ATServicesRest/V1.0/Tickets/query/next?paging=x"
        )
    assert [r.path for r in fake.requests] == ["/ATServicesRest/V1.0/ZoneInformation"]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/ATServicesRest/V1.0/Tickets/query/next?paging=x",
        f"{ZONE_NEXT}?paging=same",  # the page it was asked with: following it would never end
    ],
)
async def test_a_next_page_url_that_cannot_be_followed_is_an_error(
    client: AutotaskClient, router: respx.MockRouter, next_url: str
) -> None:
    router.get(TICKET_FIELDS_URL).respond(200, json=at.ticket_fields())
    ticket = at.ticket(1, status=at.STATUS_COMPLETE, completed_date="2025-02-01T10:00:00Z")
    router.post(f"{at.API}/Tickets/query").respond(200, json=at.items([ticket], next_page_url=next_url))
    router.post(ZONE_NEXT).respond(200, json=at.items([ticket], next_page_url=next_url))
    cursor = f"{ZONE_NEXT}?paging=same"
    with pytest.raises(IntegrationError, match="off this zone or repeats"):
        await client.closed_tickets(SINCE, cursor=cursor)
    assert all(c.request.url.host == at.ZONE_HOST for c in router.calls)


async def test_a_busy_server_is_retried_and_strays_dropped(
    client: AutotaskClient, router: respx.MockRouter, sleeper: Any
) -> None:
    router.get(TICKET_FIELDS_URL).respond(200, json=at.ticket_fields())
    items = [
        at.ticket(2, status=at.STATUS_COMPLETE, completed_date="2025-03-01T00:00:00Z"),
        at.ticket(1, status=at.STATUS_COMPLETE, completed_date="2025-02-01T00:00:00Z"),
        at.ticket(3, status=at.STATUS_NEW),  # the vendor ignored the status filter
        at.ticket(4, status=at.STATUS_COMPLETE, completed_date="2024-02-01T00:00:00Z"),  # and the date
    ]
    route = router.post(f"{at.API}/Tickets/query")
    route.side_effect = [
        httpx.Response(503, headers={"Retry-After": "1"}),
        httpx.Response(200, json=at.items(items)),
    ]

    page = await client.closed_tickets(SINCE)

    assert [t.external_id for t in page.tickets] == ["1", "2"] and page.next_cursor is None
    assert route.call_count == 2 and sleeper.calls == [1.0]
    assert json.loads(route.calls.last.request.content) == QUERY_BODY
