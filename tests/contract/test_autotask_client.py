"""Autotask client against the vendor's HTTP contract, mocked at the transport (respx, or the fake)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from connectors.autotask import AutotaskClient, AutotaskConfig
from connectors.autotask.limits import AutotaskLimits, HourlyBudget, endpoint_of
from connectors.autotask.mapping import map_ticket
from connectors.autotask.picklists import note_picklists, ticket_picklists
from connectors.base import Capability, PsaConnector
from core.domain import (
    Picklist,
    PicklistOption,
    Ticket,
    TicketChanges,
    TicketSearch,
    TicketState,
    TimeEntryDraft,
)
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import autotask_payloads as at
from evals.fakes.autotask import FakeAutotask

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples"
SWAGGER_PATH = SAMPLES / "autotask" / "rest-swagger-subset-v1.json"
TICKET_URL = f"{at.API}/Tickets/{at.TICKET_ID}"
NOTES_QUERY_URL = f"{at.API}/TicketNotes/query"
TICKET_FIELDS_URL = f"{at.API}/Tickets/entityInformation/fields"
NOTE_FIELDS_URL = f"{at.API}/TicketNotes/entityInformation/fields"
COMPANY_URL = f"{at.API}/Companies/{at.COMPANY_ID}"
WEBHOOK_URL = "https://deskhand.example/webhooks/autotask/3"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

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


@pytest.fixture
def limits() -> AutotaskLimits:
    return AutotaskLimits()  # a private registry, so tests never share the process-wide budget


@pytest.fixture
async def make(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock, limits: AutotaskLimits
) -> AsyncIterator[Any]:
    clients: list[AutotaskClient] = []

    def build(transport: httpx.AsyncBaseTransport | None = None, **cfg: Any) -> AutotaskClient:
        client = AutotaskClient(
            at.config(**cfg),
            transport=transport or httpx.MockTransport(router.handler),
            sleep=sleeper,
            clock=clock,
            limits=limits,
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make: Any) -> AutotaskClient:
    return make()  # type: ignore[no-any-return]


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def assert_auth(request: httpx.Request, *, impersonating: int | None = None) -> None:
    assert request.headers["ApiIntegrationCode"] == at.INTEGRATION_CODE
    assert request.headers["UserName"] == at.USERNAME
    assert request.headers["Secret"] == at.SECRET
    assert request.headers.get("ImpersonationResourceId") == (str(impersonating) if impersonating else None)


def serve_metadata(router: respx.MockRouter) -> dict[str, respx.Route]:
    return {
        "tickets": router.get(TICKET_FIELDS_URL).respond(200, json=at.ticket_fields()),
        "notes": router.get(NOTE_FIELDS_URL).respond(200, json=at.note_fields()),
        "company": router.get(COMPANY_URL).respond(200, json=at.item(at.company())),
    }


TICKET_NOTES = [
    at.note(101, description="Checked MFA registration: fine.", title="MFA", creator_resource_id=at.TECH_ID),
    at.note(
        102,
        description="Please reset my profile.",
        publish=at.PUBLISH_ALL,
        creator_resource_id=None,
        create_date_time="2026-03-02T09:30:00.000Z",
    ),
    at.note(
        103,
        description="Plan: reset the Outlook profile.",
        impersonator_resource_id=at.RESOURCE_ID,
        creator_resource_id=at.TECH_ID,
        create_date_time="2026-03-02T09:20:00.000Z",
    ),
]


def serve_ticket(router: respx.MockRouter, **ticket: Any) -> respx.Route:
    router.get(TICKET_URL).respond(200, json=at.item(at.ticket(**ticket)))
    return router.post(NOTES_QUERY_URL).respond(200, json=at.items(TICKET_NOTES))


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


def at_ticket(**kwargs: Any) -> Ticket:
    return map_ticket(
        at.ticket(**kwargs), [], tickets=ticket_picklists(at.ticket_fields()),
        note_picklists=note_picklists(at.note_fields()), company_name=at.COMPANY_NAME,
    )  # fmt: skip


def option(value: int, name: str = "x", parent: int | None = None) -> PicklistOption:
    return PicklistOption(external_id=str(value), name=name, parent_id=str(parent) if parent else None)


# -- writes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("internal", "publish"), [(True, at.PUBLISH_INTERNAL), (False, at.PUBLISH_ALL)])
async def test_add_note_posts_with_the_instances_note_type_and_publish(
    client: AutotaskClient, router: respx.MockRouter, internal: bool, publish: int
) -> None:
    serve_metadata(router)
    route = router.post(f"{TICKET_URL}/Notes").respond(200, json=at.created(9100))

    note = await client.add_note(
        str(at.TICKET_ID), "  Plan: reset the Outlook profile.\nThen re-add MFA.  ", internal=internal
    )

    assert_auth(route.calls.last.request)
    assert sent(route) == {
        "ticketID": at.TICKET_ID,
        "title": "Plan: reset the Outlook profile.",
        "description": "Plan: reset the Outlook profile.\nThen re-add MFA.",
        "noteType": at.NOTE_TYPE_DETAIL,
        "publish": publish,
    }
    assert (note.external_id, note.internal, note.author) == ("9100", internal, str(at.RESOURCE_ID))


async def test_publish_levels_are_found_by_label_on_a_customised_instance(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    note_types = [
        at.picklist_value(7, "Workflow", active=False, default=True),
        at.picklist_value(9, "Detail"),
    ]
    publish = [at.picklist_value(3, "All Autotask Users"), at.picklist_value(6, "Internal Only")]
    fields = {"fields": [at.field_info("noteType", note_types), at.field_info("publish", publish)]}
    router.get(NOTE_FIELDS_URL).respond(200, json=fields)
    route = router.post(f"{TICKET_URL}/Notes").respond(200, json=at.created(1))
    await client.add_note(str(at.TICKET_ID), "internal", internal=True)
    await client.add_note(str(at.TICKET_ID), "public", internal=False)
    assert [(sent(route, i)["noteType"], sent(route, i)["publish"]) for i in (0, 1)] == [(9, 6), (9, 3)]


async def test_empty_note_is_refused_without_a_request(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    with pytest.raises(ValidationFailed):
        await client.add_note(str(at.TICKET_ID), "   ", internal=True)
    assert router.calls.call_count == 0


async def test_a_failed_note_post_is_not_resent(
    client: AutotaskClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    serve_metadata(router)
    route = router.post(f"{TICKET_URL}/Notes").respond(
        500, json=at.error("Value does not exist for noteType")
    )
    with pytest.raises(IntegrationError, match="Value does not exist for noteType") as caught:
        await client.add_note(str(at.TICKET_ID), "hello", internal=True)
    assert route.call_count == 1 and sleeper.calls == [] and caught.value.status == 500


async def test_update_ticket_is_one_patch_and_assigns_with_the_resources_role(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    router.post(f"{at.API}/Resources/query").respond(200, json=at.items(at.resources()))
    route = router.patch(f"{at.API}/Tickets").respond(200, json=at.created(at.TICKET_ID))
    ticket = at_ticket()
    [_, ana] = await client.list_options(Picklist.MEMBER, ticket)
    before = router.calls.call_count

    await client.update_ticket(ticket, TicketChanges(
        status=option(at.STATUS_IN_PROGRESS), board=option(at.QUEUE_LEVEL_TWO), member=ana,
        priority=option(at.PRIORITY_HIGH), type=option(at.ISSUE_HARDWARE),
        subtype=option(at.SUB_ISSUE_PRINTER, parent=at.ISSUE_HARDWARE),
    ))  # fmt: skip

    assert router.calls.call_count - before == 1
    assert_auth(route.calls.last.request)
    assert sent(route) == {
        "id": at.TICKET_ID,
        "status": at.STATUS_IN_PROGRESS,
        "queueID": at.QUEUE_LEVEL_TWO,
        "priority": at.PRIORITY_HIGH,
        "assignedResourceID": at.OTHER_TECH_ID,
        "assignedResourceRoleID": at.OTHER_TECH_ROLE_ID,
        "issueType": at.ISSUE_HARDWARE,
        "subIssueType": at.SUB_ISSUE_PRINTER,
    }


async def test_assigning_an_unlisted_resource_reads_its_role_first(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    resource = router.get(f"{at.API}/Resources/{at.TECH_ID}").respond(
        200, json=at.item(at.resource(at.TECH_ID, "John", "Smith", role_id=at.TECH_ROLE_ID))
    )
    route = router.patch(f"{at.API}/Tickets").respond(200, json=at.created(at.TICKET_ID))
    await client.update_ticket(at_ticket(), TicketChanges(member=option(at.TECH_ID, "John Smith")))
    assert resource.call_count == 1
    assert sent(route) == {
        "id": at.TICKET_ID,
        "assignedResourceID": at.TECH_ID,
        "assignedResourceRoleID": at.TECH_ROLE_ID,
    }


async def test_a_new_issue_type_clears_the_old_sub_issue_type(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    route = router.patch(f"{at.API}/Tickets").respond(200, json=at.created(at.TICKET_ID))
    await client.update_ticket(at_ticket(), TicketChanges(type=option(at.ISSUE_HARDWARE)))
    assert sent(route) == {"id": at.TICKET_ID, "issueType": at.ISSUE_HARDWARE, "subIssueType": None}


@pytest.mark.parametrize(
    "changes",
    [
        TicketChanges(item=PicklistOption(external_id="3", name="Laptop")),
        TicketChanges(subtype=PicklistOption(external_id="137", name="Printer", parent_id="11")),
        TicketChanges(status=PicklistOption(external_id="New", name="New")),
    ],
)
async def test_impossible_updates_are_refused_without_a_request(
    client: AutotaskClient, router: respx.MockRouter, changes: TicketChanges
) -> None:
    with pytest.raises(ValidationFailed):
        await client.update_ticket(at_ticket(), changes)
    await client.update_ticket(at_ticket(), TicketChanges())  # nothing to change: nothing sent
    assert router.calls.call_count == 0


async def test_log_time_posts_a_time_entry_for_the_member_with_its_role(
    client: AutotaskClient, router: respx.MockRouter
) -> None:
    router.post(f"{at.API}/Resources/query").respond(200, json=at.items(at.resources()))
    route = router.post(f"{at.API}/TimeEntries").respond(200, json=at.created(5001))
    ticket = at_ticket()
    [john, _] = await client.list_options(Picklist.MEMBER, ticket)
    draft = TimeEntryDraft(
        started_at=START, ended_at=START + timedelta(minutes=45), member=john,
        work_type=option(at.WORK_TYPE_REMOTE, "Remote Support"), billable=True, notes="Reset the profile.",
    )  # fmt: skip

    assert await client.log_time(ticket, draft) == "5001"
    assert_auth(route.calls.last.request)
    assert sent(route) == {
        "ticketID": at.TICKET_ID,
        "resourceID": at.TECH_ID,
        "roleID": at.TECH_ROLE_ID,
        "dateWorked": "2026-03-02T00:00:00Z",
        "startDateTime": "2026-03-02T10:00:00Z",
        "endDateTime": "2026-03-02T10:45:00Z",
        "hoursWorked": 0.75,
        "billingCodeID": at.WORK_TYPE_REMOTE,
        "summaryNotes": f"Work on ticket T20260302.{at.TICKET_ID}",
        "internalNotes": "Reset the profile.",
        "isNonBillable": False,
    }


async def test_time_without_a_member_goes_to_the_impersonated_resource_or_is_refused(
    make: Any, router: respx.MockRouter
) -> None:
    draft = TimeEntryDraft(started_at=START, ended_at=START + timedelta(hours=1))
    with pytest.raises(ValidationFailed, match="cannot own time entries"):
        await make().log_time(at_ticket(), draft)
    for hours in (0, 25):
        too_long = TimeEntryDraft(
            started_at=START, ended_at=START + timedelta(hours=hours), member=option(at.TECH_ID)
        )
        with pytest.raises(ValidationFailed, match="24 hours"):
            await make().log_time(at_ticket(), too_long)
    assert router.calls.call_count == 0

    router.get(f"{at.API}/Resources/{at.TECH_ID}").respond(
        200, json=at.item(at.resource(at.TECH_ID, "John", "Smith", role_id=at.TECH_ROLE_ID))
    )
    route = router.post(f"{at.API}/TimeEntries").respond(200, json=at.created(5002))
    await make(impersonation_resource_id=at.TECH_ID).log_time(at_ticket(), draft)
    assert (sent(route)["resourceID"], sent(route)["isNonBillable"], "internalNotes" in sent(route)) == (
        at.TECH_ID, True, False,
    )  # fmt: skip
    assert_auth(route.calls.last.request, impersonating=at.TECH_ID)


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


# -- connection test and webhook registration -----------------------------------------------------------


async def test_check_access_probes_reads_and_asks_entity_information_for_writes(make: Any) -> None:
    fake = FakeAutotask(access={"ticketnotes": "None", "tickets": "Restricted"})
    checks = await make(transport=httpx.MockTransport(fake.respond)).check_access()

    by_capability = {c.capability: c for c in checks}
    assert list(by_capability) == [c.value for c in Capability]
    assert by_capability[Capability.WRITE_NOTES].ok is False
    assert "may not create TicketNotes" in by_capability[Capability.WRITE_NOTES].detail
    assert by_capability[Capability.UPDATE_TICKETS].ok is True
    assert "restricted" in by_capability[Capability.UPDATE_TICKETS].detail
    assert by_capability[Capability.READ_TICKETS].ok is True
    assert "of 10000 API requests used" in by_capability[Capability.READ_TICKETS].detail
    assert "impersonation_resource_id" in by_capability[Capability.LOG_TIME].detail
    assert all(r.method == "GET" or r.path.lower().endswith("/query") for r in fake.requests)  # no writes
    paths = {r.path for r in fake.requests}
    assert "/ATServicesRest/V1.0/TicketWebhooks/entityInformation" in paths
    assert "/ATServicesRest/V1.0/ThresholdInformation" in paths


async def test_check_access_reports_bad_credentials_on_every_line(
    make: Any, router: respx.MockRouter
) -> None:
    router.get(at.DISCOVERY_URL).respond(401, json={"message": f"Bad secret {at.SECRET}"})
    checks = await make(zone_url=None).check_access()
    assert len(checks) == len(Capability) and all(c.ok is False for c in checks)
    assert all("401" in c.detail and at.SECRET not in c.detail for c in checks)


async def test_register_webhook_creates_subscribes_fields_and_excludes_our_resource(make: Any) -> None:
    fake = FakeAutotask()
    client = make(transport=httpx.MockTransport(fake.respond))

    registration = await client.register_webhook(WEBHOOK_URL)

    writes = [(r.method, r.path.removeprefix("/ATServicesRest/V1.0"), r.body) for r in fake.writes()]
    assert writes[0] == ("POST", "/TicketWebhooks", {
        "name": "Deskhand ticket events", "webhookUrl": WEBHOOK_URL, "deactivationUrl": WEBHOOK_URL,
        "secretKey": at.WEBHOOK_SECRET, "isActive": True, "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True, "isSubscribedToDeleteEvents": True,
        "sendThresholdExceededNotification": False,
    })  # fmt: skip
    field_posts = [body for method, path, body in writes if path == "/TicketWebhooks/1/Fields"]
    assert {b["fieldID"] for b in field_posts} == {
        v for k, v in at.WEBHOOK_FIELD_IDS.items() if k != "DueDateTime"
    }
    assert all(b["webhookID"] == 1 for b in field_posts)
    by_id = {b["fieldID"]: b for b in field_posts}
    assert (by_id[4]["isSubscribedField"], by_id[4]["isDisplayAlwaysField"]) == (True, True)  # CompanyID
    assert (by_id[3]["isSubscribedField"], by_id[3]["isDisplayAlwaysField"]) == (False, True)  # TicketNumber
    assert writes[-1] == (
        "POST",
        "/TicketWebhooks/1/ExcludedResources",
        {"webhookID": 1, "resourceID": at.RESOURCE_ID},
    )
    assert (registration.registered, registration.external_id) == (True, "1")
    assert fake.webhooks[1]["isReady"] is True and fake.webhooks[1]["secretKey"] == at.WEBHOOK_SECRET
    assert at.WEBHOOK_SECRET not in registration.detail


async def test_register_webhook_again_reuses_it_resets_the_secret_and_adds_only_whats_missing(
    make: Any,
) -> None:
    fake = FakeAutotask()
    fake.webhooks[4] = {**at.ticket_webhook(4, WEBHOOK_URL), "secretKey": "an-older-secret-123"}
    fake.webhook_fields[4] = [{"id": 1, "fieldID": 4, "webhookID": 4, "isSubscribedField": True}]
    client = make(transport=httpx.MockTransport(fake.respond))

    registration = await client.register_webhook(WEBHOOK_URL)

    writes = [(r.method, r.path.removeprefix("/ATServicesRest/V1.0"), r.body) for r in fake.writes()]
    assert writes[0][:2] == ("PATCH", "/TicketWebhooks") and writes[0][2]["id"] == 4
    assert fake.webhooks[4]["secretKey"] == at.WEBHOOK_SECRET
    assert [b["fieldID"] for _, p, b in writes if p.endswith("/Fields")].count(4) == 0
    assert len(fake.webhook_fields[4]) == 11 and len(fake.excluded_resources[4]) == 1
    assert not any(m == "POST" and p == "/TicketWebhooks" for m, p, _ in writes)
    assert registration.external_id == "4" and "Reused" in registration.detail
    await client.register_webhook(WEBHOOK_URL)
    assert len(fake.webhook_fields[4]) == 11 and len(fake.excluded_resources[4]) == 1


# -- the vendor's swagger -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    if not SWAGGER_PATH.exists():
        pytest.skip(f"Autotask swagger subset not present at {SWAGGER_PATH}")
    return json.loads(SWAGGER_PATH.read_text())["definitions"]  # type: ignore[no-any-return]


async def test_every_body_sent_matches_the_vendor_swagger(make: Any, definitions: dict[str, Any]) -> None:
    fake = FakeAutotask()
    fake.add_ticket(at.TICKET_ID)
    client = make(transport=httpx.MockTransport(fake.respond))
    ticket = await client.get_ticket(str(at.TICKET_ID))
    await client.add_note(ticket.external_id, "Plan", internal=True)
    [john, _] = await client.list_options(Picklist.MEMBER, ticket)
    await client.update_ticket(
        ticket, TicketChanges(member=john, type=option(at.ISSUE_HARDWARE), status=option(8))
    )
    await client.log_time(
        ticket, TimeEntryDraft(started_at=START, ended_at=START + timedelta(hours=1), member=john, notes="x")
    )
    await client.search_tickets(
        TicketSearch(company_id="174", contact_id="5", text="vpn", state=TicketState.OPEN)
    )
    await client.register_webhook(WEBHOOK_URL)

    schema_for = {
        "/tickets/7431/notes": "TicketNoteModel", "/tickets": "TicketModel", "/timeentries": "TimeEntryModel",
        "/ticketwebhooks": "CompanyWebhookModel", "/ticketwebhooks/1/fields": "CompanyWebhookFieldModel",
        "/ticketwebhooks/1/excludedresources": "CompanyWebhookExcludedResourceModel",
    }  # fmt: skip
    checked = set()
    for request in fake.requests:
        if request.body is None:
            continue
        path = request.path.lower().removeprefix("/atservicesrest/v1.0")
        name = "QueryModel" if path.endswith(("/query", "/query/next")) else schema_for[path]
        assert at.swagger_problems(request.body, name, definitions) == [], (request.method, path)
        checked.add(name)
    assert checked == {"QueryModel", *schema_for.values()}


def test_the_django_autotask_fixtures_map() -> None:
    path = SAMPLES / "autotask" / "django-autotask-fixtures.json"
    if not path.exists():
        pytest.skip(f"django-autotask fixtures not present at {path}")
    fixtures = json.loads(path.read_text())
    tickets = ticket_picklists(fixtures["API_STATUS_FIELD"])
    notes = note_picklists(fixtures["API_NOTE_TYPE_FIELD"])  # no publish list there: stock levels
    ticket = map_ticket(
        fixtures["API_TICKET_ITEM"], fixtures["API_TICKET_NOTE_ITEMS"],
        tickets=tickets, note_picklists=notes, company_name=None,
    )  # fmt: skip
    assert (ticket.number, ticket.status, ticket.closed, ticket.company.external_id) == (
        "T20120604.0002.005", "Scheduled", False, "174",
    )  # fmt: skip
    assert [(n.text, n.internal, n.author) for n in ticket.notes] == [
        ("Note Title\n\nNote description", False, "10")
    ]
    subtypes = ticket_picklists(fixtures["API_SUB_ISSUE_TYPE_FIELD"]).options(Picklist.SUBTYPE)
    assert [(o.external_id, o.name) for o in subtypes] == [("2", "Rapid Response"), ("3", "Hardware Request")]
    assert (notes.note_type, notes.internal_publish, notes.public_publish) == (2, 2, 1)


def test_swagger_check_catches_a_misspelt_or_mistyped_property(definitions: dict[str, Any]) -> None:
    assert at.swagger_problems({"ticketID": 1, "noteTypes": 2}, "TicketNoteModel", definitions) != []
    assert at.swagger_problems({"ticketID": "1"}, "TicketNoteModel", definitions) != []
    assert at.swagger_problems({"TicketID": 1, "noteType": 2}, "TicketNoteModel", definitions) == []


# -- limits ---------------------------------------------------------------------------------------------


async def test_an_exhausted_hourly_budget_refuses_without_sending(
    make: Any, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(COMPANY_URL).respond(200, json=at.item(at.company()))
    first, second = make(hourly_request_limit=3), make(hourly_request_limit=3)  # same zone + user: one budget
    await first.get_company(str(at.COMPANY_ID))
    await second.get_company(str(at.COMPANY_ID))
    await first.get_company(str(at.COMPANY_ID))

    with pytest.raises(IntegrationError, match="hourly budget of 3 requests is used up") as caught:
        await second.get_company(str(at.COMPANY_ID))
    assert caught.value.retryable is True and route.call_count == 3
    clock.now += 3600
    await second.get_company(str(at.COMPANY_ID))
    assert route.call_count == 4


def test_the_hourly_budget_is_exact_under_threads() -> None:
    budget, granted = HourlyBudget(), list[int]()

    def spend() -> None:
        granted.extend(1 for _ in range(400) if budget.try_spend(10.0, 1000) is None)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 1000 and budget.used(10.0) == 1000
    assert budget.try_spend(3609.0, 1000) == pytest.approx(1.0) and budget.used(3610.0) == 0


async def test_never_more_than_three_requests_in_flight_per_endpoint(make: Any) -> None:
    in_flight: dict[str, int] = {"companies": 0, "contacts": 0}
    peak: dict[str, int] = {"companies": 0, "contacts": 0, "total": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_of(request.url.path)
        in_flight[endpoint] += 1
        peak[endpoint] = max(peak[endpoint], in_flight[endpoint])
        peak["total"] = max(peak["total"], sum(in_flight.values()))
        await asyncio.sleep(0.01)
        in_flight[endpoint] -= 1
        entity = at.company() if endpoint == "companies" else at.contact()
        return httpx.Response(200, json=at.item(entity))

    clients = [make(transport=httpx.MockTransport(slow)) for _ in range(2)]  # one tracking id, two clients
    calls = [c.get_company(str(at.COMPANY_ID)) for c in clients for _ in range(5)]
    calls += [clients[0].get_contact(str(at.CONTACT_ID)) for _ in range(5)]
    await asyncio.gather(*calls)

    assert peak["companies"] == peak["contacts"] == 3
    assert peak["total"] == 6  # the limit is per endpoint, not per client


def test_semaphores_belong_to_their_event_loop(limits: AutotaskLimits) -> None:
    async def grab() -> asyncio.Semaphore:
        semaphore = limits.semaphore(at.INTEGRATION_CODE, "tickets")
        async with semaphore:
            return semaphore

    first = asyncio.run(grab())
    second = asyncio.run(grab())
    assert first is not second
    assert endpoint_of("/ATServicesRest/V1.0/Tickets/4711/Notes") == "tickets"
    assert endpoint_of("/atservicesrest/v1.0/TicketNotes/query/next") == "ticketnotes"


async def test_429_honours_retry_after_and_each_attempt_is_counted(
    client: AutotaskClient,
    router: respx.MockRouter,
    sleeper: FakeSleep,
    limits: AutotaskLimits,
    clock: FakeClock,
) -> None:
    router.get(COMPANY_URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json=at.error("Too many requests")),
        httpx.Response(200, json=at.item(at.company())),
    ])  # fmt: skip
    company = await client.get_company(str(at.COMPANY_ID))
    assert company.name == at.COMPANY_NAME and sleeper.calls == [7.0]
    assert limits.budget(at.ZONE_URL, at.USERNAME).used(clock.now) == 2


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
