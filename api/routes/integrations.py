"""Integrations: connect a PSA, see its webhook URL, test the connection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from agent.runtime import Runtime
from api.auth import AdminDep
from api.deps import RuntimeDep, SessionDep
from api.integration_ops import register_webhook, test_integration, webhook_url
from api.schemas import (
    IntegrationCreate,
    IntegrationList,
    IntegrationRead,
    IntegrationTestRead,
    WebhookRegistrationRead,
)
from core.audit import record_audit
from core.integration_store import (
    create_integration,
    get_integration_row,
    list_integrations,
    load_integration,
)
from core.tables import Integration

router = APIRouter(prefix="/integrations", tags=["integrations"])


def _read(runtime: Runtime, row: Integration, config: dict[str, Any]) -> IntegrationRead:
    return IntegrationRead(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=row.status,
        config=runtime.connectors.public_config(row.kind, config),
        webhook_url=webhook_url(runtime.settings.public_url, row.kind, row.id),
        created_at=row.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(
    data: IntegrationCreate, principal: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> IntegrationRead:
    config = runtime.connectors.validate_config(data.kind, data.config)
    row = await create_integration(session, box=runtime.box, kind=data.kind, name=data.name, config=config)
    # Kind and name only: the config holds credentials.
    await record_audit(
        session, principal, "integration.created", "integration", row.id, {"kind": row.kind, "name": row.name}
    )
    return _read(runtime, row, config)


@router.get("")
async def list_all(session: SessionDep, runtime: RuntimeDep) -> IntegrationList:
    items = []
    for row in await list_integrations(session):
        record = await load_integration(session, row.id, box=runtime.box)
        items.append(_read(runtime, row, record.config))
    return IntegrationList(items=items)


@router.get("/{integration_id}")
async def get_one(integration_id: int, session: SessionDep, runtime: RuntimeDep) -> IntegrationRead:
    record = await load_integration(session, integration_id, box=runtime.box)
    return _read(runtime, await get_integration_row(session, integration_id), record.config)


@router.post("/{integration_id}/test")
async def test_connection(
    integration_id: int, _: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> IntegrationTestRead:
    """Probe what the stored credentials allow; discovered settings (codebase, zone) are saved."""
    return await test_integration(session, integration_id, connectors=runtime.connectors, box=runtime.box)


@router.post("/{integration_id}/register-webhook")
async def register(
    integration_id: int, principal: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> WebhookRegistrationRead:
    """Create the PSA's ticket webhook pointing at Deskhand (Halo: the settings to enter by hand)."""
    result = await register_webhook(
        session,
        integration_id,
        connectors=runtime.connectors,
        box=runtime.box,
        public_url=runtime.settings.public_url,
        reveal_secrets=False,
    )
    await record_audit(
        session,
        principal,
        "integration.webhook_registered",
        "integration",
        integration_id,
        {"registered": result.registered, "external_id": result.external_id},
    )
    return result
