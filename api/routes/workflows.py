"""Workflows: CRUD with the service's rules, versions (list, view, diff, restore) and starter templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from api.auth import require_technician
from api.deps import RuntimeDep, SessionDep
from workflows import service, versions
from workflows.schemas import (
    RestoreRequest,
    VersionDiff,
    VersionList,
    VersionRead,
    WorkflowCreate,
    WorkflowList,
    WorkflowRead,
    WorkflowStatus,
    WorkflowUpdate,
)
from workflows.template_service import FromTemplate, TemplateList, create_from_template, list_templates

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_technician)])
async def create(data: WorkflowCreate, session: SessionDep, runtime: RuntimeDep) -> WorkflowRead:
    row = await service.create_workflow(
        session, data, connectors=runtime.connectors, embedder=runtime.embedder
    )
    return await service.read_model(session, row, runtime.connectors)


@router.get("")
async def list_all(
    session: SessionDep,
    runtime: RuntimeDep,
    status_filter: Annotated[WorkflowStatus | None, Query(alias="status")] = None,
    client_id: int | None = None,
) -> WorkflowList:
    rows = await service.list_workflows(session, status=status_filter, client_id=client_id)
    return WorkflowList(items=await service.read_models(session, rows, runtime.connectors))


@router.get("/templates")
async def templates(session: SessionDep, runtime: RuntimeDep, client_id: int | None = None) -> TemplateList:
    """The starter templates; each says which required integrations are missing for the scope."""
    return await list_templates(session, runtime.connectors, client_id=client_id)


@router.post(
    "/templates/{key}", status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_technician)]
)
async def from_template(
    key: str, data: FromTemplate, session: SessionDep, runtime: RuntimeDep
) -> WorkflowRead:
    """A draft workflow from a template (activate it once its required integrations are connected)."""
    row = await create_from_template(
        session, key, data, connectors=runtime.connectors, embedder=runtime.embedder
    )
    return await service.read_model(session, row, runtime.connectors)


@router.get("/{workflow_id}")
async def get_one(workflow_id: int, session: SessionDep, runtime: RuntimeDep) -> WorkflowRead:
    row = await service.get_workflow(session, workflow_id)
    return await service.read_model(session, row, runtime.connectors)


@router.patch("/{workflow_id}", dependencies=[Depends(require_technician)])
async def update(
    workflow_id: int, data: WorkflowUpdate, session: SessionDep, runtime: RuntimeDep
) -> WorkflowRead:
    """A partial save (autosave). Send ``base_version`` so a stale tab gets 409 instead of overwriting."""
    row = await service.update_workflow(
        session, workflow_id, data=data, connectors=runtime.connectors, embedder=runtime.embedder
    )
    return await service.read_model(session, row, runtime.connectors)


@router.delete(
    "/{workflow_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(require_technician)]
)
async def delete(workflow_id: int, session: SessionDep, confirm: bool = False) -> Response:
    """Permanent: needs ``confirm=true``. Archiving (status 'archived') is the reversible alternative."""
    await service.delete_workflow(session, workflow_id, confirm=confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{workflow_id}/versions")
async def list_versions(workflow_id: int, session: SessionDep) -> VersionList:
    rows = await versions.list_versions(session, workflow_id)
    current = await service.get_workflow(session, workflow_id)
    return VersionList(
        workflow_id=workflow_id,
        current_version=current.version,
        items=[VersionRead.model_validate(row) for row in rows],
    )


@router.get("/{workflow_id}/versions/{version}")
async def get_version(workflow_id: int, version: int, session: SessionDep) -> VersionRead:
    return VersionRead.model_validate(await versions.get_version(session, workflow_id, version))


@router.get("/{workflow_id}/diff")
async def diff(
    workflow_id: int,
    session: SessionDep,
    from_version: Annotated[int, Query(alias="from")],
    to_version: Annotated[int, Query(alias="to")],
) -> VersionDiff:
    return await versions.diff_versions(session, workflow_id, from_version, to_version)


@router.post("/{workflow_id}/versions/{version}/restore", dependencies=[Depends(require_technician)])
async def restore(
    workflow_id: int, version: int, data: RestoreRequest, session: SessionDep, runtime: RuntimeDep
) -> WorkflowRead:
    """The version's title, trigger, instructions and requires, saved as a new version."""
    row = await versions.restore_version(
        session,
        workflow_id,
        version,
        base_version=data.base_version,
        connectors=runtime.connectors,
        embedder=runtime.embedder,
    )
    return await service.read_model(session, row, runtime.connectors)
