"""Clients: created from PSA companies as tickets arrive; editable here."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from api.auth import AdminDep
from api.deps import RuntimeDep, SessionDep
from api.schemas import ClientCreate, ClientList, ClientRead, ClientUpdate
from core.audit import record_audit
from core.clients import create_client
from core.domain import AgentMode
from core.errors import NotFoundError
from core.tables import Client

router = APIRouter(prefix="/clients", tags=["clients"])
NOT_NULL_FIELDS = frozenset({"name", "agent_mode", "time_billable"})  # explicit null: left as is


@router.get("")
async def list_clients(session: SessionDep) -> ClientList:
    rows = (await session.scalars(select(Client).order_by(Client.name))).all()
    return ClientList(items=[ClientRead.model_validate(r) for r in rows])


async def _client(session: SessionDep, client_id: int) -> Client:
    row = await session.get(Client, client_id)
    if row is None:
        raise NotFoundError(f"client {client_id} does not exist")
    return row


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(
    data: ClientCreate, principal: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ClientRead:
    """Set a client up before its first ticket: its PSA companies and its Microsoft 365 tenant."""
    row = await create_client(
        session,
        name=data.name,
        m365_tenant_id=data.m365_tenant_id.lower() if data.m365_tenant_id else None,
        companies=[(c.integration_id, c.company_external_id) for c in data.psa_companies],
        mode=data.agent_mode or AgentMode(runtime.settings.new_client_mode),
        monthly_budget_usd=data.monthly_budget_usd,
    )
    row.time_work_type, row.time_billable, row.time_member = (
        data.time_work_type,
        data.time_billable,
        data.time_member,
    )
    await session.flush()
    await record_audit(session, principal, "client.created", "client", row.id, {"name": row.name})
    return ClientRead.model_validate(row)


@router.get("/{client_id}")
async def get_client(client_id: int, session: SessionDep) -> ClientRead:
    return ClientRead.model_validate(await _client(session, client_id))


@router.patch("/{client_id}")
async def update_client(
    client_id: int, data: ClientUpdate, principal: AdminDep, session: SessionDep
) -> ClientRead:
    row = await _client(session, client_id)
    changes: dict[str, dict[str, object]] = {}
    for field, value in data.model_dump(exclude_unset=True).items():
        if field in NOT_NULL_FIELDS and value is None:
            continue  # an explicit null leaves a yes/no setting as it is
        if getattr(row, field) != value:
            changes[field] = {"before": getattr(row, field), "after": value}
        setattr(row, field, value)
    await session.flush()
    if changes:
        await record_audit(session, principal, "client.updated", "client", row.id, changes)
    return ClientRead.model_validate(row)
