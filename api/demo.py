"""``deskhand demo``: the whole flow on the sandbox PSA with the configured model.

It starts the real service (API, webhooks, worker) on its own data directory, connects the sandbox
PSA, adds a few starter workflows, and delivers the sandbox's sample tickets to the real webhook
endpoint, signed like a PSA would. Nothing outside the process is touched except the LLM.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.activity import get_run_detail, list_activity
from agent.policy import ToolMode, set_policy
from agent.runtime import get_runtime
from api.app import create_app
from connectors.sandbox import TENANT_BY_COMPANY, SandboxStore, encode, signature_headers, ticket_event
from connectors.sandbox.seed import COMPANIES as SANDBOX_COMPANIES
from core.clients import create_client
from core.domain import AgentMode
from core.errors import ConflictError
from core.integration_store import create_integration, list_integrations, load_integration
from core.settings import Settings
from core.tokens import create_token
from workflows.schemas import WorkflowCreate, WorkflowStatus
from workflows.service import create_workflow
from workflows.tables import Workflow

logger = logging.getLogger("deskhand.demo")

DEMO_STORE = "demo"
DEMO_INTEGRATION = "Sandbox PSA (demo)"
FINAL = {"succeeded", "failed", "suppressed", "ignored", "waiting_approval", "waiting_llm", "limited"}
WRITE_TOOLS = (
    "m365_create_user",
    "m365_assign_license",
    "m365_add_to_group",
    "add_internal_note",
    "add_customer_note",
    "set_ticket_status",
    "assign_ticket",
    "classify_ticket",
    "log_time",
)

NO_MODEL_HELP = """No LLM is configured, and the demo needs one. Set, for example:
  OpenAI:  DESKHAND_LLM_MODEL=openai/gpt-4o-mini DESKHAND_LLM_API_KEY=sk-...
  Ollama:  DESKHAND_LLM_MODEL=ollama_chat/llama3.1 DESKHAND_LLM_API_BASE=http://localhost:11434
