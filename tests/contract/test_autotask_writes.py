"""Autotask writes against the vendor's HTTP contract: notes, ticket updates and time entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import respx

from connectors.autotask import AutotaskClient
from core.domain import Picklist, PicklistOption, TicketChanges, TimeEntryDraft
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import autotask_payloads as at
from evals.fakes.autotask_metadata import field_info, picklist_value
from tests.contract import autotask_fixtures as fx
from tests.contract.autotask_fixtures import (
    NOTE_FIELDS_URL,
    START,
    TICKET_URL,
    FakeSleep,
    assert_auth,
    at_ticket,
    option,
    sent,
    serve_metadata,
)

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, limits = fx.router, fx.sleeper, fx.clock, fx.limits
make, client = fx.make, fx.client


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
        picklist_value(7, "Workflow", active=False, default=True),
        picklist_value(9, "Detail"),
    ]
    publish = [picklist_value(3, "All Autotask Users"), picklist_value(6, "Internal Only")]
    fields = {"fields": [field_info("noteType", note_types), field_info("publish", publish)]}
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
