"""Clients (the MSP's customers) and how PSA companies map onto them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import AgentMode, ClientInfo, CompanyRef
from core.errors import ConflictError
from core.tables import Client, ClientPsaCompany


def info_of(row: Client) -> ClientInfo:
    return ClientInfo(
        id=row.id,
        name=row.name,
        m365_tenant_id=row.m365_tenant_id,
        agent_mode=AgentMode(row.agent_mode),
        monthly_budget_usd=row.monthly_budget_usd,
    )


async def resolve_client(
    session: AsyncSession,
    *,
    integration_id: int,
    company: CompanyRef,
    new_mode: AgentMode = AgentMode.PLAN,
) -> ClientInfo:
    """The client mapped to this PSA company, created on first sight of the company (in ``new_mode``)."""
    found = await _mapped_client(
        session, integration_id=integration_id, company_external_id=company.external_id
    )
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            client = Client(name=company.name, agent_mode=new_mode.value)
            session.add(client)
            await session.flush()
            session.add(
                ClientPsaCompany(
                    client_id=client.id,
                    integration_id=integration_id,
                    company_external_id=company.external_id,
                    company_name=company.name,
                )
            )
            await session.flush()
    except IntegrityError:
        # Another worker mapped the same company first; use theirs.
        raced = await _mapped_client(
            session, integration_id=integration_id, company_external_id=company.external_id
        )
        assert raced is not None
        return raced
    return info_of(client)


async def _mapped_client(
    session: AsyncSession, *, integration_id: int, company_external_id: str
) -> ClientInfo | None:
    row = (
        await session.execute(
            select(Client)
            .join(ClientPsaCompany, ClientPsaCompany.client_id == Client.id)
            .where(
                ClientPsaCompany.integration_id == integration_id,
                ClientPsaCompany.company_external_id == company_external_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return info_of(row)


async def create_client(
    session: AsyncSession,
    *,
    name: str,
    m365_tenant_id: str | None,
    companies: list[tuple[int, str]],
    mode: AgentMode = AgentMode.PLAN,
    monthly_budget_usd: float | None = None,
) -> Client:
    """A client set up ahead of its first ticket, mapped to its PSA companies (integration id, company id)."""
    for integration_id, company_external_id in companies:
        taken = await _mapped_client(
            session, integration_id=integration_id, company_external_id=company_external_id
        )
        if taken is not None:
            raise ConflictError(
                f"PSA company {company_external_id} of integration {integration_id} already belongs to "
                f"client {taken.id} ({taken.name})"
            )
    client = Client(
        name=name, m365_tenant_id=m365_tenant_id, agent_mode=mode.value, monthly_budget_usd=monthly_budget_usd
    )
    session.add(client)
    await session.flush()
    for integration_id, company_external_id in companies:
        session.add(
            ClientPsaCompany(
                client_id=client.id,
                integration_id=integration_id,
                company_external_id=company_external_id,
                company_name=name,
            )
        )
    await session.flush()
    return client
