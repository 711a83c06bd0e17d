"""Shared helpers and fixtures of the Autotask contract tests (bound into each test module)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from connectors.autotask import AutotaskClient
from connectors.autotask.limits import AutotaskLimits
from connectors.autotask.mapping import map_ticket
from connectors.autotask.picklists import note_picklists, ticket_picklists
from core.domain import PicklistOption, Ticket
from evals.fakes import autotask_payloads as at
from tests.timing import FakeClock, FakeSleep

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples"
SWAGGER_PATH = SAMPLES / "autotask" / "rest-swagger-subset-v1.json"
TICKET_URL = f"{at.API}/Tickets/{at.TICKET_ID}"
NOTES_QUERY_URL = f"{at.API}/TicketNotes/query"
TICKET_FIELDS_URL = f"{at.API}/Tickets/entityInformation/fields"
NOTE_FIELDS_URL = f"{at.API}/TicketNotes/entityInformation/fields"
COMPANY_URL = f"{at.API}/Companies/{at.COMPANY_ID}"
WEBHOOK_URL = "https://deskhand.example/webhooks/autotask/3"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


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


def at_ticket(**kwargs: Any) -> Ticket:
    return map_ticket(
        at.ticket(**kwargs), [], tickets=ticket_picklists(at.ticket_fields()),
        note_picklists=note_picklists(at.note_fields()), company_name=at.COMPANY_NAME,
    )  # fmt: skip


def option(value: int, name: str = "x", parent: int | None = None) -> PicklistOption:
    return PicklistOption(external_id=str(value), name=name, parent_id=str(parent) if parent else None)
