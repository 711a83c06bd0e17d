"""Integrations: connect a PSA, see its webhook URL, test the connection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from agent.runtime import Runtime
from api.deps import RuntimeDep, SessionDep
from api.schemas import IntegrationCreate, IntegrationList, IntegrationRead, IntegrationTestRead
from core.errors import IntegrationError
from core.integration_store import (
    create_integration,
    get_integration_row,
    list_integrations,
    load_integration,
    update_integration_config,
)
from core.tables import Integration

router = APIRouter(prefix="/integrations", tags=["integrations"])


def webhook_url(runtime: Runtime, row: Integration) -> str:
    return f"{runtime.settings.public_url.rstrip('/')}/webhooks/{row.kind}/{row.id}"


def _read(runtime: Runtime, row: Integration, config: dict[str, Any]) -> IntegrationRead:
    return IntegrationRead(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=row.status,
        config=runtime.connectors.public_config(row.kind, config),
        webhook_url=webhook_url(runtime, row),
        created_at=row.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(data: IntegrationCreate, session: SessionDep, runtime: RuntimeDep) -> IntegrationRead:
    config = runtime.connectors.validate_config(data.kind, data.config)
    row = await create_integration(session, box=runtime.box, kind=data.kind, name=data.name, config=config)
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
    integration_id: int, session: SessionDep, runtime: RuntimeDep
) -> IntegrationTestRead:
    """Reach the PSA with the stored credentials; ConnectWise's codebase is discovered and saved."""
    record = await load_integration(session, integration_id, box=runtime.box)
    psa = runtime.connectors.new_psa(record.kind, record.config)
    checks: dict[str, Any] = {}
    try:
        discover = getattr(psa, "discover_codebase", None)
        if discover is not None:
            codebase = await discover()
            checks["codebase"] = codebase
            if record.config.get("codebase") != codebase:
                await update_integration_config(
                    session, integration_id, box=runtime.box, config={**record.config, "codebase": codebase}
                )
    except IntegrationError as exc:
        return IntegrationTestRead(ok=False, detail=exc.detail, checks=checks)
    finally:
        await psa.aclose()
    return IntegrationTestRead(ok=True, detail="reached the PSA", checks=checks)
