"""The connection test: read probes, and the API member's security levels for what it would write.

ConnectWise reports the caller's own security role through ``GET /system/mySecurity``: one row per module
function (``moduleFunctionName`` such as "Service Tickets") with ``addLevel``/``editLevel``/... each
``All``, ``My`` or ``None``. That answers "may this member write" without writing anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import Capability
from connectors.connectwise.api import ConnectWiseApi
from connectors.json_values import as_mapping, text_or_none
from core.domain import AccessCheck
from core.errors import IntegrationError

SECURITY_PATH = "/system/mySecurity"
SECURITY_MAX_PAGES = 3

READ_PROBES: Mapping[Capability, str] = {
    Capability.READ_TICKETS: "/service/tickets",
    Capability.READ_CONTACTS: "/company/contacts",
    Capability.READ_COMPANIES: "/company/companies",
}
CALLBACKS_PROBE = "/system/callbacks"
TIME_ENTRIES_PROBE = "/time/entries"


@dataclass(frozen=True)
class WriteRequirement:
    """The security function and level a write needs; ``own_records_enough`` when level ``My`` suffices."""

    capability: Capability
    module: str
    function: str
    level_field: str
    own_records_enough: bool
    fallback_probe: str


WRITE_REQUIREMENTS: tuple[WriteRequirement, ...] = (
    # A note is an edit of the ticket in ConnectWise's security model (inferred: notes have no function).
    WriteRequirement(
        Capability.WRITE_NOTES, "Service Desk", "Service Tickets", "editLevel", False, "/service/tickets"
    ),
    WriteRequirement(
        Capability.UPDATE_TICKETS, "Service Desk", "Service Tickets", "editLevel", False, "/service/tickets"
    ),
    # ``My`` lets the API member log its own time, which is what Deskhand does unless a member is chosen.
    WriteRequirement(
        Capability.LOG_TIME, "Time & Expense", "Time Entry", "addLevel", True, TIME_ENTRIES_PROBE
    ),
)

_LEVEL_VERBS = {"addLevel": "Add", "editLevel": "Edit"}


def _security_row(rows: list[Any], function: str) -> Mapping[str, Any] | None:
    wanted = function.casefold()
    for raw in rows:
        row = as_mapping(raw)
        if (text_or_none(row.get("moduleFunctionName")) or "").casefold() == wanted:
            return row
    return None


def judge_write(requirement: WriteRequirement, rows: list[Any]) -> AccessCheck:
    """An ``AccessCheck`` from the ``mySecurity`` rows for one write capability."""
    verb = _LEVEL_VERBS[requirement.level_field]
    where = f"{requirement.module} > {requirement.function}"
    row = _security_row(rows, requirement.function)
    level = text_or_none(row.get(requirement.level_field)) if row is not None else None
    capability = requirement.capability.value
    if level is None:
        return AccessCheck(
            capability=capability,
            ok=None,
            detail=f"ConnectWise did not report the {verb} level of {where} for the API member",
        )
    normalised = level.casefold()
    if normalised == "all":
        return AccessCheck(capability=capability, ok=True, detail=f"{where}: {verb} level All")
    if normalised == "my":
        if requirement.own_records_enough:
            return AccessCheck(
                capability=capability,
                ok=True,
                detail=f"{where}: {verb} level My (its own entries only; booking time for another "
                "member needs All)",
            )
        return AccessCheck(
            capability=capability,
            ok=None,
            detail=f"{where}: {verb} level My, so only records the API member owns can be changed; "
            "set it to All in the member's security role",
        )
    return AccessCheck(
        capability=capability,
        ok=False,
        detail=f"{where}: {verb} level {level}; grant {verb} (All) to the API member's security role",
    )


async def _probe(api: ConnectWiseApi, path: str) -> IntegrationError | None:
    try:
        await api.call("GET", path, params={"pageSize": 1})
    except IntegrationError as exc:
        return exc
    return None


async def _security_rows(api: ConnectWiseApi) -> list[Any] | IntegrationError:
    try:
        return await api.get_list(SECURITY_PATH, max_pages=SECURITY_MAX_PAGES)
    except IntegrationError as exc:
        return exc


async def check_access(api: ConnectWiseApi) -> list[AccessCheck]:
    """One ``AccessCheck`` per ``Capability``; nothing is written. Refusals carry ConnectWise's text."""
    probe_paths = sorted({*READ_PROBES.values(), CALLBACKS_PROBE, TIME_ENTRIES_PROBE})
    probed, rows = await asyncio.gather(
        asyncio.gather(*(_probe(api, path) for path in probe_paths)), _security_rows(api)
    )
    failures = dict(zip(probe_paths, probed, strict=True))

    checks: dict[Capability, AccessCheck] = {}
    for capability, path in READ_PROBES.items():
        failure = failures[path]
        checks[capability] = AccessCheck(
            capability=capability.value,
            ok=failure is None,
            detail=failure.detail if failure is not None else f"GET {path} answered",
        )
    callbacks_failure = failures[CALLBACKS_PROBE]
    checks[Capability.MANAGE_WEBHOOKS] = AccessCheck(
        capability=Capability.MANAGE_WEBHOOKS.value,
        ok=False if callbacks_failure is not None else None,
        detail=callbacks_failure.detail
        if callbacks_failure is not None
        else "Listing callbacks works; ConnectWise only confirms creating one when the webhook is registered",
    )
    for requirement in WRITE_REQUIREMENTS:
        if not isinstance(rows, IntegrationError):
            checks[requirement.capability] = judge_write(requirement, rows)
            continue
        # Without the security rows, a refused read of the same area still proves the write would fail.
        failure = failures[requirement.fallback_probe]
        checks[requirement.capability] = AccessCheck(
            capability=requirement.capability.value,
            ok=False if failure is not None else None,
            detail=failure.detail
            if failure is not None
            else f"could not read the API member's security levels: {rows.detail}",
        )
    return [checks[capability] for capability in Capability]
