"""Workflow CRUD and the status rules the pipeline relies on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import system_clock
from core.errors import ConflictError, NotFoundError, ValidationFailed
from core.tables import Client
from retrieval.embedders import Embedder
from workflows.schemas import WorkflowCreate, WorkflowStatus, WorkflowUpdate
from workflows.shortlist import embed_trigger
from workflows.tables import Workflow


async def create_workflow(
    session: AsyncSession, data: WorkflowCreate, *, embedder: Embedder | None = None
) -> Workflow:
    await _check_client(session, data.client_id)
    _check_activation(data.status, data.trigger)
    row = Workflow(
        title=data.title.strip(),
        trigger=data.trigger.strip(),
        instructions=data.instructions.strip(),
        status=data.status.value,
        client_id=data.client_id,
    )
    session.add(row)
    await session.flush()
    await embed_trigger(row, embedder)
    await session.flush()
    return row


async def get_workflow(session: AsyncSession, workflow_id: int) -> Workflow:
    row = await session.get(Workflow, workflow_id)
    if row is None:
        raise NotFoundError(f"workflow {workflow_id} does not exist")
    return row


async def list_workflows(
    session: AsyncSession, *, status: WorkflowStatus | None = None, client_id: int | None = None
) -> Sequence[Workflow]:
    query = select(Workflow).order_by(Workflow.id)
    if status is not None:
        query = query.where(Workflow.status == status.value)
    if client_id is not None:
        query = query.where(or_(Workflow.client_id == client_id, Workflow.client_id.is_(None)))
    return (await session.scalars(query)).all()


async def update_workflow(
    session: AsyncSession, workflow_id: int, *, data: WorkflowUpdate, embedder: Embedder | None = None
) -> Workflow:
    row = await get_workflow(session, workflow_id)
    if data.base_version is not None and data.base_version != row.version:
        raise ConflictError(
            f"workflow {workflow_id} changed since version {data.base_version}; current version is "
            f"{row.version}. Reload it and reapply your edit.",
            code="stale_version",
        )
    changes = data.model_dump(exclude_unset=True, exclude={"base_version"})
    if "client_id" in changes:
        await _check_client(session, changes["client_id"])
    status = WorkflowStatus(changes.get("status", row.status))
    trigger = changes.get("trigger", row.trigger)
    _check_activation(status, trigger or "")
    for field, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(row, field, value.value if isinstance(value, WorkflowStatus) else value)
    row.version += 1
    row.updated_at = system_clock()
    if "trigger" in changes or "title" in changes or row.trigger_embedder != _name(embedder):
        await embed_trigger(row, embedder)
    await session.flush()
    return row


def _name(embedder: Embedder | None) -> str | None:
    return embedder.model_name if embedder is not None else None


async def delete_workflow(session: AsyncSession, workflow_id: int) -> None:
    row = await get_workflow(session, workflow_id)
    await session.delete(row)
    await session.flush()


async def candidate_workflows(session: AsyncSession, *, client_id: int) -> Sequence[Workflow]:
    """Active workflows that could apply to this client, before scope overrides."""
    return (
        await session.scalars(
            select(Workflow)
            .where(
                Workflow.status == WorkflowStatus.ACTIVE.value,
                or_(Workflow.client_id == client_id, Workflow.client_id.is_(None)),
            )
            .order_by(Workflow.id)
        )
    ).all()


def _check_activation(status: WorkflowStatus, trigger: str) -> None:
    if status is WorkflowStatus.ACTIVE and not trigger.strip():
        raise ValidationFailed(
            "a workflow cannot be active without a trigger: add a one-sentence trigger, or keep it a draft",
            code="trigger_required",
        )


async def _check_client(session: AsyncSession, client_id: int | None) -> None:
    if client_id is not None and await session.get(Client, client_id) is None:
        raise ValidationFailed(f"client {client_id} does not exist", code="unknown_client")
