"""Authenticate and parse HaloPSA outbound webhooks.

Halo does not sign deliveries: the webhook is configured in Halo with Basic authentication (or an API
key header) holding a per-integration secret, and that is checked, in constant time, before the body is
read. The envelope is ``{id, webhook_id, notification_id, escmsg_id, event, message, object_id,
agent_id, timestamp}`` plus the objects the event is about (``ticket``, ``action`` where applicable).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any

from connectors.halopsa.config import HaloConfig
from connectors.halopsa.mapping import id_or_none
from connectors.json_values import json_object, text_or_none
from core.domain import EventAction, ParsedWebhook
from core.errors import AuthenticationError, ValidationFailed

AUTHORIZATION = "authorization"
ENVELOPE_KEYS = frozenset(
    {
        "id",
        "webhook_id",
        "notification_id",
        "escmsg_id",
        "event",
        "message",
        "object_id",
        "agent_id",
        "timestamp",
    }
)
# Event names are Halo notification events, lower case with spaces ("new ticket logged", "ticket status
# changed"); these words decide what happened. An action (note) added or removed updates its ticket.
DELETED_WORDS = frozenset({"deleted", "delete", "removed"})
CREATED_WORDS = frozenset({"new", "logged", "created", "added"})
ACTION_WORDS = frozenset({"action", "actions", "note", "notes"})


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def _equal(provided: bytes, expected: str) -> bool:
    return hmac.compare_digest(provided, expected.encode("utf-8"))


def basic_credentials(username: str, password: str) -> str:
    """The ``Authorization`` value Halo sends for Basic authentication."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class HaloWebhookReceiver:
    """``connectors.base.WebhookReceiver`` for HaloPSA webhooks."""

    def __init__(self, config: HaloConfig) -> None:
        self._config = config

    async def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        # The body is not looked at: Halo puts nothing verifiable in it.
        secret = self._config.webhook_password.get_secret_value()
        if self._config.webhook_auth == "header":
            name = self._config.webhook_header_name
            value = _header(headers, name)
            if value is None or not value.strip():
                raise AuthenticationError(f"missing {name} header")
            provided = value.strip()
            if name.lower() == AUTHORIZATION and provided[:7].lower() == "bearer ":
                provided = provided[7:].strip()  # Halo's "Bearer Token" authentication
            if not _equal(provided.encode("utf-8", "replace"), secret):
                raise AuthenticationError(f"{name} header does not match")
            return
        value = _header(headers, AUTHORIZATION)
        if value is None or not value.strip():
            raise AuthenticationError("missing Basic authorization")
        scheme, _, encoded = value.strip().partition(" ")
        if scheme.lower() != "basic":
            raise AuthenticationError("authorization is not Basic")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise AuthenticationError("malformed Basic authorization") from None
        user, colon, password = decoded.partition(b":")
        # Both parts are compared every time, so timing does not say which one was wrong.
        user_ok = _equal(user, self._config.webhook_username)
        password_ok = _equal(password, secret)
        if not (colon and user_ok and password_ok):
            raise AuthenticationError("Basic credentials do not match")

    def parse(self, body: bytes) -> ParsedWebhook:
        if body.lstrip().startswith(b"["):
            raise ValidationFailed("Halo webhook body is a batch; set the webhook's Batching to off")
        return map_event(json_object(body, "Halo webhook body"))


def _subject(name: str, envelope: Mapping[str, Any]) -> tuple[str, str | None]:
    """(entity type, external id): tickets by the ticket's id, anything else by ``object_id``."""
    words = set(name.split())
    ticket = envelope.get("ticket")
    action = envelope.get("action")
    if isinstance(ticket, Mapping):
        return "ticket", id_or_none(ticket.get("id")) or id_or_none(envelope.get("object_id"))
    if isinstance(action, Mapping) and id_or_none(action.get("ticket_id")):
        return "ticket", id_or_none(action.get("ticket_id"))
    if "ticket" in words and not words & ACTION_WORDS:
        return "ticket", id_or_none(envelope.get("object_id"))
    if words & ACTION_WORDS:
        return "action", id_or_none(envelope.get("object_id"))  # no ticket id to act on
    # Another record type: name it by the object the payload carries ("client", "asset", ...).
    kind = next(
        (
            key.lower()
            for key, value in envelope.items()
            if key not in ENVELOPE_KEYS and isinstance(value, Mapping)
        ),
        "unknown",
    )
    return kind, id_or_none(envelope.get("object_id"))


