"""Sandbox PSA webhooks: deliveries are signed, forgeries refused, envelopes parsed strictly."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import SecretStr

from connectors.sandbox import (
    SandboxConfig,
    SandboxPsa,
    SandboxStore,
    SandboxWebhookReceiver,
    encode,
    signature_headers,
    ticket_event,
)
from connectors.sandbox.webhook import sign
from core.domain import EventAction
from core.errors import AuthenticationError, ValidationFailed
from tests.unit import sandbox_fixtures as fx
from tests.unit.sandbox_fixtures import ARCHITECTS, PRINTER_TICKET

# The shared fixtures, bound here so that pytest finds them in this module.
config, psa, store = fx.config, fx.psa, fx.store


# -- Webhooks -----------------------------------------------------------------------------------------


@pytest.fixture
def receiver(config: SandboxConfig) -> SandboxWebhookReceiver:
    return SandboxWebhookReceiver(config)


def test_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    # RFC 4231 test case 2.
    assert sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert signature_headers(SecretStr("Jefe"), b"what do ya want for nothing?")["X-Sandbox-Signature"] == (
        sign("Jefe", b"what do ya want for nothing?")
    )


async def test_genuine_delivery_of_our_own_write_parses_with_our_identity(
    psa: SandboxPsa, config: SandboxConfig, receiver: SandboxWebhookReceiver
) -> None:
    note = await psa.add_note(PRINTER_TICKET, "Plan: re-add plotter", internal=True)
    ticket = await psa.get_ticket(PRINTER_TICKET)
    body = encode(ticket_event(ticket, EventAction.UPDATED, psa.own_identity))

    await receiver.authenticate(signature_headers(config.webhook_secret, body), body)
    parsed = receiver.parse(body)

    assert parsed.entity_type == "ticket" and parsed.action is EventAction.UPDATED
    assert (parsed.external_id, parsed.company_external_id) == (PRINTER_TICKET, ARCHITECTS)
    # Echo detection compares these as equal strings.
    assert parsed.actor == ticket.updated_by == note.author == psa.own_identity
    assert parsed.idempotency_key == json.loads(body)["id"]
    uuid.UUID(parsed.idempotency_key)


async def test_header_name_is_case_insensitive(
    config: SandboxConfig, receiver: SandboxWebhookReceiver
) -> None:
    body = encode(ticket_event(SandboxStore.named(config.store).ticket("5002"), "created", "dlane"))
    await receiver.authenticate({"x-sandbox-signature": sign(config.webhook_secret, body)}, body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Sandbox-Signature": ""},
        {"X-Sandbox-Signature": "sha256=" + "0" * 64},
        {"X-Sandbox-Signature": "sha1=abc"},
    ],
)
async def test_missing_or_forged_signatures_are_refused(
    config: SandboxConfig, receiver: SandboxWebhookReceiver, headers: dict[str, str]
) -> None:
    body = encode(ticket_event(SandboxStore.named(config.store).ticket("5002"), "updated", "dlane"))
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(headers, body)


async def test_wrong_secret_and_tampered_body_are_refused(
    config: SandboxConfig, receiver: SandboxWebhookReceiver
) -> None:
    body = encode(ticket_event(SandboxStore.named(config.store).ticket("5002"), "updated", "dlane"))
    with pytest.raises(AuthenticationError, match="does not match"):
        await receiver.authenticate(signature_headers("someone-else's-secret", body), body)
    tampered = body.replace(b'"5002"', b'"5003"')
    with pytest.raises(AuthenticationError, match="does not match"):
        await receiver.authenticate(signature_headers(config.webhook_secret, body), tampered)


async def test_a_forged_malformed_body_fails_authentication_not_parsing(
    receiver: SandboxWebhookReceiver,
) -> None:
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(signature_headers("wrong", b"not json"), b"not json")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"entity": "ticket", "action": "updated", "ticket_id": "5001"}',
        b'{"id": "", "entity": "ticket", "action": "updated", "ticket_id": "5001"}',
        b'{"id": "e1", "action": "updated", "ticket_id": "5001"}',
        b'{"id": "e1", "entity": "ticket", "action": "merged", "ticket_id": "5001"}',
        b'{"id": "e1", "entity": "ticket", "action": "updated"}',
        b'{"id": "e1", "entity": "ticket", "action": "updated", "ticket_id": "../5001"}',
        b'{"id": "e1", "entity": "ticket", "action": "updated", "ticket_id": "5001", "actor": {"x": 1}}',
    ],
)
def test_malformed_envelopes_are_refused(receiver: SandboxWebhookReceiver, body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        receiver.parse(body)


def test_idempotency_key_is_stable_per_event_and_distinct_between_events(
    store: SandboxStore, receiver: SandboxWebhookReceiver
) -> None:
    ticket = store.ticket("5003")
    body = encode(ticket_event(ticket, "updated", "mobrien"))
    assert receiver.parse(body).idempotency_key == receiver.parse(body).idempotency_key  # redelivery
    other = encode(ticket_event(ticket, "updated", "mobrien"))
    assert receiver.parse(other).idempotency_key != receiver.parse(body).idempotency_key
    fixed = ticket_event(ticket, "updated", "mobrien", event_id="evt-42")
    assert receiver.parse(encode(fixed)).idempotency_key == "evt-42"


def test_delete_and_other_entities(store: SandboxStore, receiver: SandboxWebhookReceiver) -> None:
    deleted = receiver.parse(encode(ticket_event(store.ticket("5006"), "deleted", "jsmith")))
    assert (deleted.action, deleted.external_id, deleted.actor) == (EventAction.DELETED, "5006", "jsmith")

    company = receiver.parse(
        encode({"id": "e9", "entity": "Company", "action": "updated", "entity_id": "250", "actor": None})
    )
    assert (company.entity_type, company.external_id, company.actor) == ("company", "250", None)
    assert company.action is EventAction.UPDATED
