"""A workflow's saved versions: list, view, diff and restore.

Restore brings back the version's content (title, trigger, instructions, requires) as a new save; the
current status and scope stay as they are, so restoring never (de)activates or moves a workflow by surprise.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorFactory
from core.errors import NotFoundError
from retrieval.embedders import Embedder
from workflows.schemas import FieldDiff, VersionDiff
from workflows.service import apply_changes, check_base_version, get_workflow
from workflows.tables import Workflow, WorkflowVersion

RESTORED_FIELDS = ("title", "trigger", "instructions", "requires")
_DIFFED_FIELDS = ("title", "trigger", "instructions", "status", "client_id", "requires")


async def list_versions(session: AsyncSession, workflow_id: int) -> Sequence[WorkflowVersion]:
    await get_workflow(session, workflow_id)
    return (
        await session.scalars(
            select(WorkflowVersion)
            .where(WorkflowVersion.workflow_id == workflow_id)
            .order_by(WorkflowVersion.version.desc())
        )
    ).all()


async def get_version(session: AsyncSession, workflow_id: int, version: int) -> WorkflowVersion:
    row = await get_workflow(session, workflow_id)
    saved = await session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
        )
    )
    if saved is None:
        raise NotFoundError(f"workflow {workflow_id} has no version {version} (current is {row.version})")
    return saved


async def diff_versions(session: AsyncSession, workflow_id: int, before: int, after: int) -> VersionDiff:
    old = await get_version(session, workflow_id, before)
    new = await get_version(session, workflow_id, after)
    changes = []
    for name in _DIFFED_FIELDS:
        old_text, new_text = _text(getattr(old, name)), _text(getattr(new, name))
        if old_text == new_text:
            continue
        unified = "".join(
            difflib.unified_diff(
                old_text.splitlines(keepends=True),
                new_text.splitlines(keepends=True),
                fromfile=f"v{before}/{name}",
                tofile=f"v{after}/{name}",
            )
        )
        changes.append(FieldDiff(field=name, before=old_text, after=new_text, unified=unified))
    return VersionDiff(workflow_id=workflow_id, from_version=before, to_version=after, changes=changes)


async def restore_version(
    session: AsyncSession,
    workflow_id: int,
    version: int,
    *,
    base_version: int | None,
    connectors: ConnectorFactory,
    embedder: Embedder | None,
) -> Workflow:
    row = await get_workflow(session, workflow_id)
    check_base_version(row, base_version)
    saved = await get_version(session, workflow_id, version)
    changes = {name: getattr(saved, name) for name in RESTORED_FIELDS}
    changes["requires"] = list(saved.requires)
    return await apply_changes(session, row, changes, connectors=connectors, embedder=embedder)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
