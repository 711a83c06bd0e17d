"""Workflow CRUD and the rules the service enforces (each a clear 4xx that says what to do).

- Only active workflows are matched (``candidate_workflows``).
- Active needs a trigger, every required integration connected for the scope, and only real tools named.
- With no integration connected at all, nothing can be created (Settings -> Integrations first).
- Saves are partial; each one that changes something is a new version, saved in ``workflow_versions``;
  a save based on a stale version is refused with 409 and the current version.
- Delete is permanent and needs an explicit confirmation; archive is the reversible alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorFactory
from connectors.catalogue import ALL_ACTIONS
from core.clock import system_clock
from core.errors import ConflictError, NotFoundError, ValidationFailed
from core.tables import Client
from retrieval.embedders import Embedder
from workflows.integrations import Connected, connected_for, describe_missing, missing_kinds, needed_kinds
from workflows.schemas import IntegrationKind, WorkflowCreate, WorkflowRead, WorkflowStatus, WorkflowUpdate
from workflows.shortlist import embed_trigger
from workflows.tables import Workflow, WorkflowVersion
from workflows.tool_refs import unknown_tools

_TOOL_NAMES = frozenset(action.name for action in ALL_ACTIONS)
_CONTENT_FIELDS = ("title", "trigger", "instructions", "status", "client_id", "requires", "log_time")


async def create_workflow(
    session: AsyncSession,
    data: WorkflowCreate,
    *,
    connectors: ConnectorFactory,
    embedder: Embedder | None = None,
) -> Workflow:
    await _check_client(session, data.client_id)
    connected = await connected_for(session, connectors, client_id=data.client_id)
    if not connected.any_integration:
        raise ConflictError(
            "no integration is connected yet: connect your PSA in Settings → Integrations, then create "
            "workflows",
            code="no_integration",
        )
    fields = _clean(data.model_dump())
    _check_status(fields, connected)
    row = Workflow(**fields)
    session.add(row)
    await session.flush()
    await embed_trigger(row, embedder)
    _record_version(session, row)
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
    session: AsyncSession,
    workflow_id: int,
    *,
    data: WorkflowUpdate,
    connectors: ConnectorFactory,
    embedder: Embedder | None = None,
) -> Workflow:
    row = await get_workflow(session, workflow_id)
    check_base_version(row, data.base_version)
    changes = _clean(data.model_dump(exclude_unset=True, exclude={"base_version"}))
    if "client_id" in changes:
        await _check_client(session, changes["client_id"])
    return await apply_changes(session, row, changes, connectors=connectors, embedder=embedder)


async def apply_changes(
    session: AsyncSession,
    row: Workflow,
    changes: dict[str, Any],
    *,
    connectors: ConnectorFactory,
    embedder: Embedder | None,
) -> Workflow:
    """Save ``changes`` (cleaned field values) as the next version, if they change anything."""
    changed = {name: value for name, value in changes.items() if getattr(row, name) != value}
    if not changed:
        return row
    after = {name: changed.get(name, getattr(row, name)) for name in _CONTENT_FIELDS}
    connected = await connected_for(session, connectors, client_id=after["client_id"])
    _check_status(after, connected)
    for name, value in changed.items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = system_clock()
    if {"trigger", "title"} & changed.keys() or row.trigger_embedder != _name(embedder):
        await embed_trigger(row, embedder)
    _record_version(session, row)
    await session.flush()
    return row


def check_base_version(row: Workflow, base_version: int | None) -> None:
    if base_version is not None and base_version != row.version:
        raise ConflictError(
            f"workflow {row.id} changed since version {base_version}; current version is "
            f"{row.version}. Reload it and reapply your edit.",
            code="stale_version",
        )


async def delete_workflow(session: AsyncSession, workflow_id: int, *, confirm: bool) -> None:
    row = await get_workflow(session, workflow_id)
    if not confirm:
        raise ValidationFailed(
            f"deleting workflow {workflow_id} ('{row.title}') is permanent, with all its versions: repeat "
            "with confirm=true, or archive it instead (status 'archived' can be reverted)",
            code="confirmation_required",
        )
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


async def read_model(session: AsyncSession, row: Workflow, connectors: ConnectorFactory) -> WorkflowRead:
    connected = await connected_for(session, connectors, client_id=row.client_id)
    return read_with(row, connected)


def read_with(row: Workflow, connected: Connected) -> WorkflowRead:
    needed = needed_kinds(row.requires, row.instructions)
    return WorkflowRead(
        id=row.id,
        title=row.title,
        trigger=row.trigger,
        instructions=row.instructions,
        status=WorkflowStatus(row.status),
        client_id=row.client_id,
        requires=needed,
        missing_integrations=missing_kinds(needed, connected),
        log_time=row.log_time,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def read_models(
    session: AsyncSession, rows: Sequence[Workflow], connectors: ConnectorFactory
) -> list[WorkflowRead]:
    cache: dict[int | None, Connected] = {}
    models = []
    for row in rows:
        if row.client_id not in cache:
            cache[row.client_id] = await connected_for(session, connectors, client_id=row.client_id)
        models.append(read_with(row, cache[row.client_id]))
    return models


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Trimmed text, enum values as plain strings, requires as a sorted distinct list."""
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "log_time" and value is None:
            continue  # an explicit null leaves the flag as it is
        if name == "requires":
            value = sorted({IntegrationKind(kind).value for kind in value or ()})
        elif isinstance(value, WorkflowStatus):
            value = value.value
        elif isinstance(value, str):
            value = value.strip()
        cleaned[name] = value
    return cleaned


def _check_status(fields: dict[str, Any], connected: Connected) -> None:
    if fields.get("status", WorkflowStatus.DRAFT.value) != WorkflowStatus.ACTIVE.value:
        return
    if not (fields.get("trigger") or "").strip():
        raise ValidationFailed(
            "a workflow cannot be active without a trigger: add a one-sentence trigger, or keep it a draft",
            code="trigger_required",
        )
    unknown = unknown_tools(fields.get("instructions") or "", _TOOL_NAMES)
    if unknown:
        names = ", ".join(f"`{name}`" for name in unknown)
        raise ValidationFailed(
            f"the instructions name {names}, which Deskhand has no tool for: fix the name or keep it a draft",
            code="unknown_tool",
        )
    missing = missing_kinds(
        needed_kinds(fields.get("requires") or (), fields.get("instructions") or ""), connected
    )
    if missing:
        raise ConflictError(
            f"this workflow needs {describe_missing(missing, client_id=fields.get('client_id'))}, "
            "which is not connected: connect it in Settings → Integrations, then activate; until then it "
            "stays a draft",
            code="integration_missing",
        )


def _record_version(session: AsyncSession, row: Workflow) -> None:
    session.add(
        WorkflowVersion(
            workflow_id=row.id,
            version=row.version,
            title=row.title,
            trigger=row.trigger,
            instructions=row.instructions,
            status=row.status,
            client_id=row.client_id,
            requires=list(row.requires),
            log_time=row.log_time,
            saved_at=row.updated_at,
        )
    )


def _name(embedder: Embedder | None) -> str | None:
    return embedder.model_name if embedder is not None else None


async def _check_client(session: AsyncSession, client_id: int | None) -> None:
    if client_id is not None and await session.get(Client, client_id) is None:
        raise ValidationFailed(f"client {client_id} does not exist", code="unknown_client")
