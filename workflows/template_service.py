"""Starter templates as the API shows them, and workflows created from them (always as drafts)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorFactory
from retrieval.embedders import Embedder
from workflows.integrations import Connected, connected_for, describe_missing, missing_kinds, needed_kinds
from workflows.schemas import IntegrationKind, WorkflowCreate, WorkflowStatus
from workflows.service import create_workflow
from workflows.tables import Workflow
from workflows.templates import TEMPLATES, WorkflowTemplate, template_by_key


class TemplateRead(BaseModel):
    key: str
    category: str
    title: str
    trigger: str
    instructions: str
    requires: list[IntegrationKind]
    missing_integrations: list[IntegrationKind] = Field(description="Not connected for the chosen scope")
    requires_hint: str | None = Field(description="'Requires …' when something is missing, else null")


class TemplateList(BaseModel):
    client_id: int | None
    items: list[TemplateRead]


class FromTemplate(BaseModel):
    client_id: int | None = Field(default=None, description="None = a shared workflow")
    title: str | None = Field(
        default=None, min_length=1, max_length=200, description="Defaults to the template's"
    )


async def list_templates(
    session: AsyncSession, connectors: ConnectorFactory, *, client_id: int | None
) -> TemplateList:
    connected = await connected_for(session, connectors, client_id=client_id)
    return TemplateList(
        client_id=client_id, items=[_read(template, connected, client_id) for template in TEMPLATES]
    )


async def create_from_template(
    session: AsyncSession,
    key: str,
    data: FromTemplate,
    *,
    connectors: ConnectorFactory,
    embedder: Embedder | None,
) -> Workflow:
    template = template_by_key(key)
    create = WorkflowCreate(
        title=data.title or template.title,
        trigger=template.trigger,
        instructions=template.instructions,
        status=WorkflowStatus.DRAFT,
        client_id=data.client_id,
        requires=[IntegrationKind(kind) for kind in template.requires],
    )
    return await create_workflow(session, create, connectors=connectors, embedder=embedder)


def _read(template: WorkflowTemplate, connected: Connected, client_id: int | None) -> TemplateRead:
    needed = needed_kinds(template.requires, template.instructions)
    missing = missing_kinds(needed, connected)
    return TemplateRead(
        key=template.key,
        category=template.category,
        title=template.title,
        trigger=template.trigger,
        instructions=template.instructions,
        requires=needed,
        missing_integrations=missing,
        requires_hint=f"Requires {describe_missing(missing, client_id=client_id)}" if missing else None,
    )
