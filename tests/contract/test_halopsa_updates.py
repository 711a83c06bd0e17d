"""HaloPSA writes (notes, ticket updates, time) checked against the vendor's OpenAPI, and picklists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import respx

from connectors.halopsa import HaloClient
from core.domain import Picklist, PicklistOption, TicketChanges, TimeEntryDraft
from core.errors import ValidationFailed
from evals.fakes import halopsa_payloads as hp
from evals.fakes.openapi_check import schema_problems
from tests.contract import halopsa_fixtures as fx
from tests.contract.halopsa_fixtures import (
    ACTIONS_URL,
    TICKET,
    TICKET_URL,
    FakeClock,
    api_calls,
    assert_bearer,
    sent_json,
)

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, client = fx.router, fx.sleeper, fx.clock, fx.client


SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples"
SPEC_PATH = SAMPLES / "halo" / "openapi-subset-v2.json"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"Halo OpenAPI subset not present at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())  # type: ignore[no-any-return]


def body_problems(body: Any, path: str, spec: dict[str, Any]) -> list[str]:
    schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return schema_problems(body, schema, spec["components"]["schemas"])


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
