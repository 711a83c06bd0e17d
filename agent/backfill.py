"""Backfill: closed tickets of one PSA integration, since a date, into the similar-ticket index.

A DBOS workflow that processes one page per step and saves the PSA's cursor after each page, so a crash
resumes at the next page, and content hashes make a repeated page (or a rerun) index nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dbos import DBOS, SetWorkflowID
from sqlalchemy import select

from agent.past_tickets import document_for, index_tickets
from agent.pipeline import failure_reason, retrying_step
from agent.runtime import get_runtime
from agent.tables import RetrievalBackfill
from core.clients import resolve_client
from core.clock import system_clock
from core.domain import AgentMode
from core.errors import IntegrationError, NotFoundError, ValidationFailed
from core.integration_store import load_integration
from retrieval.documents import TicketDocument


@dataclass(frozen=True)
class BackfillProgress:
    id: int
    status: str
    pages: int
    indexed: int
    unchanged: int
    error: str | None


def workflow_id_for(backfill_id: int) -> str:
    return f"retrieval-backfill-{backfill_id}"


async def start_backfill(integration_id: int, since: datetime) -> int:
    """Start (or continue an unfinished) backfill; returns its id. DBOS resumes it after a crash."""
    runtime = get_runtime()
    if runtime.ticket_index is None or runtime.embedder is None:
        raise ValidationFailed("retrieval is not configured (no ticket index or embedder)")
    async with runtime.db.write_session() as session:
        record = await load_integration(session, integration_id, box=runtime.box)
        if runtime.connectors.is_directory(record.kind):
            raise ValidationFailed(f"integration {integration_id} is not a PSA")
        unfinished = (
            await session.scalars(
                select(RetrievalBackfill).where(
                    RetrievalBackfill.integration_id == integration_id,
                    RetrievalBackfill.since == since,
                    RetrievalBackfill.status != "succeeded",
                )
            )
        ).first()
        if unfinished is None:
            unfinished = RetrievalBackfill(integration_id=integration_id, since=since)
            session.add(unfinished)
            await session.flush()
        backfill_id, previous = unfinished.id, unfinished.workflow_id
        if previous is not None:
            status = await DBOS.get_workflow_status_async(previous)
            if status is not None and status.status in ("PENDING", "ENQUEUED"):
                return backfill_id  # still running, or resumed by DBOS after a crash: do not start twice
        # A failed backfill continues under a new workflow id, from its saved cursor.
        unfinished.workflow_id = f"{workflow_id_for(backfill_id)}-{int(system_clock().timestamp() * 1000)}"
        unfinished.status, unfinished.error, unfinished.finished_at = "running", None, None
        workflow_id = unfinished.workflow_id
    with SetWorkflowID(workflow_id):
        await DBOS.start_workflow_async(backfill_workflow, backfill_id)
    return backfill_id


async def progress(backfill_id: int) -> BackfillProgress:
    async with get_runtime().db.session() as session:
        row = await session.get(RetrievalBackfill, backfill_id)
        if row is None:
            raise NotFoundError(f"backfill {backfill_id} does not exist")
        return BackfillProgress(row.id, row.status, row.pages, row.indexed, row.unchanged, row.error)


async def backfill_page(backfill_id: int) -> bool:
    """Index one page of closed tickets and save the cursor; True when there are no more pages."""
    runtime = get_runtime()
    index, embedder = runtime.ticket_index, runtime.embedder
    assert index is not None and embedder is not None  # checked by start_backfill
    async with runtime.db.session() as session:
        row = await session.get(RetrievalBackfill, backfill_id)
        if row is None:
            raise NotFoundError(f"backfill {backfill_id} does not exist")
        record = await load_integration(session, row.integration_id, box=runtime.box)
        since, cursor = row.since, row.cursor
    psa = runtime.connectors.psa(record.kind, record.config)
    page = await psa.closed_tickets(since, cursor=cursor)
    documents: list[TicketDocument] = []
    for summary in page.tickets:
        ticket = await psa.get_ticket(summary.external_id)
        async with runtime.db.write_session() as session:
            client = await resolve_client(
                session,
                integration_id=record.id,
                company=ticket.company,
                new_mode=AgentMode(get_runtime().settings.new_client_mode),
            )
        documents.append(document_for(ticket, client=client, integration_id=record.id))
    indexed, unchanged = await index_tickets(index, embedder, documents)
    async with runtime.db.write_session() as session:
        row = await session.get(RetrievalBackfill, backfill_id)
        assert row is not None
        row.cursor = page.next_cursor
        row.pages += 1
        row.indexed += indexed
        row.unchanged += unchanged
        if page.next_cursor is None:
            row.status, row.finished_at = "succeeded", system_clock()
    return page.next_cursor is None


async def backfill_failed(backfill_id: int, reason: str) -> None:
    async with get_runtime().db.write_session() as session:
        row = await session.get(RetrievalBackfill, backfill_id)
        if row is not None:
            row.status, row.error, row.finished_at = "failed", reason[:2000], system_clock()


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, IntegrationError) and exc.retryable


@DBOS.workflow(name="deskhand.retrieval_backfill")
async def backfill_workflow(backfill_id: int) -> str:
    page_step = retrying_step("deskhand.backfill_page", transient=_transient)
    try:
        while not await DBOS.run_step_async(page_step, backfill_page, backfill_id):
            pass
    except Exception as exc:  # ends visibly in the backfill's row; a rerun continues from its cursor
        reason = failure_reason(exc)
        await DBOS.run_step_async({"name": "deskhand.backfill_failed"}, backfill_failed, backfill_id, reason)
        return "failed"
    return "succeeded"
