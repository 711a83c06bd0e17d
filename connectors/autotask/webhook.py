"""Authenticate and parse Autotask webhook callouts.

Autotask signs every callout with the webhook's SecretKey: ``X-Hook-Signature: sha1=<base64(HMAC-SHA1(
SecretKey, raw body))>``. The check runs on the raw bytes, in constant time, before anything is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from connectors.autotask.config import AutotaskConfig
from connectors.autotask.mapping import map_event
from connectors.json_values import json_object
from core.domain import ParsedWebhook
from core.errors import AuthenticationError

SIGNATURE_HEADER = "x-hook-signature"
SIGNATURE_PREFIX = "sha1="


def sign_body(secret: str, body: bytes) -> str:
    """The ``X-Hook-Signature`` value Autotask sends for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).digest()
    return SIGNATURE_PREFIX + base64.b64encode(digest).decode("ascii")


class AutotaskWebhookReceiver:
    """``connectors.base.WebhookReceiver`` for Autotask ticket (and other entity) webhooks."""

    def __init__(self, config: AutotaskConfig) -> None:
        self._secret = config.webhook_secret.get_secret_value()

    def __repr__(self) -> str:
        return "AutotaskWebhookReceiver()"

    async def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        provided = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        if provided is None or not provided.strip():
            raise AuthenticationError(f"missing {SIGNATURE_HEADER} header")
        value = provided.strip()
        # Only the algorithm prefix is case-insensitive; the base64 digest is compared byte for byte.
        if value[: len(SIGNATURE_PREFIX)].lower() == SIGNATURE_PREFIX:
            value = SIGNATURE_PREFIX + value[len(SIGNATURE_PREFIX) :]
        expected = sign_body(self._secret, body)
        if not hmac.compare_digest(expected.encode("ascii"), value.encode("utf-8", "replace")):
            raise AuthenticationError("signature does not match")

    def parse(self, body: bytes) -> ParsedWebhook:
        return map_event(json_object(body, "Autotask webhook body"))
