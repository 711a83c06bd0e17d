"""Integration rows with their configuration encrypted at rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from core.secrets import SecretBox
from core.tables import Integration


@dataclass(frozen=True)
class IntegrationRecord:
    id: int
    kind: str
    name: str
    status: str
    config: dict[str, Any]


async def create_integration(
    session: AsyncSession, *, box: SecretBox, kind: str, name: str, config: dict[str, Any]
) -> Integration:
    row = Integration(kind=kind, name=name, config_encrypted=box.encrypt_json(config), status="active")
    session.add(row)
    await session.flush()
    return row


async def update_integration_config(
    session: AsyncSession, integration_id: int, *, box: SecretBox, config: dict[str, Any]
) -> Integration:
    row = await get_integration_row(session, integration_id)
    row.config_encrypted = box.encrypt_json(config)
    await session.flush()
    return row


async def get_integration_row(session: AsyncSession, integration_id: int) -> Integration:
    row = await session.get(Integration, integration_id)
    if row is None:
        raise NotFoundError(f"integration {integration_id} does not exist")
    return row


async def load_integration(
    session: AsyncSession, integration_id: int, *, box: SecretBox
) -> IntegrationRecord:
    row = await get_integration_row(session, integration_id)
    return IntegrationRecord(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=row.status,
        config=box.decrypt_json(row.config_encrypted),
    )


async def list_integrations(session: AsyncSession) -> list[Integration]:
    return list((await session.scalars(select(Integration).order_by(Integration.id))).all())