def _action(name: str, entity_type: str) -> EventAction:
    words = set(name.split())
    about_action = bool(words & ACTION_WORDS) and entity_type == "ticket"
    if words & DELETED_WORDS:
        return EventAction.UPDATED if about_action else EventAction.DELETED
    if words & CREATED_WORDS:
        return EventAction.UPDATED if about_action else EventAction.CREATED
    return EventAction.UPDATED


def _actor(envelope: Mapping[str, Any]) -> str | None:
    """The agent who caused the event, as ``str(agent id)``.

    An action object names its writer (``who_agentid``; 0 = an end user). Otherwise the envelope's
    ``agent_id`` is used, unless it equals the ticket's assigned agent: the one live capture has both
    equal, so it could be the assignee rather than the actor, and a wrong actor would suppress a real
    event as Deskhand's own echo (no actor only costs a ticket read, which the fingerprint check covers).
    """
    action = envelope.get("action")
    if isinstance(action, Mapping) and "who_agentid" in action:
        return id_or_none(action.get("who_agentid"))
    actor = id_or_none(envelope.get("agent_id"))
    ticket = envelope.get("ticket")
    if actor is not None and isinstance(ticket, Mapping) and id_or_none(ticket.get("agent_id")) == actor:
        return None
    return actor


def map_event(envelope: Mapping[str, Any]) -> ParsedWebhook:
    delivery_id = text_or_none(envelope.get("id"))
    if delivery_id is None:
        raise ValidationFailed("Halo webhook has no id")
    event = envelope.get("event")
    if not isinstance(event, str) or not event.strip():
        raise ValidationFailed("Halo webhook has no event name")
    name = " ".join(event.lower().split())
    entity_type, external_id = _subject(name, envelope)
    raw_ticket = envelope.get("ticket")
    ticket: Mapping[str, Any] = raw_ticket if isinstance(raw_ticket, Mapping) else {}
    return ParsedWebhook(
        idempotency_key=delivery_id,
        entity_type=entity_type,
        action=_action(name, entity_type),
        external_id=external_id,
        actor=_actor(envelope),
        company_external_id=id_or_none(ticket.get("client_id")),
        summary=text_or_none(ticket.get("summary")),
    )


def webhook_instructions(config: HaloConfig, url: str) -> tuple[str, ...]:
    """What to enter in Halo. Event names: "New Ticket Logged" and "Ticket Reassigned" (Halo's webhook
    guide), "ticket status changed" (a live delivery); the others vary by Halo version."""
    secret = config.webhook_password.get_secret_value()
    if config.webhook_auth == "header":
        auth = f"Authentication: API Key, header name '{config.webhook_header_name}', key '{secret}'."
    else:
        auth = (
            f"Authentication: Basic Authentication, username '{config.webhook_username}', "
            f"password '{secret}'."
        )
    return (
        "In Halo, open Configuration > Integrations > Webhooks and choose New.",
        f"Name 'Deskhand'; Webhook type 'Standard webhook'; Method POST; Payload URL {url}",
        auth,
        "Payload: 'Full object with linked objects' (or 'Small object with key fields only'); "
        "Batching: off, so each delivery carries one event.",
        "Events: add 'New Ticket Logged', 'Ticket Status Changed', 'Ticket Reassigned', 'Ticket Updated', "
        "and the event for an action (note) added to a ticket (named 'Action Added' or similar, by "
        "Halo version). Leave conditions empty unless Deskhand should see only some tickets.",
        f"Save. Changes made by agent {config.agent_id} (Deskhand's API agent) are recognised as "
        "Deskhand's own and do not start a run.",
        "Use the webhook's Deliveries tab to check that Deskhand answers HTTP 200.",
    )
