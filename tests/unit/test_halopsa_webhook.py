"""HaloPSA webhook receiver: authentication before parsing, envelope parsing, echo actor, idempotency."""

from __future__ import annotations

import base64
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.base import WebhookReceiver
from connectors.halopsa import HaloWebhookReceiver
from core.domain import EventAction
from core.errors import AuthenticationError, ValidationFailed
from evals.fakes import halopsa_payloads as hp

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples" / "halo"
LIVE_SAMPLE = SAMPLES / "webhook-ticket-status-changed.live-redacted.json"
MINIMAL_SAMPLE = SAMPLES / "webhook-new-ticket-logged.minimal-example.json"


@pytest.fixture
def receiver() -> HaloWebhookReceiver:
    return HaloWebhookReceiver(hp.config())


@pytest.fixture
def header_receiver() -> HaloWebhookReceiver:
    return HaloWebhookReceiver(hp.config(webhook_auth="header"))


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_receiver_implements_the_protocol(receiver: HaloWebhookReceiver) -> None:
    assert isinstance(receiver, WebhookReceiver)


# -- authentication ------------------------------------------------------------------------------------------


async def test_valid_basic_auth_passes(receiver: HaloWebhookReceiver) -> None:
    body = hp.encode(hp.ticket_event())
    await receiver.authenticate(hp.auth_headers(body), body)
    await receiver.authenticate({"AUTHORIZATION": hp.auth_headers(body)["Authorization"]}, body)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"Authorization": ""}, "missing"),
        (basic(hp.WEBHOOK_USERNAME, "wrong-password-123456"), "do not match"),
        (basic("someone", hp.WEBHOOK_PASSWORD), "do not match"),
        (basic(hp.WEBHOOK_USERNAME, hp.WEBHOOK_PASSWORD + "x"), "do not match"),
        (
            {"Authorization": "Basic " + base64.b64encode(hp.WEBHOOK_PASSWORD.encode()).decode()},
            "do not match",
        ),
        ({"Authorization": "Basic not*base64"}, "malformed"),
        ({"Authorization": f"Bearer {hp.WEBHOOK_PASSWORD}"}, "not Basic"),
        ({"X-Deskhand-Webhook-Secret": hp.WEBHOOK_PASSWORD}, "missing"),
    ],
)
async def test_forged_or_missing_basic_auth_is_refused(
    receiver: HaloWebhookReceiver, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(AuthenticationError, match=reason) as caught:
        await receiver.authenticate(headers, hp.encode(hp.ticket_event()))
    assert hp.WEBHOOK_PASSWORD not in caught.value.detail


async def test_header_secret_mode(header_receiver: HaloWebhookReceiver) -> None:
    body = hp.encode(hp.ticket_event())
    await header_receiver.authenticate(hp.header_auth_headers(body), body)
    await header_receiver.authenticate({"x-deskhand-webhook-secret": f"  {hp.WEBHOOK_PASSWORD} "}, body)
    for headers in ({}, hp.header_auth_headers(body, secret="guessed-secret-0000"), hp.auth_headers(body)):
        with pytest.raises(AuthenticationError):
            await header_receiver.authenticate(headers, body)


async def test_bearer_token_in_an_authorization_header() -> None:
    receiver = HaloWebhookReceiver(hp.config(webhook_auth="header", webhook_header_name="Authorization"))
    await receiver.authenticate({"Authorization": f"Bearer {hp.WEBHOOK_PASSWORD}"}, b"{}")
    with pytest.raises(AuthenticationError):
        await receiver.authenticate({"Authorization": "Bearer nope-nope-nope-nope"}, b"{}")


async def test_authentication_never_reads_the_body(receiver: HaloWebhookReceiver) -> None:
    # A body that is not even JSON authenticates: the credentials alone decide, before any parsing.
    await receiver.authenticate(hp.auth_headers(), b"\xff not json")
    with pytest.raises(AuthenticationError):
        await receiver.authenticate({}, b"\xff not json")


async def test_credentials_are_compared_in_constant_time(
    receiver: HaloWebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(basic("intruder", hp.WEBHOOK_PASSWORD), b"{}")
    # Both parts are compared even when the user is already wrong.
    assert [b for _, b in compared] == [hp.WEBHOOK_USERNAME.encode(), hp.WEBHOOK_PASSWORD.encode()]


# -- parsing ------------------------------------------------------------------------------------------------


def parse(receiver: HaloWebhookReceiver, envelope: Any) -> Any:
    return receiver.parse(hp.encode(envelope))


def test_ticket_event_is_parsed(receiver: HaloWebhookReceiver) -> None:
    parsed = parse(receiver, hp.ticket_event(agent_id=hp.TECH_ID))
    assert parsed.idempotency_key == "8e25bc7b-e07e-4102-9398-5d6647e1e79d"
    assert (parsed.entity_type, parsed.action, parsed.external_id) == ("ticket", EventAction.UPDATED, "4242")
    assert (parsed.actor, parsed.company_external_id) == ("7", "12")
    assert parsed.summary == "Outlook keeps asking for password"


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("new ticket logged", EventAction.CREATED),
        ("New Ticket Logged", EventAction.CREATED),
        ("ticket reassigned", EventAction.UPDATED),
        ("ticket deleted", EventAction.DELETED),
        ("action added", EventAction.UPDATED),  # a new note updates its ticket
        ("action deleted", EventAction.UPDATED),  # the ticket lost a note; it still exists
    ],
)
def test_event_names_map_to_actions(receiver: HaloWebhookReceiver, event: str, action: EventAction) -> None:
    parsed = parse(receiver, hp.ticket_event(event=event))
    assert (parsed.entity_type, parsed.action, parsed.external_id) == ("ticket", action, "4242")


