"""ConnectWise connection test, callback registration and the vendor's published GET paths."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import respx

from connectors.base import Capability
from connectors.connectwise import ConnectWiseClient
from core.domain import Picklist, TicketSearch
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from tests.contract import connectwise_fixtures as fx
from tests.contract.connectwise_fixtures import (
    SAMPLES,
    SPEC_PATH,
    WEBHOOK_URL,
    WRITE_SHAPES_PATH,
    api_calls,
    assert_authenticated,
    no_sleep,
)

# The shared fixtures, bound here so that pytest finds them in this module.
fake, router, client, schemas = fx.fake, fx.router, fx.client, fx.schemas
raw_router, raw_client = fx.raw_router, fx.raw_client


# -- connection test -------------------------------------------------------------------------------------


def access(checks: list[Any]) -> dict[str, tuple[bool | None, str]]:
    return {check.capability: (check.ok, check.detail) for check in checks}


async def test_check_access_reads_only_and_judges_writes_from_my_security(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    result = access(await client.check_access())

    assert list(result) == [capability.value for capability in Capability]
    assert {name: ok for name, (ok, _) in result.items()} == {
        "read_tickets": True,
        "write_notes": True,
        "update_tickets": True,
        "log_time": True,
        "read_contacts": True,
        "read_companies": True,
        "manage_webhooks": None,
    }
    assert result["update_tickets"][1] == "Service Desk > Service Tickets: Edit level All"
    assert fake.writes() == []
    probes = sorted((path, query.get("pageSize")) for _, path, query in api_calls(fake))
    assert probes == [
        ("/company/companies", "1"),
        ("/company/contacts", "1"),
        ("/service/tickets", "1"),
        ("/system/callbacks", "1"),
        ("/system/mySecurity", "1000"),
        ("/time/entries", "1"),
    ]


@pytest.mark.parametrize(
    ("overrides", "capability", "ok", "detail"),
    [
        ({"Service Tickets": {"editLevel": "None"}}, "update_tickets", False, "Edit level None; grant Edit"),
        ({"Service Tickets": {"editLevel": "My"}}, "write_notes", None, "only records the API member owns"),
        ({"Time Entry": {"addLevel": "My"}}, "log_time", True, "its own entries only"),
        (
            {"Time Entry": {"addLevel": "None"}},
            "log_time",
            False,
            "Time & Expense > Time Entry: Add level None",
        ),
    ],
)
async def test_check_access_reports_each_security_level(
    client: ConnectWiseClient,
    fake: FakeConnectWise,
    overrides: dict[str, dict[str, str]],
    capability: str,
    ok: bool | None,
    detail: str,
) -> None:
    fake.security = cw.my_security(overrides)
    got_ok, got_detail = access(await client.check_access())[capability]
    assert got_ok is ok and detail in got_detail


async def test_check_access_carries_connectwise_refusals(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    fake.forbidden = {"/company/contacts", "/system/mySecurity", "/time/entries", "/system/callbacks"}
    fake.security = []
    result = access(await client.check_access())

    assert result["read_contacts"][0] is False
    assert "HTTP 403" in result["read_contacts"][1] and "You do not have access" in result["read_contacts"][1]
    assert result["manage_webhooks"][0] is False
    assert result["log_time"][0] is False and "/time/entries" in result["log_time"][1]
    # Tickets are readable, so without the security levels the ticket writes stay unknown.
    assert result["update_tickets"][0] is None
    assert "could not read the API member's security levels" in result["update_tickets"][1]
    assert result["read_tickets"] == (True, "GET /service/tickets answered")


async def test_check_access_with_security_rows_missing_says_unknown(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    fake.security = []
    ok, detail = access(await client.check_access())["update_tickets"]
    assert ok is None and "did not report the Edit level of Service Desk > Service Tickets" in detail


async def test_check_access_with_bad_keys_fails_everything(
    fake: FakeConnectWise, router: respx.MockRouter
) -> None:
    client = ConnectWiseClient(
        cw.config(private_key="wrong-key"), transport=httpx.MockTransport(router.handler), sleep=no_sleep
    )
    result = access(await client.check_access())
    await client.aclose()
    assert {ok for ok, _ in result.values()} == {False}
    assert all("HTTP 401" in detail and "wrong-key" not in detail for _, detail in result.values())


async def test_learned_config_reports_the_discovered_codebase(
    client: ConnectWiseClient, router: respx.MockRouter
) -> None:
    assert client.learned_config() == {}
    await client.get_ticket("4711")
    assert client.learned_config() == {"codebase": cw.CODEBASE}
    configured = ConnectWiseClient(
        cw.config(codebase="v2025_1"), transport=httpx.MockTransport(router.handler)
    )
    await configured.get_ticket("4711")
    await configured.aclose()
    assert configured.learned_config() == {}


# -- callback registration -------------------------------------------------------------------------------


async def test_register_webhook_creates_one_ticket_callback_then_reuses_it(
    client: ConnectWiseClient, fake: FakeConnectWise
) -> None:
    registered_url = f"{WEBHOOK_URL}?recordId="  # ConnectWise appends the record id to what is registered
    fake.callbacks.append(cw.callback_entry(500, registered_url, inactive=True))  # same URL, but switched off

    first = await client.register_webhook(WEBHOOK_URL)
    second = await client.register_webhook(WEBHOOK_URL)

    assert first.registered and second.registered and first.external_id == second.external_id
    assert first.external_id == str(fake.callbacks[-1]["id"]) and len(fake.callbacks) == 2
    [post] = fake.writes()
    assert post.method == "POST" and post.path.endswith("/apis/3.0/system/callbacks")
    assert_authenticated(post)
    assert post.body == {
        "url": registered_url,
        "objectId": 1,
        "type": "ticket",
        "level": "owner",
        "description": "Deskhand",
        "payloadVersion": "3.0.0",
        "inactiveFlag": False,
        "isSoapCallbackFlag": False,
        "isSelfSuppressedFlag": False,
    }
    lookups = [(method, path, query) for method, path, query in api_calls(fake) if method == "GET"]
    assert (
        lookups
        == [("GET", "/system/callbacks", {"pageSize": "1000", "conditions": f'url="{registered_url}"'})] * 2
    )


def test_callback_body_matches_the_derived_write_shape() -> None:
    if not WRITE_SHAPES_PATH.exists():
        pytest.skip(f"write shapes not present at {WRITE_SHAPES_PATH}")
    from connectors.connectwise.callback_registration import callback_body

    shape = json.loads(WRITE_SHAPES_PATH.read_text())["CallbackEntry (POST /system/callbacks)"]
    allowed = set(shape["required"]) | {name.split(" ")[0] for name in shape["optional"]}
    body = callback_body(WEBHOOK_URL)
    assert set(shape["required"]) <= set(body) <= allowed
    sample = json.loads((SAMPLES / "system-callbacks-register-ticket.response.json").read_text())
    assert (body["type"], body["level"], body["objectId"]) == (
        sample["type"],
        sample["level"],
        sample["objectId"],
    )


@pytest.mark.parametrize(
    "url", ['https://x.example/hook" or url!="', "ftp://x.example/hook", "https://x.example/a b", "/relative"]
)
async def test_register_webhook_refuses_urls_that_could_break_the_lookup(
    client: ConnectWiseClient, fake: FakeConnectWise, url: str
) -> None:
    with pytest.raises(ValidationFailed):
        await client.register_webhook(url)
    assert fake.requests == []


async def test_a_failed_callback_post_is_not_resent(
    raw_client: ConnectWiseClient, raw_router: respx.MockRouter
) -> None:
    raw_router.get(f"{cw.API}/system/callbacks").respond(200, json=[])
    route = raw_router.post(f"{cw.API}/system/callbacks").respond(
        502, json=cw.error("BadGateway", "try later")
    )
    with pytest.raises(IntegrationError):
        await raw_client.register_webhook(WEBHOOK_URL)
    assert route.call_count == 1


# -- the vendor's published GET paths --------------------------------------------------------------------


async def test_every_get_the_spec_covers_uses_a_declared_path_and_parameters(
    client: ConnectWiseClient, fake: FakeConnectWise, schemas: dict[str, Any]
) -> None:
    spec = json.loads(SPEC_PATH.read_text())
    ticket = await client.get_ticket("4711")
    for picklist in (Picklist.STATUS, Picklist.BOARD, Picklist.TYPE, Picklist.SUBTYPE, Picklist.ITEM):
        await client.list_options(picklist, ticket)
    await client.search_tickets(TicketSearch(company_id="250", text="printer"))
    await client.get_contact("77")
    await client.get_company("250")
    await client.check_access()

    templates = {
        path: {p["name"] for p in ops["get"].get("parameters", [])} for path, ops in spec["paths"].items()
    }
    covered = 0
    for method, path, query in api_calls(fake):
        for template, declared in templates.items():
            pattern = "^" + "/".join("[0-9]+" if s.startswith("{") else s for s in template.split("/")) + "$"
            if method == "GET" and re.match(pattern, path):
                assert set(query) <= declared, (path, query)
                covered += 1
    assert covered >= 12
