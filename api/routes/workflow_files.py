"""Workflows as YAML files: export them all (to keep in git) and import a set back, all or nothing.

Include this router before ``api.routes.workflows``: its ``/workflows/{workflow_id}`` would otherwise
take ``/workflows/export``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import require_technician
from api.deps import RuntimeDep, SessionDep
from workflows.file_import import ImportSummary, WorkflowFilesInvalid, export_workflows, import_workflows

router = APIRouter(prefix="/workflows", tags=["workflows"])

MAX_FILES = 5000


class WorkflowFiles(BaseModel):
    files: dict[str, str] = Field(
        max_length=MAX_FILES,
        description="File name -> file text, in the format `deskhand workflows export` writes",
        examples=[{"reset-password.yaml": "deskhand_workflow: 1\ntitle: Reset password\n"}],
    )


class FileProblemRead(BaseModel):
    file: str
    field: str | None = Field(description="The field at fault; null when it is the file as a whole")
    message: str


class ImportRejected(BaseModel):
    detail: str
    code: str
    errors: list[FileProblemRead]


@router.get("/export")
async def export(
    session: SessionDep, client_id: int | None = None, shared_only: bool = False
) -> WorkflowFiles:
    """Every workflow as a YAML file; or only one client's own (``client_id``) or the shared ones."""
    files = await export_workflows(session, client_id=client_id, shared_only=shared_only)
    return WorkflowFiles(files=files)


@router.post(
    "/import",
    response_model=ImportSummary,
    responses={422: {"model": ImportRejected, "description": "Nothing was imported"}},
    dependencies=[Depends(require_technician)],
)
async def import_files(
    data: WorkflowFiles, session: SessionDep, runtime: RuntimeDep
) -> ImportSummary | JSONResponse:
    """Create or update a workflow per file (matched by scope and title). If any file is invalid, nothing
    changes and every problem comes back with its file and field."""
    try:
        return await import_workflows(
            session, data.files, connectors=runtime.connectors, embedder=runtime.embedder
        )
    except WorkflowFilesInvalid as exc:
        await session.rollback()  # some files may already be applied: keep none of them
        body = ImportRejected(
            detail=exc.detail,
            code=exc.code,
            errors=[FileProblemRead(file=p.file, field=p.field, message=p.message) for p in exc.problems],
        )
        return JSONResponse(body.model_dump(), status_code=exc.status_code)
