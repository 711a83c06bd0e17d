"""Generated drafts after Generate: fill their blanks (checked against live data), then accept.

Accept saves the filled text as a draft workflow; activating it is a separate, deliberate step.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorFactory, DirectoryConnector
from core.clock import system_clock
from core.errors import ConflictError, NotFoundError, ValidationFailed
from retrieval.embedders import Embedder
from workflows.blanks import Blank, check_value, fill, unfilled
from workflows.schemas import IntegrationKind, WorkflowCreate, WorkflowStatus
from workflows.service import create_workflow
from workflows.tables import Workflow, WorkflowDraft


class DraftRead(BaseModel):
    id: int
    description: str
    client_id: int | None
    title: str
    trigger: str
    instructions: str
    requires: list[IntegrationKind]
    blanks: list[Blank]
    ready: bool = Field(description="Every blank is filled: the draft can be accepted")
    attempts: int = Field(description="2 when the first generated draft was rejected and regenerated")
    workflow_id: int | None = Field(description="The workflow it became, once accepted")
    created_at: datetime
    accepted_at: datetime | None


class BlankValues(BaseModel):
    values: dict[str, str] = Field(description="Blank name -> value")


def draft_read(row: WorkflowDraft) -> DraftRead:
    blanks = [Blank.model_validate(item) for item in row.blanks]
    return DraftRead(
        id=row.id,
        description=row.description,
        client_id=row.client_id,
        title=row.title,
        trigger=row.trigger,
        instructions=row.instructions,
        requires=[IntegrationKind(kind) for kind in row.requires],
        blanks=blanks,
        ready=not unfilled(blanks),
        attempts=row.attempts,
        workflow_id=row.workflow_id,
        created_at=row.created_at,
        accepted_at=row.accepted_at,
    )


async def get_draft(session: AsyncSession, draft_id: int) -> WorkflowDraft:
    row = await session.get(WorkflowDraft, draft_id)
    if row is None:
        raise NotFoundError(f"generated draft {draft_id} does not exist")
    return row


async def fill_blanks(
    session: AsyncSession,
    draft_id: int,
    values: Mapping[str, str],
    *,
    directory: DirectoryConnector | None,
) -> WorkflowDraft:
    """Check every given value; store them all, or none with every error (each naming its blank)."""
    row = await get_draft(session, draft_id)
    _check_open(row)
    blanks = {item["name"]: Blank.model_validate(item) for item in row.blanks}
    errors = [f"there is no blank named '{name}'" for name in values if name not in blanks]
    checked: dict[str, tuple[str, str]] = {}
    for name, value in values.items():
        if name in blanks:
            try:
                checked[name] = await check_value(blanks[name], value, directory)
            except ValueError as exc:
                errors.append(str(exc))
    if errors:
        raise ValidationFailed("; ".join(errors), code="invalid_blank")
    for name, (value, how) in checked.items():
        blanks[name] = blanks[name].model_copy(update={"value": value, "checked": how})
    row.blanks = [blank.model_dump(mode="json") for blank in blanks.values()]
    await session.flush()
    return row


async def accept_draft(
    session: AsyncSession,
    draft_id: int,
    *,
    connectors: ConnectorFactory,
    embedder: Embedder | None,
) -> Workflow:
    row = await get_draft(session, draft_id)
    _check_open(row)
    blanks = [Blank.model_validate(item) for item in row.blanks]
    missing = unfilled(blanks)
    if missing:
        listed = ", ".join(f"'{blank.name}' ({blank.label})" for blank in missing)
        raise ValidationFailed(
            f"fill every blank before accepting; still empty: {listed}", code="blanks_unfilled"
        )
    values = {blank.name: blank.value or "" for blank in blanks}
    workflow = await create_workflow(
        session,
        WorkflowCreate(
            title=fill(row.title, values)[:200],
            trigger=fill(row.trigger, values),
            instructions=fill(row.instructions, values),
            status=WorkflowStatus.DRAFT,
            client_id=row.client_id,
            requires=[IntegrationKind(kind) for kind in row.requires],
        ),
        connectors=connectors,
        embedder=embedder,
    )
    row.workflow_id = workflow.id
    row.accepted_at = system_clock()
    await session.flush()
    return workflow


def _check_open(row: WorkflowDraft) -> None:
    if row.accepted_at is not None:
        raise ConflictError(
            f"draft {row.id} was already accepted as workflow {row.workflow_id}; edit that workflow instead",
            code="draft_accepted",
        )
