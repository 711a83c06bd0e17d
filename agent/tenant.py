"""Binding a run to its client's Microsoft 365 tenant, and offering only the tools its grants allow."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from agent.runtime import get_runtime
from connectors.base import Action, DirectoryConnector
from core.directory import TenantHealth
from core.domain import ClientInfo
from core.errors import DeskhandError
from core.integration_store import list_integrations, load_integration

logger = logging.getLogger(__name__)

DIRECTORY_KIND = "m365"  # Action.integration_kind of the directory tools
HEALTH_TTL_SECONDS = 600.0  # grants change rarely; a stale entry costs one refused call at most
_health: dict[str, tuple[float, TenantHealth]] = {}


async def directory_for(client: ClientInfo) -> DirectoryConnector | None:
    """The directory of the client's own tenant, or None when it has none or none is connected."""
    if not client.m365_tenant_id:
        return None
    runtime = get_runtime()
    async with runtime.db.session() as session:
        rows = [row for row in await list_integrations(session) if runtime.connectors.is_directory(row.kind)]
        if not rows:
            return None
        record = await load_integration(session, rows[0].id, box=runtime.box)
    return runtime.connectors.directory(record.kind, record.config, client.m365_tenant_id)


async def tenant_health(directory: DirectoryConnector, *, fresh: bool = False) -> TenantHealth:
    """The tenant's grants, cached for a while (``fresh`` re-checks, e.g. after a new consent)."""
    cached = _health.get(directory.tenant_id)
    now = time.monotonic()
    if not fresh and cached is not None and now - cached[0] < HEALTH_TTL_SECONDS:
        return cached[1]
    try:
        health = await directory.health()
    except DeskhandError as exc:
        health = TenantHealth(tenant_id=directory.tenant_id, token_ok=False, detail=exc.detail)
    if not health.token_ok:
        logger.warning("Microsoft 365 tenant %s unavailable: %s", directory.tenant_id, health.detail)
    _health[directory.tenant_id] = (now, health)
    return health


def available_actions(
    actions: Iterable[Action], *, directory: DirectoryConnector | None, health: TenantHealth | None
) -> dict[str, Action]:
    """PSA tools always; directory tools only with a tenant whose grants include one of their permissions."""
    granted = set(health.permissions) if health is not None and health.token_ok else set()
    offered: dict[str, Action] = {}
    for action in actions:
        allowed = not action.requires or bool(granted & set(action.requires))
        if action.integration_kind == DIRECTORY_KIND and (directory is None or not allowed):
            continue
        offered[action.name] = action
    return offered


def missing_permissions(action: Action, health: TenantHealth) -> tuple[str, ...]:
    """What to grant for ``action`` to be offered in this tenant (empty when it already is)."""
    if not action.requires or set(action.requires) & set(health.permissions):
        return ()
    return action.requires[:1]
