"""Workflow CRUD (the minimal authoring surface; templates and Generate come with the workflows issue)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import RuntimeDep, SessionDep
from workflows import service
from workflows.schemas import WorkflowCreate, WorkflowList, WorkflowRead, WorkflowStatus, WorkflowUpdate

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(data: WorkflowCreate, session: SessionDep, runtime: RuntimeDep) -> WorkflowRead:
    row = await service.create_workflow(session, data, embedder=runtime.embedder)
    return WorkflowRead.model_validate(row)


@router.get("")
async def list_all(
    session: SessionDep,
    status_filter: Annotated[WorkflowStatus | None, Query(alias="status")] = None,
    client_id: int | None = None,
) -> WorkflowList:
    rows = await service.list_workflows(session, status=status_filter, client_id=client_id)
    return WorkflowList(items=[WorkflowRead.model_validate(r) for r in rows])


@router.get("/{workflow_id}")
async def get_one(workflow_id: int, session: SessionDep) -> WorkflowRead:
    return WorkflowRead.model_validate(await service.get_workflow(session, workflow_id))


@router.patch("/{workflow_id}")
async def update(
    workflow_id: int, data: WorkflowUpdate, session: SessionDep, runtime: RuntimeDep
) -> WorkflowRead:
    row = await service.update_workflow(session, workflow_id, data=data, embedder=runtime.embedder)
    return WorkflowRead.model_validate(row)


@router.delete("/{workflow_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(workflow_id: int, session: SessionDep) -> Response:
    await service.delete_workflow(session, workflow_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
