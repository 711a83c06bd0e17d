"""Sandbox webhooks: an HMAC-signed JSON envelope, and helpers to build and sign deliveries.

Envelope::

    {"id": "<uuid>", "entity": "ticket", "action": "created|updated|deleted", "ticket_id": "5001",
     "company_id": "250", "actor": "jsmith", "occurred_at": "2026-01-05T14:00:00+00:00"}

Header ``X-Sandbox-Signature: sha256=<hex HMAC-SHA256(webhook_secret, raw body)>``, the same style as
GitHub's, so the demo exercises the real authenticate-then-parse path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from connectors.json_values import json_object
from connectors.sandbox.config import SandboxConfig
from core.domain import EventAction, ParsedWebhook, Ticket
from core.errors import AuthenticationError, ValidationFailed

SIGNATURE_HEADER = "X-Sandbox-Signature"
SIGNATURE_PREFIX = "sha256="
TICKET_ENTITY = "ticket"
MAX_KEY_LENGTH = 200


def sign(secret: str | SecretStr, body: bytes) -> str:
    """The header value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return SIGNATURE_PREFIX + hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_headers(secret: str | SecretStr, body: bytes) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(secret, body), "Content-Type": "application/json"}


def ticket_event(
    ticket: Ticket,
    action: EventAction | str,
    actor: str | None,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The envelope the sandbox sends when ``ticket`` is created, updated or deleted by ``actor``."""
    return {
        "id": event_id or str(uuid.uuid4()),
        "entity": TICKET_ENTITY,
        "action": EventAction(action).value,
        "ticket_id": ticket.external_id,
        "company_id": ticket.company.external_id,
        "actor": actor,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
    }


def encode(envelope: Mapping[str, Any]) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


def _optional_text(envelope: Mapping[str, Any], field: str) -> str | None:
    value = envelope.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationFailed(f"sandbox webhook field '{field}' must be a string")
    return str(value).strip() or None


def map_envelope(envelope: Mapping[str, Any]) -> ParsedWebhook:
    event_id = envelope.get("id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > MAX_KEY_LENGTH:
        raise ValidationFailed("sandbox webhook has no usable 'id'")
    entity = envelope.get("entity")
    if not isinstance(entity, str) or not entity.strip():
        raise ValidationFailed("sandbox webhook has no 'entity'")
    action_raw = envelope.get("action")
    try:
        action = EventAction(action_raw.strip().lower()) if isinstance(action_raw, str) else None
    except ValueError:
        action = None
    if action is None:
        raise ValidationFailed(f"sandbox webhook has an unknown action: {str(action_raw)[:40]!r}")
    entity_type = entity.strip().lower()
    is_ticket = entity_type == TICKET_ENTITY
    # Other entities (acknowledged, not worked) name their record in ``entity_id``.
    external_id = _optional_text(envelope, "ticket_id" if is_ticket else "entity_id")
    if is_ticket and (external_id is None or not external_id.isascii() or not external_id.isdigit()):
        raise ValidationFailed("sandbox ticket webhook needs a numeric 'ticket_id'")
    return ParsedWebhook(
        idempotency_key=event_id.strip(),
        entity_type=entity_type,
        action=action,
        external_id=external_id,
        actor=_optional_text(envelope, "actor"),
        company_external_id=_optional_text(envelope, "company_id"),
    )


class SandboxWebhookReceiver:
    """``connectors.base.WebhookReceiver`` for sandbox deliveries."""

    def __init__(self, config: SandboxConfig) -> None:
        self._secret = config.webhook_secret

    def __repr__(self) -> str:
        return "SandboxWebhookReceiver()"

    async def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        # The body is not looked at until the signature over its raw bytes matches.
        provided = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
        if provided is None or not provided.strip():
            raise AuthenticationError(f"missing {SIGNATURE_HEADER} header")
        expected = sign(self._secret, body).encode("ascii")
        if not hmac.compare_digest(expected, provided.strip().encode("utf-8", "replace")):
            raise AuthenticationError("signature does not match")

    def parse(self, body: bytes) -> ParsedWebhook:
        return map_envelope(json_object(body, "sandbox webhook body"))
