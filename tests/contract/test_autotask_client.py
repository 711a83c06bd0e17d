"""Autotask client against the vendor's HTTP contract, mocked at the transport (respx, or the fake).

Zone discovery, reads, picklists, search and configuration; writes, limits, webhook registration and
the vendor's swagger have their own modules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from connectors.autotask import AutotaskClient, AutotaskConfig
from connectors.autotask.limits import AutotaskLimits
from connectors.base import PsaConnector
from core.domain import Picklist, PicklistOption, TicketSearch, TicketState
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import autotask_payloads as at
from evals.fakes.autotask import FakeAutotask
from tests.contract import autotask_fixtures as fx
from tests.contract.autotask_fixtures import (
    COMPANY_URL,
    NOTE_FIELDS_URL,
    NOTES_QUERY_URL,
    TICKET_FIELDS_URL,
    TICKET_URL,
    FakeClock,
    assert_auth,
    at_ticket,
    sent,
    serve_metadata,
    serve_ticket,
)

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, limits = fx.router, fx.sleeper, fx.clock, fx.limits
make, client = fx.make, fx.client


# -- zone discovery -------------------------------------------------------------------------------------


async def test_zone_is_discovered_once_then_every_call_goes_to_the_zone(
    make: Any, router: respx.MockRouter
) -> None:
    discovery = router.get(at.DISCOVERY_URL).respond(200, json=at.zone_information())
    serve_ticket(router)
    serve_metadata(router)
    client = make(zone_url=None)

    assert client.learned_config() == {}
    await client.get_ticket(str(at.TICKET_ID))
    await client.get_ticket(str(at.TICKET_ID))

    assert discovery.call_count == 1
    request = discovery.calls.last.request
    assert str(request.url) == f"{at.DISCOVERY_URL}?user=deskhand-api%40acmemsp.example"
    assert_auth(request)
    assert all(str(c.request.url).startswith(at.API) for c in router.calls if c is not discovery.calls.last)
    assert client.learned_config() == {"zone_url": at.ZONE_URL}
    assert make().learned_config() == {}  # a configured zone is nothing learnt


@pytest.mark.parametrize(
    "zone",
    ["https://evil.example.com/ATServicesRest/", "http://webservices15.autotask.net/ATServicesRest/", None],
)
async def test_a_zone_off_autotask_https_is_refused_before_credentials_go_there(
    make: Any, router: respx.MockRouter, zone: str | None
) -> None:
    router.get(at.DISCOVERY_URL).respond(200, json={"url": zone})
    with pytest.raises(IntegrationError, match="zone"):
        await make(zone_url=None).get_ticket(str(at.TICKET_ID))
    assert router.calls.call_count == 1


# -- reads ----------------------------------------------------------------------------------------------


async def test_get_ticket_reads_item_notes_and_picklists(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    notes = serve_ticket(router)
    serve_metadata(router)

    ticket = await client.get_ticket(str(at.TICKET_ID))

    assert [(c.request.method, str(c.request.url)) for c in router.calls] == [
        ("GET", TICKET_URL),
        ("POST", NOTES_QUERY_URL),
        ("GET", TICKET_FIELDS_URL),
        ("GET", NOTE_FIELDS_URL),
        ("GET", COMPANY_URL),
    ]
    for call in router.calls:
        assert_auth(call.request)
    assert sent(notes) == {
        "filter": [{"op": "eq", "field": "ticketID", "value": at.TICKET_ID}],
        "MaxRecords": 500,
    }
    assert (ticket.external_id, ticket.number) == (str(at.TICKET_ID), f"T20260302.{at.TICKET_ID}")
    assert ticket.description.startswith("Since this morning Outlook")
    assert (ticket.status, ticket.status_id, ticket.closed) == ("New", "1", False)
    assert (ticket.board, ticket.board_id, ticket.priority) == (
        "Service Desk",
        str(at.QUEUE_SERVICE_DESK),
        "Medium",
    )
    assert (ticket.type, ticket.subtype, ticket.subtype_id) == (
        "Software",
        "Outlook",
        str(at.SUB_ISSUE_OUTLOOK),
    )
    assert (ticket.company.external_id, ticket.company.name) == (str(at.COMPANY_ID), at.COMPANY_NAME)
    assert ticket.contact is not None and ticket.contact.external_id == str(at.CONTACT_ID)
    assert (ticket.assignee_id, ticket.updated_by) == (str(at.TECH_ID), str(at.TECH_ID))
    assert ticket.updated_at == datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC)
    # Oldest first; publish "All Autotask Users" is the only customer-visible level; an impersonated
    # write is Deskhand's (the impersonator), so echo detection recognises it.
    assert [(n.external_id, n.internal, n.author, n.text) for n in ticket.notes] == [
        ("101", True, str(at.TECH_ID), "MFA\n\nChecked MFA registration: fine."),
        ("103", True, client.own_identity, "Plan: reset the Outlook profile."),
        ("102", False, None, "Please reset my profile."),
    ]


async def test_warm_reads_cost_two_requests_and_picklists_expire_after_ten_minutes(
    client: AutotaskClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    serve_ticket(router)
    metadata = serve_metadata(router)
    await client.get_ticket(str(at.TICKET_ID))
    before = router.calls.call_count
    await client.get_ticket(str(at.TICKET_ID))
    assert router.calls.call_count - before == 2
    clock.now += 601
    await client.get_ticket(str(at.TICKET_ID))
    assert metadata["tickets"].call_count == metadata["notes"].call_count == 2


async def test_closed_status_comes_from_the_picklist_and_contact_activity_is_not_a_resource(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    serve_ticket(router, status=at.STATUS_COMPLETE, last_activity_person_type=2, last_activity_resource_id=77)
    serve_metadata(router)
    ticket = await client.get_ticket(str(at.TICKET_ID))
    assert (ticket.status, ticket.closed, ticket.updated_by) == ("Complete", True, None)


async def test_a_missing_ticket_is_not_found(client: AutotaskClient, router: respx.MockRouter) -> None:
    router.get(f"{at.API}/Tickets/999").respond(200, json=at.item(None))
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("999")
    assert caught.value.status == 404 and "ticket 999 not found" in caught.value.detail


async def test_impersonation_header_rides_on_every_request(make: Any, router: respx.MockRouter) -> None:
    route = router.get(f"{at.API}/Contacts/{at.CONTACT_ID}").respond(200, json=at.item(at.contact()))
    contact = await make(impersonation_resource_id=at.TECH_ID).get_contact(str(at.CONTACT_ID))
    assert_auth(route.calls.last.request, impersonating=at.TECH_ID)
    assert (contact.name, contact.email, contact.company_id) == (
        "Dana Scully",
        "dana.scully@contoso.example",
        "174",
    )
    assert contact.inactive is False


async def test_get_company_maps_the_item(client: AutotaskClient, router: respx.MockRouter) -> None:
    route = router.get(COMPANY_URL).respond(200, json=at.item(at.company(active=False)))
    company = await client.get_company(str(at.COMPANY_ID))
    assert_auth(route.calls.last.request)
    assert (company.name, company.identifier, company.website, company.inactive) == (
        at.COMPANY_NAME, "CONTOSO", "www.contoso.example", True,
    )  # fmt: skip
    assert company.address == "26 Tech Valley Drive, Suite 2, East Greenbush, NY, 12061"


async def test_the_msps_own_company_has_id_zero(client: AutotaskClient, router: respx.MockRouter) -> None:
    router.get(f"{at.API}/Companies/0").respond(200, json=at.item(at.company(0, "Acme MSP")))
    assert (await client.get_company("0")).name == "Acme MSP"


async def test_ids_that_are_not_integers_never_reach_the_network(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    for call in (
        client.get_ticket("7431/../../Resources"),
        client.get_contact("-4"),
        client.get_company("x"),
        client.get_company("00x"),
        client.add_note("1 OR 1", "hi", internal=True),
    ):
        with pytest.raises(ValidationFailed):
            await call
    assert router.calls.call_count == 0


# -- picklists ------------------------------------------------------------------------------------------


async def test_list_options_reads_each_picklist_once(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    metadata = serve_metadata(router)
    resources = router.post(f"{at.API}/Resources/query").respond(200, json=at.items(at.resources()))
    codes = router.post(f"{at.API}/BillingCodes/query").respond(200, json=at.items(at.billing_codes()))
    ticket = at_ticket()

    def pairs(options: list[PicklistOption]) -> list[tuple[str, str, bool, str | None]]:
        return [(o.external_id, o.name, o.closed, o.parent_id) for o in options]

    assert pairs(await client.list_options(Picklist.STATUS, ticket)) == [
        ("1", "New", False, None), ("8", "In Progress", False, None),
        ("7", "Waiting Customer", False, None), ("5", "Complete", True, None),
    ]  # fmt: skip
    assert [o.name for o in await client.list_options(Picklist.BOARD, ticket)] == [
        "Service Desk",
        "Level II Support",
    ]
    assert next(o.name for o in await client.list_options(Picklist.PRIORITY, ticket)) == "Critical"
    assert [o.name for o in await client.list_options(Picklist.TYPE, ticket)] == ["Software", "Hardware"]
    assert pairs(await client.list_options(Picklist.SUBTYPE, ticket)) == [
        ("136", "Outlook", False, "10"), ("137", "Printer", False, "11"),
    ]  # fmt: skip
    assert await client.list_options(Picklist.ITEM, ticket) == []
    members = await client.list_options(Picklist.MEMBER, ticket)
    assert pairs(members) == [
        (str(at.TECH_ID), "John Smith", False, None),
        (str(at.OTHER_TECH_ID), "Ana Lopez", False, None),
    ]
    assert sent(resources) == {
        "filter": [{"op": "eq", "field": "isActive", "value": True}],
        "MaxRecords": 500,
    }
    work_types = await client.list_options(Picklist.WORK_TYPE, ticket)
    assert [o.name for o in work_types] == ["Remote Support", "Onsite Support"]  # not retired, not material
    assert sent(codes)["filter"] == [
        {"op": "eq", "field": "useType", "value": 1}, {"op": "eq", "field": "isActive", "value": True},
    ]  # fmt: skip

    for which in Picklist:
        await client.list_options(which, ticket)
    assert metadata["tickets"].call_count == resources.call_count == codes.call_count == 1
    assert metadata["notes"].call_count == 0


# -- search ---------------------------------------------------------------------------------------------


async def test_search_filters_on_the_company_and_returns_newest_first(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    router.get(TICKET_FIELDS_URL).respond(200, json=at.ticket_fields())
    older = at.ticket(11, title="VPN drops", create_date="2026-01-02T08:00:00Z")
    newer = at.ticket(12, title="VPN slow", status=at.STATUS_IN_PROGRESS, create_date="2026-02-02T08:00:00Z")
    route = router.post(f"{at.API}/Tickets/query").respond(200, json=at.items([older, newer]))

    found = await client.search_tickets(TicketSearch(
        company_id=str(at.COMPANY_ID), contact_id=str(at.CONTACT_ID), text=" vpn ", state=TicketState.OPEN,
        limit=5, exclude_ticket_id=str(at.TICKET_ID),
    ))  # fmt: skip

    assert sent(route) == {
        "filter": [
            {"op": "eq", "field": "companyID", "value": at.COMPANY_ID},
            {"op": "eq", "field": "contactID", "value": at.CONTACT_ID},
            {"op": "noteq", "field": "status", "value": at.STATUS_COMPLETE},
            {"op": "contains", "field": "title", "value": "vpn"},
            {"op": "noteq", "field": "id", "value": at.TICKET_ID},
        ],
        "MaxRecords": 500,
    }
    assert [(t.external_id, t.status, t.closed, t.company_id) for t in found] == [
        ("12", "In Progress", False, "174"), ("11", "New", False, "174"),
    ]  # fmt: skip
    await client.search_tickets(TicketSearch(company_id=str(at.COMPANY_ID), state=TicketState.CLOSED))
    assert sent(route)["filter"] == [
        {"op": "eq", "field": "companyID", "value": at.COMPANY_ID},
        {"op": "eq", "field": "status", "value": at.STATUS_COMPLETE},
    ]


async def test_search_follows_pages_with_the_same_body_up_to_the_cap(
    make: Any, limits: AutotaskLimits
) -> None:
    fake = FakeAutotask(page_size=2)
    for ticket_id in range(1, 16):
        fake.add_ticket(ticket_id, create_date=f"2026-01-{ticket_id:02d}T08:00:00Z")
    client = make(transport=httpx.MockTransport(fake.respond))

    found = await client.search_tickets(TicketSearch(company_id=str(at.COMPANY_ID), limit=3))

    queries = [r for r in fake.requests if "/query" in r.path]
    assert [r.path for r in queries] == ["/ATServicesRest/V1.0/Tickets/query"] + [
        "/ATServicesRest/V1.0/Tickets/query/next"
    ] * 4  # five pages, the sixth is never asked for
    assert all(r.method == "POST" and r.body == queries[0].body for r in queries)
    assert all(r.headers["secret"] == at.SECRET for r in queries)
    assert [t.external_id for t in found] == ["10", "9", "8"]  # newest of what was read, limited


async def test_a_next_page_off_the_zone_is_never_requested(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    router.get(TICKET_FIELDS_URL).respond(200, json=at.ticket_fields())
    router.post(f"{at.API}/Tickets/query").respond(
        200,
        json=at.items(
            [at.ticket()], next_page_url="https://evil.example.com/ATServicesRest/V1.0/Tickets/query/next"
        ),
    )
    with pytest.raises(IntegrationError, match="off this zone"):
        await client.search_tickets(TicketSearch(company_id=str(at.COMPANY_ID)))
    assert all(c.request.url.host == at.ZONE_HOST for c in router.calls)


# -- configuration and secrets --------------------------------------------------------------------------


async def test_client_satisfies_protocol_and_secrets_never_show(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    assert isinstance(client, PsaConnector)
    assert client.kind == "autotask" and client.own_identity == str(at.RESOURCE_ID)
    router.get(COMPANY_URL).respond(
        403,
        json=at.error(f"User {at.USERNAME} with secret {at.SECRET} and code {at.INTEGRATION_CODE} is denied"),
    )
    with pytest.raises(IntegrationError) as caught:
        await client.get_company(str(at.COMPANY_ID))
    config = at.config()
    texts = [
        repr(config),
        str(config),
        repr(client),
        config.model_dump_json(),
        str(caught.value),
        caught.value.detail,
    ]
    for text in texts:
        for secret in (at.SECRET, at.INTEGRATION_CODE, at.WEBHOOK_SECRET):
            assert secret not in text
    assert "is denied" in caught.value.detail and caught.value.status == 403
    properties = AutotaskConfig.model_json_schema()["properties"]
    assert all(
        properties[name]["sensitive"] is True for name in ("secret", "integration_code", "webhook_secret")
    )


@pytest.mark.parametrize(
    ("zone", "normalised"),
    [
        (
            "https://webservices15.autotask.net/ATServicesRest",
            "https://webservices15.autotask.net/ATServicesRest/",
        ),
        (
            "https://WebServices15.autotask.net/ATServicesRest/V1.0/",
            "https://webservices15.autotask.net/ATServicesRest/",
        ),
        ("http://127.0.0.1:8123/ATServicesRest/", "http://127.0.0.1:8123/ATServicesRest/"),
        ("  ", None),
    ],
)
def test_zone_url_is_normalised(zone: str, normalised: str | None) -> None:
    assert at.config(zone_url=zone).zone_url == normalised


@pytest.mark.parametrize(
    "overrides",
    [
        {"zone_url": "ftp://webservices15.autotask.net/"},
        {"zone_url": "https://u:p@webservices15.autotask.net/ATServicesRest/"},
        {"zone_url": "https://webservices15.autotask.net/ATServicesRest/?x=1"},
        {"webhook_secret": "short"},
        {"webhook_secret": "x" * 65},
        {"resource_id": 0},
        {"hourly_request_limit": 20_000},
    ],
)
def test_bad_configs_are_rejected(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        at.config(**overrides)


def test_a_webhook_secret_is_generated_when_none_is_given() -> None:
    values = at.integration_config("http://127.0.0.1:9")
    del values["webhook_secret"]
    first, second = AutotaskConfig.model_validate(values), AutotaskConfig.model_validate(values)
    assert 10 <= len(first.webhook_secret.get_secret_value()) <= 64
    assert first.webhook_secret != second.webhook_secret
    assert first.own_identity == str(at.RESOURCE_ID)
