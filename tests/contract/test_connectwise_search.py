"""ConnectWise ticket search, contacts and companies, against the stateful fake or plain respx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from connectors.connectwise import ConnectWiseClient
from core.domain import TicketSearch, TicketState
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise, parse_conditions
from evals.fakes.openapi_check import schema_problems
from tests.contract import connectwise_fixtures as fx
from tests.contract.connectwise_fixtures import api_calls

# The shared fixtures, bound here so that pytest finds them in this module.
fake, router, client, schemas = fx.fake, fx.router, fx.client, fx.schemas
raw_router, raw_client = fx.raw_router, fx.raw_client


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
    assert schema_problems(fake.contacts[77], {"$ref": "#/components/schemas/Contact"}, schemas) == []
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
    assert schema_problems(fake.companies[250], {"$ref": "#/components/schemas/Company"}, schemas) == []
    with pytest.raises(IntegrationError) as caught:
        await client.get_company("404")
    assert caught.value.status == 404 and "was not found" in caught.value.detail