def test_duplicate_deliveries_share_a_key(receiver: HaloWebhookReceiver) -> None:
    body = hp.encode(hp.ticket_event())
    assert receiver.parse(body).idempotency_key == receiver.parse(body).idempotency_key
    again = parse(receiver, hp.ticket_event(delivery_id="0f0e0d0c-0000-4000-8000-000000000001"))
    assert again.idempotency_key != receiver.parse(body).idempotency_key


def test_own_echo_names_deskhands_agent(receiver: HaloWebhookReceiver) -> None:
    parsed = parse(receiver, hp.ticket_event(agent_id=hp.AGENT_ID))
    assert parsed.actor == hp.config().own_identity == "38"


def test_action_writer_is_the_actor(receiver: HaloWebhookReceiver) -> None:
    ours = hp.action(9, note="Plan", agent=(hp.AGENT_ID, hp.AGENT_NAME))
    parsed = parse(receiver, hp.ticket_event(event="action added", agent_id=hp.TECH_ID, action_body=ours))
    assert parsed.actor == "38"
    from_user = hp.action(10, note="Thanks!", hidden=False, agent=None)
    assert parse(receiver, hp.ticket_event(event="action added", action_body=from_user)).actor is None


def test_agent_equal_to_the_assignee_is_not_trusted_as_actor(receiver: HaloWebhookReceiver) -> None:
    # The envelope's agent_id may be the assignee; naming Deskhand as actor then would hide a real change.
    ticket = hp.ticket(agent=(hp.AGENT_ID, hp.AGENT_NAME))
    parsed = parse(receiver, hp.ticket_event(ticket_body=ticket, agent_id=hp.AGENT_ID))
    assert parsed.actor is None


def test_event_without_a_ticket_object_uses_object_id(receiver: HaloWebhookReceiver) -> None:
    envelope = hp.ticket_event(event="new ticket logged", include_ticket=False, object_id=5151)
    parsed = parse(receiver, envelope)
    assert (parsed.entity_type, parsed.action, parsed.external_id) == ("ticket", EventAction.CREATED, "5151")
    assert parsed.company_external_id is None


def test_an_action_added_to_a_known_ticket(receiver: HaloWebhookReceiver) -> None:
    envelope = hp.ticket_event(
        event="action added", include_ticket=False, object_id=3, action_body=hp.action(3, 4300, note="hi")
    )
    assert parse(receiver, envelope).external_id == "4300"


def test_unknown_entities_are_not_tickets(receiver: HaloWebhookReceiver) -> None:
    envelope = {
        **hp.ticket_event(event="new client created", include_ticket=False, object_id=12),
        "client": hp.client(),
    }
    parsed = parse(receiver, envelope)
    assert (parsed.entity_type, parsed.action, parsed.external_id) == ("client", EventAction.CREATED, "12")
    bare = parse(receiver, hp.ticket_event(event="asset updated", include_ticket=False, object_id=77))
    assert (bare.entity_type, bare.external_id) == ("unknown", "77")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b'"a string"', "not a JSON object"),
        (hp.encode([hp.ticket_event()]), "batch"),
        (hp.encode({"event": "new ticket logged", "ticket": {"id": 123}}), "no id"),
        (hp.encode({"id": "abc", "ticket": {"id": 123}}), "no event"),
    ],
)
def test_non_envelope_bodies_are_refused(receiver: HaloWebhookReceiver, body: bytes, reason: str) -> None:
    with pytest.raises(ValidationFailed, match=reason):
        receiver.parse(body)


def test_the_live_redacted_sample_parses(receiver: HaloWebhookReceiver) -> None:
    if not LIVE_SAMPLE.exists():
        pytest.skip(f"Halo live sample not present at {LIVE_SAMPLE}")
    parsed = receiver.parse(LIVE_SAMPLE.read_bytes())
    assert parsed.idempotency_key == "8e25bc7b-e07e-4102-9398-5d6647e1e79d"
    assert (parsed.entity_type, parsed.action, parsed.external_id) == ("ticket", EventAction.UPDATED, "4242")
    assert (parsed.company_external_id, parsed.summary) == ("1", "redacted")
    assert parsed.actor is None  # agent_id 3 is also the ticket's agent: cannot tell actor from assignee


def test_the_minimal_example_is_not_a_full_delivery(receiver: HaloWebhookReceiver) -> None:
    if not MINIMAL_SAMPLE.exists():
        pytest.skip(f"Halo minimal sample not present at {MINIMAL_SAMPLE}")
    sample: dict[str, Any] = json.loads(MINIMAL_SAMPLE.read_text())
    with pytest.raises(ValidationFailed, match="no id"):
        receiver.parse(MINIMAL_SAMPLE.read_bytes())
    parsed = parse(receiver, {"id": "d1", **sample})
    assert (parsed.entity_type, parsed.action, parsed.external_id) == ("ticket", EventAction.CREATED, "123")
