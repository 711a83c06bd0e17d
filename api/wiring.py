"""Build the runtime (database, secrets, connectors, model, agent) and start DBOS on top of it."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
from dbos import DBOS

from agent.backfill import start_backfill
from agent.intake import events_to_resume
from agent.past_tickets import ensure_index_matches
from agent.pipeline import TICKET_QUEUE, enqueue_ticket_run
from agent.resume import expiry_loop
from agent.runtime import Runtime, get_runtime, set_runtime
from agent.ticket_agent import build_ticket_agent
from agent.undo import undo_workflow
from connectors.catalogue import ALL_ACTIONS
from connectors.registry import GraphCredentials, Registry
from core.clock import system_clock
from core.database import Database
from core.errors import DeskhandError
from core.integration_store import list_integrations
from core.llm import build_model
from core.migrations.runner import upgrade
from core.secrets import SecretBox
from core.settings import Settings
from retrieval import build_embedder, resolve_dimension
from retrieval.store import build_index

logger = logging.getLogger("deskhand")
# Imported for its DBOS registration: every process can run and recover undo workflows.
_WORKFLOWS = (undo_workflow,)


def build_runtime(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    graph_credentials: GraphCredentials | None = None,
) -> Runtime:
    settings.ensure_data_dir()
    model = build_model(settings)
    actions = ALL_ACTIONS
    db = Database(settings.resolved_database_url)
    return Runtime(
        settings=settings,
        db=db,
        box=SecretBox(settings.resolved_secret_key()),
        connectors=Registry(transport=transport, graph_credentials=graph_credentials),
        actions=actions,
        model=model,
        ticket_agent=build_ticket_agent(model, actions, settings) if model is not None else None,
        ticket_index=build_index(db),
        embedder=build_embedder(settings),
    )


_background: list[asyncio.Task[None]] = []  # the process's periodic tasks, cancelled at shutdown


async def launch(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    graph_credentials: GraphCredentials | None = None,
    migrate: bool = True,
) -> Runtime:
    """Migrate, wire the runtime and launch DBOS (which recovers workflows a crash left unfinished)."""
    settings.ensure_data_dir()
    if migrate:
        upgrade(settings.resolved_database_url)
    runtime = build_runtime(settings, transport=transport, graph_credentials=graph_credentials)
    set_runtime(runtime)
    DBOS(
        config={
            "name": "deskhand",
            "system_database_url": settings.dbos_system_database_url,
            "log_level": "WARNING",
        }
    )
    DBOS.launch()
    await DBOS.register_queue_async(
        TICKET_QUEUE,
        worker_concurrency=settings.worker_concurrency,
        polling_interval_sec=settings.queue_polling_interval_seconds,
    )
    _background.append(asyncio.create_task(expiry_loop(), name="deskhand-approval-expiry"))
    if runtime.model is None:
        logger.warning("No LLM model configured (DESKHAND_LLM_MODEL): tickets will be recorded and wait.")
    await prepare_ticket_index(runtime)
    return runtime


async def prepare_ticket_index(runtime: Runtime) -> None:
    """Match the index to the configured embedder; after a change, re-index recent closed tickets."""
    if runtime.ticket_index is None or runtime.embedder is None:
        return
    try:
        await resolve_dimension(runtime.embedder)
        changed = await ensure_index_matches(runtime.ticket_index, runtime.embedder)
    except DeskhandError as exc:
        logger.warning("similar-ticket search is off: %s", exc.detail)
        runtime.ticket_index = None
        return
    if changed:
        since = system_clock() - timedelta(days=runtime.settings.retrieval_reindex_days)
        async with runtime.db.session() as session:
            psas = [
                row.id
                for row in await list_integrations(session)
                if not runtime.connectors.is_directory(row.kind)
            ]
        for integration_id in psas:
            await start_backfill(integration_id, since)


async def resume_unstarted_events() -> int:
    """Hand events that never reached a workflow (crash, or waiting for a model) to the queue."""
    runtime = get_runtime()
    async with runtime.db.session() as session:
        event_ids = await events_to_resume(session, llm_configured=runtime.model is not None)
    for event_id in event_ids:
        await enqueue_ticket_run(event_id)
    return len(event_ids)


async def shutdown() -> None:
    runtime = get_runtime()
    for task in _background:
        task.cancel()
    await asyncio.gather(*_background, return_exceptions=True)
    _background.clear()
    DBOS.destroy(destroy_registry=False)
    if isinstance(runtime.connectors, Registry):
        await runtime.connectors.aclose()
    await runtime.db.dispose()
    set_runtime(None)
