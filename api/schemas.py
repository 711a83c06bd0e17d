"""API models for integrations, clients, policies and service status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.policy import ToolMode
from core.domain import AgentMode


class IntegrationCreate(BaseModel):
    kind: str = Field(description="connectwise, halopsa, autotask or sandbox")
    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any]


class IntegrationRead(BaseModel):
    id: int
    kind: str
    name: str
    status: str
    config: dict[str, Any] = Field(description="Secrets are masked")
    webhook_url: str
    created_at: datetime


class IntegrationList(BaseModel):
    items: list[IntegrationRead]


class AccessCheckRead(BaseModel):
    capability: str
    ok: bool | None = Field(description="None: the PSA cannot tell without writing")
    detail: str


class IntegrationTestRead(BaseModel):
    ok: bool
    detail: str
    checks: list[AccessCheckRead]
    learned: dict[str, Any] = Field(description="Settings discovered and saved (codebase, zone URL)")


class WebhookRegistrationRead(BaseModel):
    webhook_url: str
    registered: bool = Field(description="False: enter the instructions in the PSA by hand")
    external_id: str | None
    detail: str
    instructions: list[str]


_WORK_TYPE_DOC = "Work type / billing code (by name, as the PSA shows it) of the time entries Deskhand logs"
_BILLABLE_DOC = "Whether the time entries Deskhand logs for this client are billable"
_MEMBER_DOC = "PSA member/resource the time is attributed to (name or identifier); null = Deskhand's own"


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    m365_tenant_id: str | None
    agent_mode: AgentMode = Field(description="plan: read and write one plan note; execute: act under policy")
    monthly_budget_usd: float | None = Field(description="Model cost allowed per calendar month; null = none")
    time_work_type: str | None = Field(description=_WORK_TYPE_DOC)
    time_billable: bool = Field(description=_BILLABLE_DOC)
    time_member: str | None = Field(description=_MEMBER_DOC)
    created_at: datetime


class ClientList(BaseModel):
    items: list[ClientRead]


TENANT_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class PsaCompanyRef(BaseModel):
    integration_id: int
    company_external_id: str = Field(min_length=1, max_length=64)


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    m365_tenant_id: str | None = Field(default=None, pattern=TENANT_ID_PATTERN)
    psa_companies: list[PsaCompanyRef] = Field(default=[], description="PSA companies that are this client")
    agent_mode: AgentMode | None = Field(
        default=None, description="Default: the MSP's DESKHAND_NEW_CLIENT_MODE"
    )
    monthly_budget_usd: float | None = Field(default=None, ge=0)
    time_work_type: str | None = Field(default=None, min_length=1, max_length=100, description=_WORK_TYPE_DOC)
    time_billable: bool = Field(default=False, description=_BILLABLE_DOC)
    time_member: str | None = Field(default=None, min_length=1, max_length=100, description=_MEMBER_DOC)


class ClientUpdate(BaseModel):
    """Admins only; every change is audited with who, when, before and after."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    agent_mode: AgentMode | None = None
    monthly_budget_usd: float | None = Field(default=None, ge=0, description="null removes the budget")
    m365_tenant_id: str | None = Field(
        default=None, pattern=TENANT_ID_PATTERN, description="Entra tenant id (GUID); null disconnects"
    )
    time_work_type: str | None = Field(default=None, min_length=1, max_length=100, description=_WORK_TYPE_DOC)
    time_billable: bool | None = Field(default=None, description=_BILLABLE_DOC)
    time_member: str | None = Field(default=None, min_length=1, max_length=100, description=_MEMBER_DOC)


class PolicyUpdate(BaseModel):
    mode: ToolMode
    client_id: int | None = None
    confirm_destructive: bool = Field(
        default=False, description="Required to let a destructive tool run without approval (admins only)"
    )


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tool_name: str
    client_id: int | None
    mode: ToolMode


class ToolRead(BaseModel):
    name: str
    description: str
    risk: str
    reversible: bool
    default_mode: ToolMode


class PolicyList(BaseModel):
    tools: list[ToolRead]
    overrides: list[PolicyRead]


class ServiceStatus(BaseModel):
    version: str
    llm_configured: bool
    llm_model: str | None
    detail: str
    database: str
