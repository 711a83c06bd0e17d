"""The durable ticket run: admit -> load -> match -> plan -> agent -> one note with plan and outcome.

Each stage that touches the PSA, the model or the database is a DBOS step, so a crashed worker resumes
where it stopped and never repeats a finished tool call. Workflow id = ticket-event-{event}-{attempt}.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dbos import DBOS, SetWorkflowID
from dbos._error import DBOSMaxStepRetriesExceeded  # not re-exported by dbos 3.4
from pydantic_ai import capture_run_messages
from pydantic_ai.exceptions import UsageLimitExceeded
from pydantic_ai.messages import ModelMessagesTypeAdapter
from pydantic_ai.usage import RunUsage

from agent import stages
from agent.note_decisions import apply_note_decisions
from agent.past_tickets import index_closed_ticket
from agent.policy import PolicySet
from agent.prompt_layers import run_instructions
from agent.prompts import ticket_prompt
from agent.run_limits import LIMITED, usage_limit_hit, usage_limits, wall_time_hit
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
        decision = await DBOS.run_step_async(
            {"name": "deskhand.note_decisions"}, apply_note_decisions, run_id, ticket
        )
        if decision.handled:
            from agent.resume import enqueue_resume  # resume builds on this module

            for paused_run, round_number in decision.resume:
                await enqueue_resume(paused_run, round_number)
            return "suppressed"
        over_budget = await DBOS.run_step_async(
            {"name": "deskhand.budget"}, stages.check_budget, run_id, client
        )
        if over_budget is not None:
            await DBOS.run_step_async(
                retrying_step("deskhand.finish", transient=_psa_transient),
                stages.finish,
                run_id,
                ticket,
                stages.limited_result(over_budget, None, []),
                plan_text=f"{stages.NOTE_HEADER} Ticket #{ticket.number} was not worked by Deskhand.",
            )
            return LIMITED
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
        if result.get("limited"):
            return LIMITED
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
    return await run_within_limits(
        runtime.ticket_agent,
        runtime.settings,
        ticket_prompt(ticket=ticket, client=client, plan=plan),
        deps=deps,
    )


async def run_within_limits(
    agent: Any, settings: Any, prompt: str | None, *, deps: Any, **run_args: Any
) -> dict[str, Any]:
    """The agent run as a result dict; a limit (requests, tool calls, wall time) ends it cleanly.

    The MSP's and the client's prompt layers are read for every run and resume (instructions are not in
    the saved history) and passed as run-time instructions, after the agent's base instructions."""
    if "instructions" not in run_args:
        run_args["instructions"] = await DBOS.run_step_async(
            {"name": "deskhand.prompt_layers"}, run_instructions, deps.client.id
        )
    usage = RunUsage()
    history = len(run_args.get("message_history") or ())
    with capture_run_messages() as messages:
        try:
            result = await asyncio.wait_for(
                agent.run(prompt, deps=deps, usage_limits=usage_limits(settings), usage=usage, **run_args),
                timeout=settings.agent_max_run_seconds,
            )
        except UsageLimitExceeded as exc:
            return stages.limited_result(usage_limit_hit(exc, settings), usage, messages[history:])
        except TimeoutError:
            return stages.limited_result(wall_time_hit(settings), usage, messages[history:])
    # Cost of this run's own responses only: a resumed run's history was paid for before the pause.
    summary = stages.summarise_agent_result(result.output, result.usage, result.new_messages())
    if summary["pending"]:
        summary["messages_json"] = ModelMessagesTypeAdapter.dump_json(result.all_messages()).decode()
    return summary


__all__ = ["TICKET_QUEUE", "enqueue_ticket_run", "ticket_run_workflow"]
