"""Generate: a draft workflow written by the LLM from a description; fill its blanks; accept it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from agent.tenant import directory_for
from api.auth import require_technician
from api.deps import RuntimeDep, SessionDep
from connectors.base import DirectoryConnector
from core.domain import ClientInfo
from core.errors import LLMNotConfigured
from core.tables import Client
from workflows import service
from workflows.drafts import BlankValues, DraftRead, accept_draft, draft_read, fill_blanks, get_draft
from workflows.generate import GenerateRequest, generate_draft
from workflows.schemas import WorkflowRead

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.post("/generate", status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_technician)])
async def generate(data: GenerateRequest, session: SessionDep, runtime: RuntimeDep) -> DraftRead:
    """The LLM writes title, trigger and instructions using only connected integrations' tools; what the
    description left open comes back as typed blanks to fill before accepting."""
    if runtime.model is None:
        raise LLMNotConfigured("no LLM model is configured (set DESKHAND_LLM_MODEL); Generate needs one")
    row = await generate_draft(session, data, model=runtime.model, connectors=runtime.connectors)
    return draft_read(row)


@router.get("/drafts/{draft_id}")
async def get_one(draft_id: int, session: SessionDep) -> DraftRead:
    return draft_read(await get_draft(session, draft_id))


@router.put("/drafts/{draft_id}/blanks", dependencies=[Depends(require_technician)])
async def fill(draft_id: int, data: BlankValues, session: SessionDep, runtime: RuntimeDep) -> DraftRead:
    """Fill blanks; each value is checked (in the client's tenant where the kind allows) or refused."""
    draft = await get_draft(session, draft_id)
    directory = await _directory(session, draft.client_id)
    try:
        row = await fill_blanks(session, draft_id, data.values, directory=directory)
    finally:
        if directory is not None:
            await directory.aclose()
    return draft_read(row)


@router.post(
    "/drafts/{draft_id}/accept",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_technician)],
)
async def accept(draft_id: int, session: SessionDep, runtime: RuntimeDep) -> WorkflowRead:
    """Save the filled draft as a draft workflow (activate it as a separate step)."""
    row = await accept_draft(session, draft_id, connectors=runtime.connectors, embedder=runtime.embedder)
    return await service.read_model(session, row, runtime.connectors)


async def _directory(session: SessionDep, client_id: int | None) -> DirectoryConnector | None:
    if client_id is None:
        return None
    client = await session.get(Client, client_id)
    if client is None:
        return None
    info = ClientInfo(id=client.id, name=client.name, m365_tenant_id=client.m365_tenant_id)
    return await directory_for(info)
