"""Autotask webhook callouts: X-Hook-Signature (HMAC-SHA1 of the raw body) checked first, then parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.autotask import AutotaskWebhookReceiver
from connectors.autotask.webhook import sign_body
from connectors.base import WebhookReceiver
from core.domain import EventAction, ParsedWebhook
from core.errors import AuthenticationError, ValidationFailed
from evals.fakes import autotask_payloads as at

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples" / "autotask"


@pytest.fixture
def receiver() -> AutotaskWebhookReceiver:
    return AutotaskWebhookReceiver(at.config())


def body_of(**overrides: Any) -> bytes:
    return at.encode(at.ticket_event(**overrides))


def test_receiver_satisfies_protocol_and_hides_the_secret(receiver: AutotaskWebhookReceiver) -> None:
    assert isinstance(receiver, WebhookReceiver)
    assert at.WEBHOOK_SECRET not in repr(receiver)


def test_sign_body_matches_the_documented_scheme() -> None:
    # Computed with openssl: HMAC-SHA1 keyed with "secret" over b"{}", base64, "sha1=" prefix.
    assert sign_body("secret", b"{}") == "sha1=XWFgXD/uqXmSEN3LcTB9S6JkIl8="
    assert at.sign(b"{}", "secret") == sign_body("secret", b"{}")


async def test_valid_signature_passes_and_the_ticket_event_parses(receiver: AutotaskWebhookReceiver) -> None:
    body = body_of()
    await receiver.authenticate(at.signed_headers(body), body)
    assert receiver.parse(body) == ParsedWebhook(
        idempotency_key=f"{at.WEBHOOK_GUID}:2",
        entity_type="ticket",
        action=EventAction.UPDATED,
        external_id=str(at.TICKET_ID),
        actor=str(at.TECH_ID),
        company_external_id=str(at.COMPANY_ID),
        summary="Outlook keeps asking for password",
    )


async def test_the_header_name_and_prefix_are_case_insensitive(receiver: AutotaskWebhookReceiver) -> None:
    body = body_of()
    signature = at.sign(body)
    await receiver.authenticate({"x-hook-signature": signature.replace("sha1=", "SHA1=")}, body)


@pytest.mark.parametrize(
    "signature",
    [
        at.sign(body_of(), "another-webhooks-secret"),
        at.sign(body_of()).removeprefix("sha1="),  # digest without the algorithm
        at.sign(body_of()).replace("sha1=", "sha256="),
        "sha1=" + "A" * 28,
    ],
)
async def test_forged_signatures_are_rejected(receiver: AutotaskWebhookReceiver, signature: str) -> None:
    with pytest.raises(AuthenticationError, match="does not match"):
        await receiver.authenticate({"X-Hook-Signature": signature}, body_of())


async def test_a_body_changed_after_signing_is_rejected(receiver: AutotaskWebhookReceiver) -> None:
    body = body_of()
    tampered = body.replace(str(at.TICKET_ID).encode(), b"7432")
    with pytest.raises(AuthenticationError):
        await receiver.authenticate(at.signed_headers(body), tampered)


@pytest.mark.parametrize("headers", [{}, {"X-Hook-Signature": "  "}, {"X-Content-Signature": at.sign(b"{}")}])
async def test_a_missing_signature_is_rejected(
    receiver: AutotaskWebhookReceiver, headers: dict[str, str]
) -> None:
    with pytest.raises(AuthenticationError, match="x-hook-signature"):
        await receiver.authenticate(headers, body_of())


async def test_authentication_runs_on_raw_bytes_before_any_parsing(receiver: AutotaskWebhookReceiver) -> None:
    # An unsigned malformed body is an authentication failure, never a parse error...
    with pytest.raises(AuthenticationError):
        await receiver.authenticate({"X-Hook-Signature": "sha1=x"}, b"{not json")
    # ...and a genuine but malformed body authenticates, then fails to parse.
    await receiver.authenticate(at.signed_headers(b"{not json"), b"{not json")
    with pytest.raises(ValidationFailed):
        receiver.parse(b"{not json")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        at.encode({k: v for k, v in at.ticket_event().items() if k != "Guid"}),
        at.encode({k: v for k, v in at.ticket_event().items() if k != "SequenceNumber"}),
        at.encode({**at.ticket_event(), "SequenceNumber": "two"}),
        at.encode({**at.ticket_event(), "Action": "Merge"}),
        at.encode({**at.ticket_event(), "EntityType": None}),
        at.encode({**at.ticket_event(), "Fields": ["Status"]}),
    ],
)
def test_malformed_bodies_are_validation_failures(receiver: AutotaskWebhookReceiver, body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        receiver.parse(body)


def test_the_idempotency_key_is_stable_per_callout(receiver: AutotaskWebhookReceiver) -> None:
    first = receiver.parse(body_of(sequence=41))
    again = receiver.parse(json.dumps(json.loads(body_of(sequence=41)), indent=2).encode())
    later = receiver.parse(body_of(sequence=42))
    other_webhook = receiver.parse(body_of(sequence=41, guid="d0046a73-76a0-41c4-a634-4b7fce7e43ec"))
    assert first.idempotency_key == again.idempotency_key == f"{at.WEBHOOK_GUID}:41"
    assert len({first.idempotency_key, later.idempotency_key, other_webhook.idempotency_key}) == 3


def test_our_own_write_is_recognisable_as_an_echo(receiver: AutotaskWebhookReceiver) -> None:
    event = receiver.parse(body_of(person_id=at.RESOURCE_ID))
    assert event.actor == at.config().own_identity == str(at.RESOURCE_ID)
    assert receiver.parse(body_of(person_id=at.TECH_ID)).actor != at.config().own_identity


def test_a_delete_has_no_fields(receiver: AutotaskWebhookReceiver) -> None:
    event = receiver.parse(body_of(action="Delete", fields={}, sequence=3))
    assert (event.action, event.entity_type, event.external_id) == (
        EventAction.DELETED,
        "ticket",
        str(at.TICKET_ID),
    )
    assert event.company_external_id is None and event.summary is None


def test_a_create_maps_to_created(receiver: AutotaskWebhookReceiver) -> None:
    assert receiver.parse(body_of(action="Create")).action is EventAction.CREATED


def test_other_entities_are_parsed_under_their_own_type(receiver: AutotaskWebhookReceiver) -> None:
    event = receiver.parse(body_of(entity_type="TicketNote", ticket_id=9001, fields={"TicketID": "7431"}))
    assert (event.entity_type, event.external_id, event.action) == ("ticketnote", "9001", EventAction.UPDATED)
    company = receiver.parse(body_of(entity_type="Company", ticket_id=174, fields={"CompanyName": "Contoso"}))
    assert company.entity_type == "company" and company.company_external_id is None


def test_keys_are_read_case_insensitively(receiver: AutotaskWebhookReceiver) -> None:
    camel = {k[0].lower() + k[1:]: v for k, v in at.ticket_event(fields={"companyID": 174}).items()}
    event = receiver.parse(json.dumps(camel).encode())
    assert (event.entity_type, event.company_external_id, event.idempotency_key) == (
        "ticket", "174", f"{at.WEBHOOK_GUID}:2",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "key", "action", "ticket_id"),
    [
        (
            "webhook-ticket-create.example.json",
            "a1da62a4-2c49-40a8-8183-69994ce5b3eb:1",
            EventAction.CREATED,
            "351181",
        ),
        (
            "webhook-ticket-update.example.json",
            "d0046a73-76a0-41c4-a634-4b7fce7e43ec:2",
            EventAction.UPDATED,
            "351182",
        ),
        (
            "webhook-ticket-delete.example.json",
            "a1da62a4-2c49-40a8-8183-69994ce5b3eb:3",
            EventAction.DELETED,
            "351181",
        ),
    ],
)
async def test_the_documented_sample_envelopes_authenticate_and_parse(
    receiver: AutotaskWebhookReceiver, name: str, key: str, action: EventAction, ticket_id: str
) -> None:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"Autotask sample not present at {path}")
    body = path.read_bytes()
    await receiver.authenticate(at.signed_headers(body), body)
    event = receiver.parse(body)
    assert (event.idempotency_key, event.action, event.entity_type) == (key, action, "ticket")
    assert (event.external_id, event.actor) == (ticket_id, "30691780")
