"""Autotask bodies checked against the vendor's swagger, and the django-autotask fixtures mapped."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from connectors.autotask.mapping import map_ticket
from connectors.autotask.picklists import note_picklists, ticket_picklists
from core.domain import Picklist, TicketChanges, TicketSearch, TicketState, TimeEntryDraft
from evals.fakes import autotask_payloads as at
from evals.fakes.autotask import FakeAutotask
from evals.fakes.autotask_swagger import swagger_problems
from tests.contract import autotask_fixtures as fx
from tests.contract.autotask_fixtures import SAMPLES, START, SWAGGER_PATH, WEBHOOK_URL, option

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, limits = fx.router, fx.sleeper, fx.clock, fx.limits
make, client = fx.make, fx.client


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
        assert swagger_problems(request.body, name, definitions) == [], (request.method, path)
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
    assert swagger_problems({"ticketID": 1, "noteTypes": 2}, "TicketNoteModel", definitions) != []
    assert swagger_problems({"ticketID": "1"}, "TicketNoteModel", definitions) != []
    assert swagger_problems({"TicketID": 1, "noteType": 2}, "TicketNoteModel", definitions) == []
