"""ConnectWise callback authentication (signing key from an allow-listed key_url) and parsing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from connectors.base import WebhookReceiver
from connectors.connectwise import ConnectWiseWebhookReceiver
from connectors.connectwise.webhook import SigningKeyCache, sign_body
from core.domain import EventAction, ParsedWebhook
from core.errors import AuthenticationError, ValidationFailed
from evals.fakes import connectwise_payloads as cw
from tests.timing import FakeClock

KEY_URL = cw.key_url()


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False, assert_all_mocked=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(5000.0)


@pytest.fixture
async def http(router: respx.MockRouter) -> AsyncIterator[httpx.AsyncClient]:
    # follow_redirects=True proves the receiver refuses redirects whatever the shared client does.
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(router.handler), follow_redirects=True
    ) as client:
        yield client


@pytest.fixture
def receiver(http: httpx.AsyncClient, clock: FakeClock) -> ConnectWiseWebhookReceiver:
    return ConnectWiseWebhookReceiver(cw.config(), http=http, key_cache=SigningKeyCache(clock=clock))


def serve_key(router: respx.MockRouter, key: str = cw.SIGNING_KEY, url: str = KEY_URL) -> respx.Route:
    return router.get(url).respond(200, json={"signing_key": key})


def ticket_body(**overrides: Any) -> bytes:
    entity = cw.ticket(updated_by="jsmith")
    return cw.encode(cw.callback(entity=entity, **overrides))


def signed(body: bytes, key: str = cw.SIGNING_KEY) -> dict[str, str]:
    return {"X-Content-Signature": sign_body(key, body), "Content-Type": "application/json"}


async def test_valid_signature_passes_and_parses_ticket_event(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    route = serve_key(router)
    body = ticket_body()

    await receiver.authenticate(signed(body), body)

    request = route.calls.last.request
    assert str(request.url) == KEY_URL
    assert "Authorization" not in request.headers  # the key URL never gets our API credentials
    assert receiver.parse(body) == ParsedWebhook(
        idempotency_key="6f1c9a52-7d3e-4b8a-9c21-5e0f4d2b7a10",
        entity_type="ticket",
        action=EventAction.UPDATED,
        external_id="4711",
        actor="jsmith",
        company_external_id="250",
        summary="Outlook keeps asking for password",
    )


def test_receiver_satisfies_protocol(receiver: ConnectWiseWebhookReceiver) -> None:
    assert isinstance(receiver, WebhookReceiver)


def test_sign_body_matches_the_documented_scheme() -> None:
    # Computed with openssl: HMAC-SHA256 keyed with the SHA-256 digest of "secret", over b"{}", base64.
    assert sign_body("secret", b"{}") == "fGnuGotLGWkkskt80D4DgutYipf9wPqs/p/q1anSbSY="


async def test_forged_signature_is_rejected(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    serve_key(router)
    body = ticket_body()
    with pytest.raises(AuthenticationError, match="does not match"):
        await receiver.authenticate(signed(body, key="attacker-key"), body)


async def test_body_changed_after_signing_is_rejected(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    serve_key(router)
    body = ticket_body()
    tampered = body.replace(b"4711", b"4712")
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signed(body), tampered)


@pytest.mark.parametrize("headers", [{}, {"x-content-signature": "  "}, {"X-Other": "abc"}])
async def test_missing_signature_header_is_rejected_without_fetching(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter, headers: dict[str, str]
) -> None:
    body = ticket_body()
    with pytest.raises(AuthenticationError, match="x-content-signature"):
        await receiver.authenticate(headers, body)
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    "key_url",
    [
        "https://evil.example.com/v2025_1//system/callbackkey/index.rails?id=1",
        cw.key_url(scheme="http"),
        cw.key_url(host="na.myconnectwise.net.evil.com"),
        cw.key_url(host="evilna.myconnectwise.net"),
        cw.key_url(host="na.myconnectwise.net:8443"),
        "https://na.myconnectwise.net@evil.example.com/key",
        "https://evil.example.com\\@na.myconnectwise.net/key",
        "https://127.0.0.1:8123/key",  # loopback, but not this integration's origin
        "file:///etc/passwd",
        "not a url",
    ],
)
async def test_key_url_off_the_allow_list_is_rejected_without_any_request(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter, key_url: str
) -> None:
    body = cw.encode(cw.callback(entity=cw.ticket(), key_url_value=key_url))
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signed(body), body)
    assert router.calls.call_count == 0


async def test_on_premise_key_url_on_the_integrations_own_origin_is_allowed(
    http: httpx.AsyncClient, router: respx.MockRouter
) -> None:
    receiver = ConnectWiseWebhookReceiver(cw.config(site="http://127.0.0.1:8123"), http=http)
    key_url = "http://127.0.0.1:8123/v2025_1//system/callbackkey/index.rails?companyName=acmemsp&id=1"
    serve_key(router, url=key_url)
    body = cw.encode(cw.callback(entity=cw.ticket(), key_url_value=key_url))
    await receiver.authenticate(signed(body), body)
    other_port = cw.encode(cw.callback(entity=cw.ticket(), key_url_value=key_url.replace("8123", "8124")))
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signed(other_port), other_port)


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", json.dumps({"MessageId": "x", "Metadata": {}}).encode()]
)
async def test_body_without_key_url_cannot_be_verified(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter, body: bytes
) -> None:
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signed(body), body)
    assert router.calls.call_count == 0


async def test_redirect_from_key_url_is_rejected(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    router.get(KEY_URL).respond(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    body = ticket_body()
    with pytest.raises(AuthenticationError, match="redirect"):
        await receiver.authenticate(signed(body), body)
    assert router.calls.call_count == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json={"code": "NotFound", "message": "no key"}),
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json={"key": "wrong field"}),
        httpx.Response(200, json={"signing_key": "x" * 20_000}),
    ],
)
async def test_unusable_key_responses_are_rejected(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter, response: httpx.Response
) -> None:
    router.get(KEY_URL).mock(return_value=response)
    body = ticket_body()
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signed(body), body)


async def test_key_fetch_failure_is_an_authentication_error(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    router.get(KEY_URL).mock(side_effect=httpx.ConnectTimeout)
    body = ticket_body()
    with pytest.raises(AuthenticationError, match="could not fetch"):
        await receiver.authenticate(signed(body), body)


async def test_signing_key_is_cached_per_key_url(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    route = serve_key(router)
    first = ticket_body()
    second = ticket_body(message_id="0b5e3a7c-1f2d-4e6a-8b9c-0d1e2f3a4b5c", action="added")
    await receiver.authenticate(signed(first), first)
    await receiver.authenticate(signed(second), second)
    assert route.call_count == 1


async def test_rotated_key_is_refetched_once(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(KEY_URL).mock(
        side_effect=[
            httpx.Response(200, json={"signing_key": cw.SIGNING_KEY}),
            httpx.Response(200, json={"signing_key": "rotated-key-2"}),
            httpx.Response(200, json={"signing_key": "rotated-key-2"}),
        ]
    )
    body = ticket_body()
    await receiver.authenticate(signed(body), body)
    clock.now += 120

    await receiver.authenticate(signed(body, key="rotated-key-2"), body)
    assert route.call_count == 2

    clock.now += 120
    with pytest.raises(AuthenticationError):  # still wrong after one refetch: rejected
        await receiver.authenticate(signed(body, key="attacker-key"), body)
    assert route.call_count == 3


async def test_forgeries_right_after_a_fetch_do_not_trigger_refetches(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    route = serve_key(router)
    body = ticket_body()
    await receiver.authenticate(signed(body), body)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            await receiver.authenticate(signed(body, key="attacker-key"), body)
    assert route.call_count == 1


def test_cache_is_bounded_and_expires(clock: FakeClock) -> None:
    cache = SigningKeyCache(ttl_seconds=60, max_entries=2, clock=clock)
    cache.put("a", "1")
    cache.put("b", "2")
    cache.put("c", "3")
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") == "3"
    clock.now += 61
    assert cache.get("c") is None


# -- parse ----------------------------------------------------------------------------------------------


def test_delete_event_has_null_entity(receiver: ConnectWiseWebhookReceiver) -> None:
    body = cw.encode(cw.callback(action="deleted", entity=None, member_id="jsmith"))
    assert json.loads(body)["Entity"] is None
    event = receiver.parse(body)
    assert (event.action, event.external_id, event.actor) == (EventAction.DELETED, "4711", "jsmith")
    assert event.company_external_id is None and event.summary is None


def test_added_event_maps_to_created(receiver: ConnectWiseWebhookReceiver) -> None:
    assert receiver.parse(ticket_body(action="added")).action is EventAction.CREATED


async def test_contact_event_is_parsed_as_contact(
    receiver: ConnectWiseWebhookReceiver, router: respx.MockRouter
) -> None:
    serve_key(router)
    body = cw.encode(
        cw.callback(record_type="Contact", action="added", record_id=57961, entity=cw.contact_entity())
    )
    await receiver.authenticate(signed(body), body)
    event = receiver.parse(body)
    assert (event.entity_type, event.action, event.external_id) == ("contact", EventAction.CREATED, "57961")
    assert event.company_external_id == "250" and event.summary is None


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        cw.encode({k: v for k, v in cw.callback(entity=None).items() if k != "MessageId"}),
        cw.encode({**cw.callback(entity=None), "Action": "archived"}),
        cw.encode({**cw.callback(entity=None), "Type": None}),
        cw.encode({**cw.callback(entity=None), "Entity": '{"id": 4711,'}),
        cw.encode({**cw.callback(entity=None), "Entity": "[1]"}),
    ],
)
def test_malformed_bodies_are_validation_failures(receiver: ConnectWiseWebhookReceiver, body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        receiver.parse(body)