then run `deskhand demo` again."""


@dataclass(frozen=True)
class StarterWorkflow:
    title: str
    trigger: str
    instructions: str


STARTER_WORKFLOWS = (
    StarterWorkflow(
        "Password reset or locked account",
        "The requester cannot sign in, forgot their password, or says their account is locked.",
        "Set priority to P2 - High. Search the client's tickets for the requester's earlier sign-in problems "
        "and mention any in an internal note. Set the status to In Progress.",
    ),
    StarterWorkflow(
        "Suspected phishing",
        "The requester reports a suspicious email, link or attachment, or thinks they were phished.",
        "Set priority to P1 - Critical and type to Incident. Add an internal note listing what to check "
        "(sender, links clicked, credentials entered). Reply to the customer: do not click anything, we are "
        "looking at it.",
    ),
    StarterWorkflow(
        "New starter",
        "The ticket asks to set up a new employee (account, licence, laptop) before a start date.",
        "Set the type to Request. Create their Microsoft 365 account on the client's domain and give them "
        "the licence their colleagues have. Add an internal note with the start date, name and what is "
        "still needed (laptop). Set the status to Scheduled.",
    ),
    StarterWorkflow(
        "Printer problems",
        "A printer is offline, jammed, not printing or missing from a computer.",
        "Set priority to P3 - Medium. Reply to the customer asking for the printer's name and whether others "
        "can print. Set the status to Waiting on Client.",
    ),
)


def demo_settings(settings: Settings) -> Settings:
    """The demo keeps its own SQLite data so it never mixes sample tickets into real Activity."""
    data_dir = Path(settings.data_dir) / "demo"
    return settings.model_copy(update={"data_dir": data_dir, "database_url": None, "secret_key": None})


async def connect_sandbox_tenants(session: AsyncSession, psa_integration_id: int) -> None:
    """The sandbox Microsoft 365 directory, and each sandbox company as a client with its own tenant."""
    runtime = get_runtime()
    if not any(row.kind == "sandbox_m365" for row in await list_integrations(session)):
        config = runtime.connectors.validate_config("sandbox_m365", {"store": DEMO_STORE})
        await create_integration(
            session, box=runtime.box, kind="sandbox_m365", name="Sandbox Microsoft 365 (demo)", config=config
        )
    for company in SANDBOX_COMPANIES:
        try:
            await create_client(
                session,
                name=company.name,
                m365_tenant_id=TENANT_BY_COMPANY[company.id],
                companies=[(psa_integration_id, company.id)],
                mode=AgentMode.EXECUTE,  # the demo shows the agent acting; writes still wait for approval
            )
        except ConflictError:
            continue  # set up by an earlier demo run


async def prepare(*, auto_approve: bool) -> tuple[int, str, str]:
    """The sandbox integration (created once), starter workflows, an API token; returns id, secret, token."""
    runtime = get_runtime()
    async with runtime.db.session() as session:
        existing = [row for row in await list_integrations(session) if row.kind == "sandbox"]
        if existing:
            record = await load_integration(session, existing[0].id, box=runtime.box)
            integration_id, config = record.id, record.config
        else:
            config = runtime.connectors.validate_config("sandbox", {"store": DEMO_STORE})
            row = await create_integration(
                session, box=runtime.box, kind="sandbox", name=DEMO_INTEGRATION, config=config
            )
            integration_id = row.id
        await connect_sandbox_tenants(session, integration_id)
        titles = set((await session.scalars(select(Workflow.title))).all())
        for starter in STARTER_WORKFLOWS:
            if starter.title not in titles:
                await create_workflow(
                    session,
                    WorkflowCreate(
                        title=starter.title,
                        trigger=starter.trigger,
                        instructions=starter.instructions,
                        status=WorkflowStatus.ACTIVE,
                    ),
                    connectors=runtime.connectors,
                    embedder=runtime.embedder,
                )
        if auto_approve:
            for tool in WRITE_TOOLS:
                await set_policy(session, tool_name=tool, mode=ToolMode.AUTO, client_id=None)
        _, token = await create_token(session, name="demo")
    return integration_id, str(config["webhook_secret"]), token


async def deliver_samples(base_url: str, integration_id: int, secret: str) -> list[int]:
    store = SandboxStore.named(DEMO_STORE)
    event_ids: list[int] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for ticket_id in store.sample_ticket_ids():
            body = encode(ticket_event(store.ticket(ticket_id), "created", actor="portal"))
            headers = {"content-type": "application/json", **signature_headers(secret, body)}
            response = await http.post(f"/webhooks/sandbox/{integration_id}", content=body, headers=headers)
            response.raise_for_status()
            event_ids.append(int(response.json()["event_id"]))
    return event_ids


async def wait_and_report(
    event_ids: list[int], echo: Callable[[str], None], wait_seconds: float
) -> dict[str, int]:
    runtime = get_runtime()
    pending = set(event_ids)
    outcomes: dict[str, int] = {}
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while pending and asyncio.get_running_loop().time() < deadline:
        async with runtime.db.session() as session:
            page = await list_activity(session, limit=500)
            finished = [r for r in page.runs if r.event_id in pending and r.status in FINAL]
            details = [await get_run_detail(session, r.id) for r in finished]
        for run in details:
            pending.discard(run.event_id)
            outcomes[run.status] = outcomes.get(run.status, 0) + 1
            matched = [d.workflow_title for d in run.decisions if d.outcome == "matched"]
            tools = [call.tool_name for call in run.tool_calls]
            echo(
                f"  #{run.ticket_number} {run.ticket_summary[:50]!r}: {run.status}; "
                f"matched {', '.join(matched) or 'nothing'}; tools {', '.join(tools) or 'none'}"
                + (f"; error: {run.error}" if run.error else "")
            )
        for event in page.suppressed + page.waiting:
            if event.id in pending and event.status in FINAL:
                pending.discard(event.id)
                outcomes[event.status] = outcomes.get(event.status, 0) + 1
                echo(f"  ticket #{event.ticket_external_id}: {event.status} ({event.status_reason})")
        await asyncio.sleep(0.5)
    if pending:
        outcomes["unfinished"] = len(pending)
    return outcomes


async def run_demo(
    settings: Settings,
    *,
    host: str,
    port: int,
    auto_approve: bool,
    exit_when_done: bool,
    wait_seconds: float,
    echo: Callable[[str], None],
) -> int:
    if not settings.llm_configured:
        echo(NO_MODEL_HELP)
        return 2
    settings = demo_settings(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            return 1  # uvicorn already printed why (port in use, ...)
        await asyncio.sleep(0.05)
    bound = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://{host}:{bound}"
    integration_id, secret, token = await prepare(auto_approve=auto_approve)
    echo(f"Deskhand demo on {base_url} (data in {settings.data_dir}), model {settings.llm_model}")
    echo(f"Sandbox PSA is integration {integration_id}; sending its sample tickets through the pipeline:")
    event_ids = await deliver_samples(base_url, integration_id, secret)
    outcomes = await wait_and_report(event_ids, echo, wait_seconds)
    echo("Done: " + ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())))
    if not auto_approve and outcomes.get("waiting_approval"):
        echo("Writes wait for a technician's approval by default; `deskhand demo --auto-approve` runs them.")
    echo(f"Browse Activity: curl -H 'Authorization: Bearer {token}' {base_url}/api/v1/activity")
    if exit_when_done:
        server.should_exit = True
    else:
        echo("Serving until Ctrl-C.")
    await serving
    return 0 if "failed" not in outcomes and "unfinished" not in outcomes else 1
