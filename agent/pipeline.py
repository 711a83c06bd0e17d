"""The durable ticket run: admit -> load -> match -> plan -> agent -> one note with plan and outcome.

Each stage that touches the PSA, the model or the database is a DBOS step, so a crashed worker resumes
where it stopped and never repeats a finished tool call. Workflow id = ticket-event-{event}-{attempt}.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetWorkflowID
from dbos._error import DBOSMaxStepRetriesExceeded  # not re-exported by dbos 3.4
from pydantic_ai.usage import UsageLimits

from agent import stages
from agent.past_tickets import index_closed_ticket
from agent.policy import PolicySet
from agent.prompts import ticket_prompt
from agent.runtime import get_runtime
from agent.ticket_agent import is_transient_model_error
from core.domain import ClientInfo, Ticket
from core.errors import IntegrationError, LLMNotConfigured
from workflows.plan import PlannedStep

TICKET_QUEUE = "deskhand_ticket_runs"


def workflow_id_for(event_id: int, attempt: int) -> str:
    return f"ticket-event-{event_id}-{attempt}"


async def enqueue_ticket_run(event_id: int, *, attempt: int = 1, manual: bool = False) -> str:
    workflow_id = workflow_id_for(event_id, attempt)
    queue = await DBOS.retrieve_queue_async(TICKET_QUEUE)
    if queue is None:
        raise RuntimeError("the ticket queue is not registered; DBOS has not been launched")
    with SetWorkflowID(workflow_id):
        await queue.enqueue_async(ticket_run_workflow, event_id, attempt, manual)
    return workflow_id


def retrying_step(name: str, *, transient: Any) -> Any:
    settings = get_runtime().settings
    return {
        "name": name,
        "retries_allowed": True,
        "max_attempts": settings.step_max_attempts,
        "interval_seconds": settings.step_retry_interval_seconds,
        "backoff_rate": 2.0,
        "should_retry": transient,
    }


def _psa_transient(exc: BaseException) -> bool:
    return isinstance(exc, IntegrationError) and exc.retryable


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, DBOSMaxStepRetriesExceeded):
        last = exc.errors[-1] if exc.errors else None
        detail = failure_reason(last) if last is not None else "unknown error"
        return f"{detail} (gave up after {exc.max_retries} attempts)"
    detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {detail}"[:2000]


@DBOS.workflow(name="deskhand.ticket_run")
async def ticket_run_workflow(event_id: int, attempt: int, manual: bool) -> str:
    admitted = await DBOS.run_step_async(
        {"name": "deskhand.admit"}, stages.admit, event_id, attempt=attempt, manual=manual
    )
    if admitted.run_id is None:
        return admitted.outcome
    run_id = admitted.run_id
    try:
        loaded = await DBOS.run_step_async(
            retrying_step("deskhand.load_ticket", transient=_psa_transient), stages.load_ticket, run_id
        )
        if loaded.ticket is None or loaded.client is None:
            return "suppressed"
        ticket, client = loaded.ticket, loaded.client
        if ticket.closed:
            await DBOS.run_step_async(
                {"name": "deskhand.index_closed"}, index_closed_ticket, run_id, ticket, client
            )
        matched = await DBOS.run_step_async(
            retrying_step("deskhand.match", transient=is_transient_model_error),
            stages.match,
            run_id,
            ticket,
            client,
        )
        plan = await DBOS.run_step_async({"name": "deskhand.plan"}, stages.plan, run_id, matched)
        policies = await DBOS.run_step_async({"name": "deskhand.policies"}, stages.policies_for, client.id)
        result = await _run_agent(run_id, ticket=ticket, client=client, plan=plan, policies=policies)
        await DBOS.run_step_async(
            retrying_step("deskhand.finish", transient=_psa_transient),
            stages.finish,
            run_id,
            ticket,
            result,
            plan_text=stages.plan_note_text(ticket, matched, plan),
        )
        return "waiting_approval" if result["pending"] else "succeeded"
    except Exception as exc:  # every failure ends visibly in Activity, never silently
        await DBOS.run_step_async({"name": "deskhand.fail"}, stages.fail, run_id, failure_reason(exc))
        return "failed"


async def _run_agent(
    run_id: int, *, ticket: Ticket, client: ClientInfo, plan: list[PlannedStep], policies: PolicySet
) -> dict[str, Any]:
    runtime = get_runtime()
    if runtime.ticket_agent is None:
        raise LLMNotConfigured("no LLM model is configured (set DESKHAND_LLM_MODEL)")
    deps = await stages.agent_deps(run_id, ticket=ticket, client=client, policies=policies)
    result = await runtime.ticket_agent.run(
        ticket_prompt(ticket=ticket, client=client, plan=plan),
        deps=deps,
        usage_limits=UsageLimits(request_limit=runtime.settings.agent_max_model_requests),
    )
    return stages.summarise_agent_result(result.output, result.usage, result.all_messages())


__all__ = ["TICKET_QUEUE", "enqueue_ticket_run", "ticket_run_workflow"]
