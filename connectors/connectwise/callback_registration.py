"""Registering Deskhand's ticket callback (``/system/callbacks``), reusing an identical one.

Field values follow a captured register request/response pair (amp-labs, ``psa-samples``): lower-case
``type``/``level``, ``objectId`` 1 with level ``owner`` (every ticket), ``payloadVersion`` 3.0.0 (the
version whose contact callbacks were captured with ``Entity`` as a JSON string, which ``webhook.py``
parses). ``isSelfSuppressedFlag`` stays false: what it suppresses is not documented anywhere we could read,
and if it silenced more than our own edits Deskhand would miss tickets without any error; our own writes
are recognised by echo detection instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors.connectwise.api import ConnectWiseApi
from connectors.json_values import as_mapping, text_or_none
from core.domain import WebhookRegistration
from core.errors import ValidationFailed

CALLBACKS_PATH = "/system/callbacks"
CALLBACK_TYPE = "ticket"
CALLBACK_LEVEL = "owner"
CALLBACK_OBJECT_ID = 1
CALLBACK_PAYLOAD_VERSION = "3.0.0"
CALLBACK_DESCRIPTION = "Deskhand"
CALLBACK_MAX_PAGES = 5
MAX_URL_CHARS = 1000


def checked_callback_url(url: str) -> str:
    """The URL goes into a quoted ``conditions`` value, so anything that could end the quotes is refused."""
    value = url.strip()
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(value) > MAX_URL_CHARS
        or any(ch.isspace() or ch in "\"'\\[]" or ord(ch) < 0x20 for ch in value)
    ):
        raise ValidationFailed("webhook URL must be an absolute http(s) URL without quotes or spaces")
    return value


def callback_body(url: str) -> dict[str, Any]:
    """``CallbackEntry`` create body: every ticket (level owner), Deskhand's description."""
    return {
        "url": url,
        "objectId": CALLBACK_OBJECT_ID,
        "type": CALLBACK_TYPE,
        "level": CALLBACK_LEVEL,
        "description": CALLBACK_DESCRIPTION,
        "payloadVersion": CALLBACK_PAYLOAD_VERSION,
        "inactiveFlag": False,
        "isSoapCallbackFlag": False,
        "isSelfSuppressedFlag": False,
    }


def is_same_callback(raw: Any, url: str) -> bool:
    """An active ticket callback for every ticket at exactly this URL."""
    entry = as_mapping(raw)
    return (
        entry.get("url") == url
        and (text_or_none(entry.get("type")) or "").casefold() == CALLBACK_TYPE
        and (text_or_none(entry.get("level")) or "").casefold() == CALLBACK_LEVEL
        and entry.get("objectId") == CALLBACK_OBJECT_ID
        and entry.get("inactiveFlag") is not True
        and entry.get("isSoapCallbackFlag") is not True
    )


def with_record_id_slot(url: str) -> str:
    """ConnectWise appends the record id to the callback URL as registered (its own samples register
    ``...?recordId=``). Ending ours in an empty query parameter keeps that id out of our path, where it
    would otherwise turn ``/webhooks/connectwise/7`` into another integration's id."""
    return url if urlsplit(url).query else f"{url}?recordId="


async def register_ticket_callback(api: ConnectWiseApi, url: str) -> WebhookRegistration:
    url = with_record_id_slot(checked_callback_url(url))
    existing = await api.get_list(
        CALLBACKS_PATH, params={"conditions": f'url="{url}"'}, max_pages=CALLBACK_MAX_PAGES
    )
    reusable = next((entry for entry in existing if is_same_callback(entry, url)), None)
    if reusable is not None:
        callback_id = text_or_none(as_mapping(reusable).get("id"))
        return WebhookRegistration(
            registered=True,
            external_id=callback_id,
            detail=f"ConnectWise already sends ticket callbacks here (callback {callback_id}); reused it",
        )
    # POST is not idempotent: a resend after a 5xx could register the callback twice.
    created = await api.call("POST", CALLBACKS_PATH, json=callback_body(url), idempotent=False)
    callback_id = text_or_none(created.get("id")) if isinstance(created, Mapping) else None
    if callback_id is None:
        raise api.error("POST", CALLBACKS_PATH, "callback was created without an id")
    return WebhookRegistration(
        registered=True,
        external_id=callback_id,
        detail=f"Registered ConnectWise ticket callback {callback_id} for every ticket",
    )
