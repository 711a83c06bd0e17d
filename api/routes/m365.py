"""A client's Microsoft 365 tenant: connect it (by tenant id or domain), consent link, health."""

from __future__ import annotations

import re
from typing import Annotated

import httpx
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from agent.runtime import Runtime
from agent.tenant import available_actions, missing_permissions, tenant_health
from api.auth import AdminDep
from api.deps import RuntimeDep, SessionDep
from api.schemas import TENANT_ID_PATTERN, ClientRead
from connectors.msgraph import MsGraphConfig, admin_consent_url, tenant_id_for_domain
from core.audit import record_audit
from core.directory import TenantHealth
from core.errors import ConflictError, IntegrationError, NotFoundError, ValidationFailed
from core.integration_store import IntegrationRecord, list_integrations, load_integration
from core.tables import Client

router = APIRouter(prefix="/clients/{client_id}/m365", tags=["microsoft 365"])


class TenantConnect(BaseModel):
    tenant: str = Field(
        min_length=3, max_length=253, description="The tenant id (GUID) or a domain the tenant verified"
    )


class ToolAvailability(BaseModel):
    tool: str
    available: bool
    missing_permission: str | None = Field(description="Grant this to the app in the tenant to offer it")


class TenantHealthRead(BaseModel):
    health: TenantHealth
    tools: list[ToolAvailability]


class ConsentUrlRead(BaseModel):
    tenant_id: str
    url: str


async def _client(session: SessionDep, client_id: int) -> Client:
    row = await session.get(Client, client_id)
    if row is None:
        raise NotFoundError(f"client {client_id} does not exist")
    return row


async def _directory_integration(session: SessionDep, runtime: Runtime) -> IntegrationRecord:
    for row in await list_integrations(session):
        if runtime.connectors.is_directory(row.kind):
            return await load_integration(session, row.id, box=runtime.box)
    raise ConflictError("no Microsoft 365 integration: POST /api/v1/integrations with kind 'msgraph' first")


@router.put("")
async def connect_tenant(
    client_id: int, data: TenantConnect, principal: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ClientRead:
    """Record the client's tenant; a domain is looked up in Entra (its OpenID configuration)."""
    row = await _client(session, client_id)
    wanted = data.tenant.strip()
    if re.fullmatch(TENANT_ID_PATTERN, wanted):
        tenant_id = wanted.lower()
    else:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False) as http:
            try:
                tenant_id = await tenant_id_for_domain(wanted, http=http)
            except IntegrationError as exc:
                if exc.status != 404:
                    raise
                raise ValidationFailed(f"no Microsoft 365 tenant has verified '{wanted}'") from exc
    before, row.m365_tenant_id = row.m365_tenant_id, tenant_id
    await session.flush()
    if before != tenant_id:
        await record_audit(
            session,
            principal,
            "client.m365_tenant_connected",
            "client",
            row.id,
            {"before": before, "after": tenant_id},
        )
    return ClientRead.model_validate(row)


@router.get("/consent-url")
async def consent_url(
    client_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    redirect_uri: Annotated[str, Query(description="A redirect URI registered on the app")],
) -> ConsentUrlRead:
    """The link the client's Global Administrator opens to grant Deskhand's app in their tenant."""
    row = await _client(session, client_id)
    if not row.m365_tenant_id:
        raise ConflictError(f"client {client_id} has no Microsoft 365 tenant yet (PUT .../m365 first)")
    record = await _directory_integration(session, runtime)
    if record.kind != "msgraph":
        raise ConflictError(f"the '{record.kind}' integration needs no consent")
    config = MsGraphConfig.model_validate(record.config)
    return ConsentUrlRead(
        tenant_id=row.m365_tenant_id, url=admin_consent_url(config, row.m365_tenant_id, redirect_uri)
    )


@router.get("/health")
async def health(client_id: int, session: SessionDep, runtime: RuntimeDep) -> TenantHealthRead:
    """Token, granted permissions and Entra roles in the client's tenant, and so which tools are offered."""
    row = await _client(session, client_id)
    if not row.m365_tenant_id:
        raise ConflictError(f"client {client_id} has no Microsoft 365 tenant yet (PUT .../m365 first)")
    record = await _directory_integration(session, runtime)
    directory = runtime.connectors.directory(record.kind, record.config, row.m365_tenant_id)
    checked = await tenant_health(directory, fresh=True)
    offered = available_actions(runtime.actions, directory=directory, health=checked)
    tools = [
        ToolAvailability(
            tool=action.name,
            available=action.name in offered,
            missing_permission=next(iter(missing_permissions(action, checked)), None),
        )
        for action in runtime.actions
        if action.integration_kind == "m365"
    ]
    return TenantHealthRead(health=checked, tools=tools)
