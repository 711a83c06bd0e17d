"""HaloPSA client against the vendor's HTTP contract, mocked at the transport with respx.

Configuration, the OAuth token, retries and secrets; writes and picklists, search, contacts and
the connection test have their own modules.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import ValidationError

from connectors.base import PsaConnector
from connectors.halopsa import HaloClient, HaloConfig
from core.errors import IntegrationError
from evals.fakes import halopsa_payloads as hp
from tests.contract import halopsa_fixtures as fx
from tests.contract.halopsa_fixtures import (
    ACTIONS,
    ACTIONS_URL,
    TICKET,
    TICKET_URL,
    TOKEN,
    FakeClock,
    FakeSleep,
    api_calls,
    assert_bearer,
    fields,
    make_client,
    token_calls,
)

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, client = fx.router, fx.sleeper, fx.clock, fx.client


# -- config --------------------------------------------------------------------------------------------------


BASE_URLS = [
    ("acme.halopsa.com", "https://acme.halopsa.com"),
    (" https://Acme.HaloPSA.com/api/ ", "https://acme.halopsa.com"),
    ("https://acme.halopsa.com:443", "https://acme.halopsa.com"),
    ("http://127.0.0.1:8123/halo/", "http://127.0.0.1:8123/halo"),
] + [(bad, None) for bad in ("", "ftp://a.b", "https://u:p@a.b", "https://a.b/?x=1", "https://a/b/../c")]


@pytest.mark.parametrize(("given", "base"), BASE_URLS)
def test_config_normalises_or_rejects_the_base_url(given: str, base: str | None) -> None:
    if base is None:
        with pytest.raises(ValidationError):
            hp.config(base_url=given)
        return
    config = hp.config(base_url=given)
    assert (config.base_url, config.api_url, config.token_url) == (base, f"{base}/api", f"{base}/auth/token")


def test_config_auth_url_override_and_identity() -> None:
    config = hp.config(auth_url="https://auth.haloservicedesk.com/auth/token/")
    assert config.token_url == "https://auth.haloservicedesk.com/auth/token"
    assert config.own_identity == "38"
    bad: list[dict[str, Any]] = [
        {"agent_id": 0},
        {"surprise": True},
        {"webhook_username": "dh:x"},
        {"webhook_header_name": "Bad Header"},
        {"webhook_password": "short"},
    ]
    for overrides in bad:
        with pytest.raises(ValidationError):
            hp.config(**overrides)


def test_config_generates_webhook_password_and_hides_secrets() -> None:
    values = {k: v for k, v in hp.integration_config(hp.ORIGIN).items() if k != "webhook_password"}
    first, second = HaloConfig(**values), HaloConfig(**values)
    assert len(first.webhook_password.get_secret_value()) >= 32
    assert first.webhook_password != second.webhook_password
    assert HaloConfig.model_json_schema()["properties"]["client_secret"]["sensitive"] is True
    config = hp.config()
    for text in (repr(config), str(config), config.model_dump_json()):
        assert hp.CLIENT_SECRET not in text and hp.WEBHOOK_PASSWORD not in text


# -- token ---------------------------------------------------------------------------------------------------


async def test_client_is_a_psa_connector(client: HaloClient) -> None:
    assert isinstance(client, PsaConnector)
    assert client.kind == "halopsa" and client.own_identity == "38"
    assert client.learned_config() == {}
    assert hp.CLIENT_SECRET not in repr(client)


async def test_get_ticket_gets_a_token_then_reads_ticket_and_actions(
    client: HaloClient, router: respx.MockRouter
) -> None:
    router.get(TICKET_URL).respond(200, json=TICKET)
    router.get(ACTIONS_URL).respond(200, json=hp.actions_list(ACTIONS))

    ticket = await client.get_ticket("4242")

    (token_request,) = token_calls(router)
    assert str(token_request.url) == f"{hp.TOKEN_URL}?tenant=acme"
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token_request.headers
    assert parse_qs(token_request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [hp.CLIENT_ID],
        "client_secret": [hp.CLIENT_SECRET],
        "scope": ["all"],
    }
    assert api_calls(router) == [
        ("GET", f"{TICKET_URL}?includedetails=true"),
        ("GET", f"{ACTIONS_URL}?ticket_id=4242"),
    ]
    for call in router.calls[1:]:
        assert_bearer(call.request)

    assert fields(ticket, "external_id", "number", "summary") == (
        "4242",
        "4242",
        "Outlook keeps asking for password",
    )
    assert ticket.description.startswith("Since this morning Outlook prompts")
    assert fields(ticket, "status", "status_id", "board", "board_id") == ("New", "1", "Service Desk", "5")
    assert fields(ticket, "priority", "priority_id", "type", "type_id") == ("Medium", "3", "Incident", "1")
    assert (ticket.subtype, ticket.subtype_id) == ("Email>Outlook", "11")
    assert (ticket.assignee, ticket.assignee_id) == (hp.TECH_NAME, "7")
    assert (ticket.company.external_id, ticket.company.name) == ("12", "Contoso Ltd")
    assert ticket.contact is not None
    assert (ticket.contact.external_id, ticket.contact.email) == ("34", "dana.scully@contoso.example")
    assert ticket.closed is False
    assert ticket.updated_at == datetime(2026, 3, 2, 9, 15, 42, 123456, tzinfo=UTC)
    assert [fields(n, "external_id", "internal", "author") for n in ticket.notes] == [
        ("1", False, None),
        ("2", True, "7"),
    ]
    assert ticket.updated_by is None  # Halo does not say who edited a ticket last


async def test_closed_and_unassigned_ticket(client: HaloClient, router: respx.MockRouter) -> None:
    router.get(TICKET_URL).respond(200, json=hp.ticket(status=hp.CLOSED_STATUS, agent=None, team=None))
    router.get(ACTIONS_URL).respond(200, json=hp.actions_list([]))
    ticket = await client.get_ticket("4242")
    assert ticket.closed is True
    assert (ticket.assignee, ticket.assignee_id, ticket.board, ticket.board_id) == (None, None, None, None)


async def test_token_is_cached_until_shortly_before_expiry(
    client: HaloClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(f"{hp.API}/Users/34").respond(200, json=hp.user())
    await client.get_contact("34")
    clock.now += 3600 - 61
    await client.get_contact("34")
    assert len(token_calls(router)) == 1
    clock.now += 2  # within 60 s of expiry: renewed before use
    await client.get_contact("34")
    assert len(token_calls(router)) == 2


async def test_concurrent_calls_share_one_token_refresh(client: HaloClient, router: respx.MockRouter) -> None:
    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # the other calls arrive while this refresh is in flight
        return httpx.Response(200, json=hp.token_response(TOKEN))

    router.post(hp.TOKEN_URL).mock(side_effect=slow_token)
    router.get(f"{hp.API}/Users/34").respond(200, json=hp.user())
    await asyncio.gather(*(client.get_contact("34") for _ in range(5)))
    assert len(token_calls(router)) == 1
    assert len(api_calls(router)) == 5


async def test_401_drops_the_token_and_resends_once(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> None:
    router.post(hp.TOKEN_URL).mock(
        side_effect=[httpx.Response(200, json=hp.token_response(t)) for t in ("old-token", "new-token")]
    )
    route = router.get(f"{hp.API}/Users/34").mock(
        side_effect=[httpx.Response(401, json="Unauthorized"), httpx.Response(200, json=hp.user())]
    )
    client = make_client(router, sleeper, clock)
    contact = await client.get_contact("34")
    assert contact.company_id == "12" and sleeper.calls == []
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer old-token",
        "Bearer new-token",
    ]

    refused = router.get(f"{hp.API}/Client/12").respond(401, json="Unauthorized")
    router.post(hp.TOKEN_URL).respond(200, json=hp.token_response("third-token"))
    with pytest.raises(IntegrationError) as caught:  # refused again after a fresh token: no loop
        await client.get_company("12")
    await client.aclose()
    assert caught.value.status == 401 and refused.call_count == 2 and len(token_calls(router)) == 3


async def test_refused_credentials_never_show_the_secret(
    router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock
) -> None:
    router.post(hp.TOKEN_URL).respond(401, json=hp.oauth_error(description=f"bad secret {hp.CLIENT_SECRET}"))
    client = make_client(router, sleeper, clock)
    with pytest.raises(IntegrationError) as caught:
        await client.get_ticket("4242")
    await client.aclose()
    assert caught.value.status == 401
    assert "bad secret ***" in caught.value.detail and hp.CLIENT_SECRET not in str(caught.value)
    assert api_calls(router) == []


async def test_access_token_never_appears_in_errors(client: HaloClient, router: respx.MockRouter) -> None:
    router.get(f"{hp.API}/Users/34").respond(400, json=f"token {TOKEN} may not read users")
    with pytest.raises(IntegrationError) as caught:
        await client.get_contact("34")
    assert TOKEN not in str(caught.value) and "token *** may not" in caught.value.detail


async def test_retries_honour_retry_after_then_back_off(
    client: HaloClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    router.get(f"{hp.API}/Client/12").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json="Too many requests"),
            httpx.Response(502, json="Bad gateway"),
            httpx.Response(200, json=hp.client()),
        ]
    )
    company = await client.get_company("12")
    assert company.name == "Contoso Ltd"
    assert sleeper.calls[0] == 2.0
    assert 0.5 <= sleeper.calls[1] <= 1.0


async def test_a_failed_post_is_not_resent(
    client: HaloClient, router: respx.MockRouter, sleeper: FakeSleep
) -> None:
    route = router.post(ACTIONS_URL).respond(500, json="Server error")
    with pytest.raises(IntegrationError):
        await client.add_note("4242", "Looking into it.", internal=True)
    assert route.call_count == 1 and sleeper.calls == []
