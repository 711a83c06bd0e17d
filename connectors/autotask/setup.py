"""Connection test probes and ticket webhook registration for Autotask (admin calls, not the hot path)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from connectors.autotask.api import API_VERSION, AutotaskApi
from connectors.autotask.config import AutotaskConfig
from connectors.autotask.mapping import (
    WEBHOOK_FIELDS,
    excluded_resource_body,
    webhook_body,
    webhook_field_body,
)
from connectors.autotask.picklists import webhook_field_ids
from connectors.autotask.values import flag, fold, number, text
from connectors.base import Capability
from core.domain import AccessCheck, WebhookRegistration
from core.errors import IntegrationError, ValidationFailed

logger = logging.getLogger(__name__)

WEBHOOK_NAME = "Deskhand ticket events"  # TicketWebhooks.name is a string(50)
WEBHOOK_URL_MAX = 500  # TicketWebhooks.webhookUrl is a string(500)
# entityInformation userAccessFor*: 0 None, 1 All, 2 Restricted (some responses spell the names out).
ACCESS_NONE = frozenset({"0", "none"})
ACCESS_RESTRICTED = frozenset({"2", "restricted"})


# -- connection test ------------------------------------------------------------------------------------


async def _read_probe(api: AutotaskApi, capability: Capability, entity: str) -> AccessCheck:
    try:
        await api.query(entity, [{"op": "exist", "field": "id"}], max_records=1)
    except IntegrationError as exc:
        return AccessCheck(capability=capability, ok=False, detail=exc.detail)
    return AccessCheck(capability=capability, ok=True)


async def _write_probe(api: AutotaskApi, capability: Capability, entity: str, action: str) -> AccessCheck:
    """``entityInformation`` says whether the API can ``action`` the entity and whether this user may."""
    try:
        info = fold(fold(await api.call("GET", f"/{entity}/entityInformation")).get("info"))
    except IntegrationError as exc:
        return AccessCheck(capability=capability, ok=False, detail=exc.detail)
    can = flag(info.get(f"can{action}"))
    access = (text(info.get(f"useraccessfor{action}")) or "").lower()
    if can is None:
        return AccessCheck(
            capability=capability, ok=None, detail=f"Autotask did not say whether {entity} can be {action}d"
        )
    if not can:
        return AccessCheck(capability=capability, ok=False, detail=f"the API cannot {action} {entity}")
    if access in ACCESS_NONE:
        return AccessCheck(
            capability=capability, ok=False, detail=f"the API user's security level may not {action} {entity}"
        )
    detail = f"restricted by the API user's security level ({entity})" if access in ACCESS_RESTRICTED else ""
    return AccessCheck(capability=capability, ok=True, detail=detail)


async def _usage(api: AutotaskApi) -> str:
    """This database's use of the shared hourly budget, for the connection test's first line."""
    try:
        info = fold(await api.call("GET", "/ThresholdInformation"))
    except IntegrationError:
        return ""
    used, limit = (
        number(info.get("currenttimeframerequestcount")),
        number(info.get("externalrequestthreshold")),
    )
    minutes = number(info.get("requestthresholdtimeframe")) or 60
    if used is None or limit is None:
        return ""
    return f"{used} of {limit} API requests used in the last {minutes} minutes (all integrations)"


async def check_access(api: AutotaskApi, config: AutotaskConfig) -> list[AccessCheck]:
    try:
        await api.zone()
    except IntegrationError as exc:
        return [AccessCheck(capability=c, ok=False, detail=exc.detail) for c in Capability]
    tickets = await _read_probe(api, Capability.READ_TICKETS, "Tickets")
    if tickets.ok:
        tickets = tickets.model_copy(update={"detail": await _usage(api)})
    log_time = await _write_probe(api, Capability.LOG_TIME, "TimeEntries", "create")
    if log_time.ok and config.impersonation_resource_id is None:
        # API-only users cannot own time entries (Autotask docs), so time needs a person to be for.
        note = "time is logged for a chosen member; set impersonation_resource_id to log Deskhand's own"
        log_time = log_time.model_copy(update={"detail": "; ".join(p for p in (log_time.detail, note) if p)})
    return [
        tickets,
        await _write_probe(api, Capability.WRITE_NOTES, "TicketNotes", "create"),
        await _write_probe(api, Capability.UPDATE_TICKETS, "Tickets", "update"),
        log_time,
        await _read_probe(api, Capability.READ_CONTACTS, "Contacts"),
        await _read_probe(api, Capability.READ_COMPANIES, "Companies"),
        await _write_probe(api, Capability.MANAGE_WEBHOOKS, "TicketWebhooks", "create"),
    ]


# -- webhook registration -------------------------------------------------------------------------------


async def _child_values(api: AutotaskApi, path: str, key: str) -> set[int]:
    """The ``key`` ids already on a webhook child collection (``GET`` answers ``{"items": [...]}``)."""
    payload = fold(await api.call("GET", path))
    items = payload.get("items")
    if not isinstance(items, list):
        raise api.http.error("GET", f"/{API_VERSION}{path}", None, "expected an items list")
    found = (number(fold(item).get(key)) for item in items if isinstance(item, Mapping))
    return {value for value in found if value is not None}


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > WEBHOOK_URL_MAX:
        raise ValidationFailed(f"webhook URL must be an http(s) URL of at most {WEBHOOK_URL_MAX} characters")


async def register_webhook(api: AutotaskApi, config: AutotaskConfig, url: str) -> WebhookRegistration:
    """Create (or reuse, by URL) the ticket webhook, subscribe its fields and exclude our own resource.

    Autotask never fires a second callout for the same entity, URL and event type, so a webhook that
    already points at ``url`` is reused: its secret key is reset to ours (it cannot be read back) and
    missing fields or the excluded resource are added, which also repairs a half-finished registration.
    """
    _check_url(url)
    body = webhook_body(url, secret_key=config.webhook_secret.get_secret_value(), name=WEBHOOK_NAME)
    existing, _ = await api.query("TicketWebhooks", [{"op": "eq", "field": "webhookUrl", "value": url}])
    existing_id = number(fold(existing[0]).get("id")) if existing else None
    if existing_id is not None:
        webhook_id = existing_id
        await api.call("PATCH", "/TicketWebhooks", json={"id": webhook_id, **body})
        have_fields = await _child_values(api, f"/TicketWebhooks/{webhook_id}/Fields", "fieldid")
        have_excluded = await _child_values(
            api, f"/TicketWebhooks/{webhook_id}/ExcludedResources", "resourceid"
        )
    else:
        webhook_id = await api.created_id("POST", "/TicketWebhooks", body, idempotent=False)
        have_fields, have_excluded = set(), set()

    field_ids = webhook_field_ids(await api.entity_fields("TicketWebhookFields"))
    missing = [f.name for f in WEBHOOK_FIELDS if f.name.lower() not in field_ids]
    wanted = [(field_ids[f.name.lower()], f) for f in WEBHOOK_FIELDS if f.name.lower() in field_ids]
    if not wanted:
        raise IntegrationError(
            f"Autotask offers none of the ticket fields Deskhand subscribes to; webhook {webhook_id} "
            "cannot become ready"
        )
    added = 0
    for field_id, field in wanted:
        if field_id not in have_fields:
            await api.created_id(
                "POST", f"/TicketWebhooks/{webhook_id}/Fields",
                webhook_field_body(webhook_id, field_id, field), idempotent=False,
            )  # fmt: skip
            added += 1
    if config.resource_id not in have_excluded:
        await api.created_id(
            "POST", f"/TicketWebhooks/{webhook_id}/ExcludedResources",
            excluded_resource_body(webhook_id, config.resource_id), idempotent=False,
        )  # fmt: skip

    verb = "Reused the existing" if existing_id is not None else "Created the"
    parts = [
        f"{verb} Autotask ticket webhook {webhook_id} (create, update and delete events; "
        f"{added} field subscription(s) added, {len(wanted)} in place)",
        f"changes made by resource {config.resource_id} (Deskhand) do not call back",
    ]
    if missing:
        parts.append(f"fields this Autotask does not offer for webhooks: {', '.join(missing)}")
    logger.info("Autotask webhook %s registered for %s", webhook_id, urlsplit(url).hostname)
    return WebhookRegistration(registered=True, external_id=str(webhook_id), detail="; ".join(parts) + ".")
