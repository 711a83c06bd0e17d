"""API models for integrations, clients, policies and service status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.policy import ToolMode


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


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    m365_tenant_id: str | None
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


class ClientUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    m365_tenant_id: str | None = Field(
        default=None, pattern=TENANT_ID_PATTERN, description="Entra tenant id (GUID); null disconnects"
    )


class PolicyUpdate(BaseModel):
    mode: ToolMode
    client_id: int | None = None


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
