"""FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

import httpx
from fastapi import APIRouter, Depends, FastAPI

from agent.intake import WAITING_FOR_MODEL
from api import wiring
from api.auth import current_principal
from api.deps import RuntimeDep
from api.errors import install_error_handlers
from api.routes import (
    activity,
    approvals,
    audit,
    clients,
    integrations,
    m365,
    policies,
    prompts,
    undo,
    users,
    workflow_drafts,
    workflows,
)
from api.routes.workflow_files import router as workflow_files_router
from api.routes.workflow_insights import router as workflow_insights_router
from api.schemas import ServiceStatus
from api.webhooks import router as webhook_router
from connectors.registry import GraphCredentials
from core.settings import Settings


def deskhand_version() -> str:
    try:
        return version("deskhand")
    except PackageNotFoundError:
        return "0.0.0+local"


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    graph_credentials: GraphCredentials | None = None,
    run_worker: bool = True,
) -> FastAPI:
    """``run_worker`` launches DBOS in this process (serve); tests may launch it themselves."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            await wiring.launch(settings, transport=transport, graph_credentials=graph_credentials)
            await wiring.resume_unstarted_events()
        try:
            yield
        finally:
            if run_worker:
                await wiring.shutdown()

    app = FastAPI(title="Deskhand", version=deskhand_version(), lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/healthz", tags=["system"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Every /api/v1 route needs a signed-in caller (viewer or above); routes that change things add their
    # own role dependency (api/auth.py). Signing in itself is outside this router.
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(current_principal)])

    @api.get("/status", tags=["system"])
    async def service_status(runtime: RuntimeDep) -> ServiceStatus:
        configured = runtime.model is not None
        return ServiceStatus(
            version=deskhand_version(),
            llm_configured=configured,
            llm_model=runtime.settings.llm_model,
            detail="ready" if configured else WAITING_FOR_MODEL,
            database="postgres" if runtime.db.is_postgres else "sqlite",
        )

    routers = (
        integrations.router,
        clients.router,
        m365.router,
        workflow_files_router,  # before workflows: its /workflows/{id} would take /export
        workflow_insights_router,  # before workflows too: /workflows/stats
        workflows.router,
        workflow_drafts.router,
        activity.router,
        approvals.router,
        undo.router,
        policies.router,
        prompts.router,
        users.router,
        audit.router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    app.include_router(users.auth_router)
    app.include_router(webhook_router)
    return app
