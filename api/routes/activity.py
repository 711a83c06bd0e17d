"""Activity: runs, their decisions, plans, tool calls and notes; suppressed and waiting events; retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from agent.activity import get_run_detail, list_activity, prepare_retry, reveal_secret
from agent.pipeline import enqueue_ticket_run, workflow_id_for
from agent.schemas import ActivityList, RetryRead, RunDetail, SecretRead
from api.auth import require_technician
from api.deps import RuntimeDep, SessionDep
from core.errors import LLMNotConfigured

router = APIRouter(tags=["activity"])


@router.get("/activity")
async def activity(
    session: SessionDep,
    client_id: int | None = None,
    ticket: str | None = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ActivityList:
    return await list_activity(session, client_id=client_id, ticket=ticket, status=status_filter, limit=limit)


@router.get("/runs/{run_id}")
async def run_detail(run_id: int, session: SessionDep) -> RunDetail:
    return await get_run_detail(session, run_id)


@router.post(
    "/activity/events/{event_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_technician)],
)
async def retry_event(event_id: int, runtime: RuntimeDep) -> RetryRead:
    if runtime.model is None:
        raise LLMNotConfigured("no LLM model is configured (set DESKHAND_LLM_MODEL); a retry would only wait")
    async with runtime.db.session() as session:
        attempt = await prepare_retry(session, event_id)
    await enqueue_ticket_run(event_id, attempt=attempt, manual=True)
    return RetryRead(event_id=event_id, attempt=attempt, workflow_id=workflow_id_for(event_id, attempt))


@router.post(
    "/runs/{run_id}/tool-calls/{tool_call_id}/reveal-secret", dependencies=[Depends(require_technician)]
)
async def reveal(run_id: int, tool_call_id: str, session: SessionDep, runtime: RuntimeDep) -> SecretRead:
    """The temporary password a tool generated (new user, reset), once; then it is gone from Deskhand."""
    return await reveal_secret(session, run_id, tool_call_id, box=runtime.box)
