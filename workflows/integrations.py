"""Which integrations a workflow needs, and which are connected for its scope.

A workflow needs a PSA (its tickets come from one), the kinds it declares and those of every tool its
instructions name. Microsoft 365 counts
as connected for a client only when a directory integration exists and the client has a tenant; for a shared
workflow, when a directory integration exists at all (each client's run still uses only its own tenant).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorFactory
from connectors.catalogue import ALL_ACTIONS
from core.integration_store import list_integrations
from core.tables import Client
from workflows.schemas import KIND_NAMES, IntegrationKind
from workflows.tool_refs import required_kinds

ACTIVE_INTEGRATION = "active"


@dataclass(frozen=True)
class Connected:
    kinds: frozenset[IntegrationKind]
    any_integration: bool


async def connected_for(
    session: AsyncSession, connectors: ConnectorFactory, *, client_id: int | None
) -> Connected:
    rows = [row for row in await list_integrations(session) if row.status == ACTIVE_INTEGRATION]
    kinds: set[IntegrationKind] = set()
    if any(not connectors.is_directory(row.kind) for row in rows):
        kinds.add(IntegrationKind.PSA)
    if any(connectors.is_directory(row.kind) for row in rows):
        client = await session.get(Client, client_id) if client_id is not None else None
        if client_id is None or (client is not None and client.m365_tenant_id):
            kinds.add(IntegrationKind.M365)
    return Connected(kinds=frozenset(kinds), any_integration=bool(rows))


def needed_kinds(declared: Iterable[str], instructions: str) -> list[IntegrationKind]:
    """A PSA (tickets come from it), declared kinds and those of the tools named, in a stable order."""
    wanted = (
        {IntegrationKind.PSA}
        | {IntegrationKind(kind) for kind in declared}
        | {IntegrationKind(kind) for kind in required_kinds(instructions, ALL_ACTIONS)}
    )
    return [kind for kind in IntegrationKind if kind in wanted]


def missing_kinds(needed: Iterable[IntegrationKind], connected: Connected) -> list[IntegrationKind]:
    return [kind for kind in needed if kind not in connected.kinds]


def describe_missing(missing: Iterable[IntegrationKind], *, client_id: int | None) -> str:
    parts = []
    for kind in missing:
        if kind is IntegrationKind.M365 and client_id is not None:
            parts.append(f"{KIND_NAMES[kind]} (connect it and set this client's tenant)")
        else:
            parts.append(KIND_NAMES[kind])
    return " and ".join(parts)
