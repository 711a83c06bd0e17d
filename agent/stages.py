"""The pipeline's stages. Each runs inside one DBOS step; outputs are plain picklable values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic_ai import DeferredToolRequests
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter
from pydantic_ai.usage import RunUsage
from sqlalchemy import select

from agent import activity_store as store
from agent.approvals import open_requests
from agent.deps import AgentDeps
from agent.past_tickets import ClientPastTickets
from agent.policy import PolicySet, load_policies
from agent.run_limits import LIMITED, LimitHit, budget_hit
from agent.runtime import get_runtime
from agent.tables import MatchDecision, NotePosted, Run, TicketEvent, ToolCall
from agent.tenant import available_actions, directory_for, tenant_health
from agent.time_entries import with_time_entry
from agent.tools import masked_args
from connectors.base import Action, PsaConnector
from core.clients import info_of, resolve_client
from core.clock import system_clock
from core.domain import AgentMode, ClientInfo, Ticket
from core.errors import NotFoundError
from core.integration_store import load_integration
from core.llm_cost import conversation_cost
from core.tables import Client
from workflows.matcher import MATCHER_DESCRIPTION_CHARS, Candidate, latest_reply, match_workflows
from workflows.plan import MatchedWorkflow, PlannedStep, merge_plan, render_plan
from workflows.scope import resolve_scope
from workflows.service import candidate_workflows
from workflows.shortlist import SHORTLIST_SIZE, shortlist
from workflows.tables import Workflow

NOTE_HEADER = "[Deskhand]"


@dataclass(frozen=True)
class Admission:
    run_id: int | None
    outcome: str


@dataclass(frozen=True)
class Loaded:
    ticket: Ticket | None
    client: ClientInfo | None
    suppressed_reason: str | None = None


async def _psa_for(integration_id: int) -> PsaConnector:
    runtime = get_runtime()
    async with runtime.db.session() as session:
        record = await load_integration(session, integration_id, box=runtime.box)
    return runtime.connectors.psa(record.kind, record.config)


async def admit(event_id: int, *, attempt: int, manual: bool) -> Admission:
    """Echo and budget checks that need no PSA call; otherwise open the run."""
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        event = await session.get(TicketEvent, event_id)
        if event is None:
            raise NotFoundError(f"ticket event {event_id} does not exist")
        # Counted before any check: a retry must get a new workflow id even if this attempt is suppressed.
        event.attempts = max(event.attempts, attempt)
        record = await load_integration(session, event.integration_id, box=runtime.box)
        own = runtime.connectors.own_identity(record.kind, record.config)
        if not manual and own and event.actor and event.actor.casefold() == own.casefold():
            await store.set_event_status(
                session, event, "suppressed", f"caused by Deskhand's own PSA identity ({own})"
            )
            return Admission(run_id=None, outcome="suppressed")
        ticket_id = event.ticket_external_id or ""
        if not manual:
            used = await store.runs_in_window(
                session,
                integration_id=event.integration_id,
                ticket_external_id=ticket_id,
                hours=runtime.settings.run_budget_window_hours,
                exclude_event_id=event.id,
            )
            if used >= runtime.settings.run_budget_per_ticket:
                await store.set_event_status(
                    session,
                    event,
                    "suppressed",
                    f"run budget reached: {used} runs on this ticket in the last "
                    f"{runtime.settings.run_budget_window_hours} h "
                    f"(limit {runtime.settings.run_budget_per_ticket})",
                )
                return Admission(run_id=None, outcome="suppressed")
        run = await store.get_or_create_run(
            session, event=event, attempt=attempt, manual=manual, ticket_external_id=ticket_id
        )
        run.model = runtime.settings.llm_model
        await store.set_event_status(session, event, "processing", None)
        return Admission(run_id=run.id, outcome="admitted")


async def load_ticket(run_id: int) -> Loaded:
    """Load the ticket, resolve its client, and drop the run if nothing changed but our own notes."""
    runtime = get_runtime()
    async with runtime.db.session() as session:
        run = await _run(session, run_id)
        event = await session.get(TicketEvent, run.event_id)
        assert event is not None
        mine = await store.our_note_ids(
            session, integration_id=run.integration_id, ticket_external_id=run.ticket_external_id
        )
        previous = await store.last_fingerprint(
            session,
            integration_id=run.integration_id,
            ticket_external_id=run.ticket_external_id,
            exclude_event_id=event.id,
        )
    psa = await _psa_for(run.integration_id)
    ticket = await psa.get_ticket(run.ticket_external_id)
    fingerprint = ticket.fingerprint(ignore_notes_by=psa.own_identity, ignore_note_ids=mine)
    async with runtime.db.write_session() as session:
        run = await _run(session, run_id)
        event = await session.get(TicketEvent, run.event_id)
        assert event is not None
        if not run.manual and previous is not None and previous == fingerprint:
            reason = "nothing changed on the ticket since Deskhand's last run except Deskhand's own notes"
            await store.set_event_status(session, event, "suppressed", reason)
            await session.delete(run)
            return Loaded(ticket=None, client=None, suppressed_reason=reason)
        client = await resolve_client(
            session,
            integration_id=run.integration_id,
            company=ticket.company,
            new_mode=AgentMode(runtime.settings.new_client_mode),
        )
        run.client_id = client.id
        run.ticket_number = ticket.number
        run.ticket_summary = ticket.summary[:500]
        run.ticket_snapshot = ticket_snapshot(ticket)
        run.ticket_fingerprint = fingerprint
    return Loaded(ticket=ticket, client=client)


def ticket_snapshot(ticket: Ticket) -> dict[str, Any]:
    """The fields the matcher's prompt reads (``workflows.matcher.ticket_for_prompt``)."""
    return {
        "board": ticket.board,
        "status": ticket.status,
        "priority": ticket.priority,
        "description": ticket.description[:MATCHER_DESCRIPTION_CHARS],
    }


async def match(run_id: int, ticket: Ticket, client: ClientInfo) -> list[MatchedWorkflow]:
    runtime = get_runtime()
    assert runtime.model is not None
    async with runtime.db.session() as session:
        scope = resolve_scope(
            list(await candidate_workflows(session, client_id=client.id)), client_id=client.id
        )
    considered: list[Workflow] = list(scope.effective)
    cut: list[Workflow] = []
    if runtime.embedder is not None and len(considered) > SHORTLIST_SIZE:
        text = f"{ticket.summary}\n{ticket.description[:1500]}\n{latest_reply(ticket) or ''}"
        vector = (await runtime.embedder.embed([text]))[0]
        considered, cut = shortlist(
            considered, ticket_text=text, ticket_vector=vector, embedder_name=runtime.embedder.model_name
        )
    candidates = [Candidate(id=w.id, title=w.title, trigger=w.trigger) for w in considered]
    result = await match_workflows(runtime.model, ticket, candidates)
    by_id = {w.id: w for w in scope.effective}
    decisions = [
        MatchDecision(
            run_id=run_id,
            workflow_id=v.workflow_id,
            workflow_title=by_id[v.workflow_id].title,
            outcome="matched" if v.matched else "not_matched",
            reason=v.reason,
        )
        for v in result.verdicts
    ]
    decisions += [
        MatchDecision(
            run_id=run_id,
            workflow_id=shared.id,
            workflow_title=shared.title,
            outcome="overridden",
            reason=f"replaced for this client by its own workflow '{own.title}' (#{own.id})",
            overridden_by=own.id,
        )
        for shared, own in scope.overridden
    ]
    decisions += [
        MatchDecision(
            run_id=run_id,
            workflow_id=row.id,
            workflow_title=row.title,
            outcome="not_shortlisted",
            reason=f"its trigger is not among the {SHORTLIST_SIZE} closest to this ticket, so the model "
            "did not read it",
        )
        for row in cut
    ]
    async with runtime.db.write_session() as session:
        await store.replace_decisions(session, run_id=run_id, decisions=decisions)
        if result.usage is not None:
            store.add_usage(
                await _run(session, run_id),
                requests=result.usage.requests,
                input_tokens=result.usage.input_tokens,
                output_tokens=result.usage.output_tokens,
                cost_usd=result.cost_usd,
            )
    return [
        MatchedWorkflow(
            id=v.workflow_id, title=by_id[v.workflow_id].title, instructions=by_id[v.workflow_id].instructions
        )
        for v in result.verdicts
        if v.matched
    ]


async def plan(run_id: int, matched: Sequence[MatchedWorkflow]) -> list[PlannedStep]:
    steps = merge_plan(matched)
    async with get_runtime().db.write_session() as session:
        await store.replace_plan(session, run_id=run_id, steps=steps)
    return steps


def plan_note_text(ticket: Ticket, matched: Sequence[MatchedWorkflow], steps: Sequence[PlannedStep]) -> str:
    if not matched:
        return (
            f"{NOTE_HEADER} No workflow matched ticket #{ticket.number}; working it as a first-line "
            "technician would (read, summarise, change nothing uncertain)."
        )
    names = ", ".join(w.title for w in matched)
    return f"{NOTE_HEADER} Plan for ticket #{ticket.number} (workflows: {names})\n{render_plan(steps)}"


async def post_note(run_id: int, *, ticket: Ticket, text: str, purpose: str) -> None:
    runtime = get_runtime()
    async with runtime.db.session() as session:
        run = await _run(session, run_id)
        already = await session.scalar(
            select(NotePosted.id).where(NotePosted.run_id == run_id, NotePosted.purpose == purpose)
        )
        integration_id = run.integration_id
    if already is not None:
        return
    psa = await _psa_for(integration_id)
    note = await psa.add_note(ticket.external_id, text, internal=True)
    async with runtime.db.write_session() as session:
        session.add(
            NotePosted(
                run_id=run_id,
                integration_id=integration_id,
                ticket_external_id=ticket.external_id,
                note_external_id=note.external_id,
                purpose=purpose,
                text=text,
            )
        )


async def policies_for(client_id: int) -> PolicySet:
    async with get_runtime().db.session() as session:
        return await load_policies(session, client_id=client_id)


async def agent_deps(run_id: int, *, ticket: Ticket, client: ClientInfo, policies: PolicySet) -> AgentDeps:
    runtime = get_runtime()
    async with runtime.db.session() as session:
        run = await _run(session, run_id)
        integration_id = run.integration_id
    directory = await directory_for(client)
    health = await tenant_health(directory) if directory is not None else None
    return AgentDeps(
        run_id=run_id,
        integration_id=integration_id,
        client=client,
        ticket=ticket,
        psa=await _psa_for(integration_id),
        actions=offered_in_mode(
            available_actions(runtime.actions, directory=directory, health=health), client.agent_mode
        ),
        policies=policies,
        directory=directory,
        past_tickets=ClientPastTickets(runtime.ticket_index, runtime.embedder, client_id=client.id)
        if runtime.ticket_index is not None and runtime.embedder is not None
        else None,
    )


def limited_result(hit: LimitHit, usage: RunUsage | None, messages: Sequence[ModelMessage]) -> dict[str, Any]:
    return {
        "text": hit.outcome(),
        "pending": [],
        "messages_json": None,
        "limited": hit.limit,
        "requests": usage.requests if usage else 0,
        "input_tokens": usage.input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "cost_usd": conversation_cost(messages),
    }


async def check_budget(run_id: int, client: ClientInfo) -> LimitHit | None:
    """The client's monthly model budget, checked before any model call of the run."""
    async with get_runtime().db.session() as session:
        hit = await budget_hit(
            session,
            client_id=client.id,
            client_name=client.name,
            budget_usd=client.monthly_budget_usd,
            now=system_clock(),
            exclude_run_id=run_id,
        )
    return hit


def offered_in_mode(actions: dict[str, Action], mode: AgentMode) -> dict[str, Action]:
    """Plan mode offers read tools only: the model can look, and its answer becomes the plan note."""
    if mode is AgentMode.EXECUTE:
        return actions
    return {name: action for name, action in actions.items() if not action.writes}


def summarise_agent_result(output: Any, usage: RunUsage, messages: Sequence[ModelMessage]) -> dict[str, Any]:
    pending: list[dict[str, Any]] = []
    text = output if isinstance(output, str) else ""
    if isinstance(output, DeferredToolRequests):
        pending = [
            {"tool_call_id": c.tool_call_id, "tool_name": c.tool_name, "args": c.args_as_dict()}
            for c in output.approvals
        ]
        text = "Waiting for a technician to approve: " + ", ".join(p["tool_name"] for p in pending)
    return {
        "text": text,
        "pending": pending,
        # The history a resume continues from; only kept when the run pauses.
        "messages_json": ModelMessagesTypeAdapter.dump_json(list(messages)).decode() if pending else None,
        "requests": usage.requests,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": conversation_cost(messages),
    }


async def finish(run_id: int, ticket: Ticket, result: dict[str, Any], *, plan_text: str) -> None:
    """One internal note with the plan and the outcome: a triage-only run then costs one note write
    (the plan alone is in Activity from the start)."""
    runtime = get_runtime()
    # A workflow with log_time: the time entry is logged now, or waits for approval in this pause.
    result = await with_time_entry(run_id, ticket, result, psa_for=_psa_for)
    outcome = result["text"] or "(no summary)"
    if result["pending"]:
        outcome = await open_approvals(run_id, ticket, result)
        if result.get("done_text"):  # what the run did before pausing for the time entry's approval
            outcome = f"{result['done_text']}\n\n{outcome}"
    note = f"{plan_text}\n\nOutcome:\n{outcome}"
    await post_note(run_id, ticket=ticket, text=note, purpose="summary")
    async with runtime.db.write_session() as session:
        run = await _run(session, run_id)
        await close_run(session, run, result, outcome=result["text"])
        run.ticket_fingerprint = await _fingerprint_after_our_writes(session, run_id, ticket)


async def close_run(session: Any, run: Run, result: dict[str, Any], *, outcome: str) -> str:
    """Record how the agent's turn ended (usage, outcome, calls now waiting) and the run's status:
    waiting_approval, limited or succeeded. Shared by a run's first turn and each resume."""
    runtime = get_runtime()
    for call in result["pending"]:
        action = next((a for a in runtime.actions if a.name == call["tool_name"]), None)
        await store.record_tool_call(
            session,
            run_id=run.id,
            tool_call_id=call["tool_call_id"],
            tool_name=call["tool_name"],
            risk=action.risk.value if action else "write",
            args=_shown_args(runtime.actions, call["tool_name"], call["args"]),
            status="awaiting_approval",
            result=None,
            duration_ms=None,
        )
    store.add_usage(
        run,
        requests=result["requests"],
        input_tokens=result["input_tokens"],
        output_tokens=result["output_tokens"],
        cost_usd=result["cost_usd"],
    )
    status = LIMITED if result.get("limited") else "waiting_approval" if result["pending"] else "succeeded"
    run.outcome = outcome
    run.pending_approvals = [
        {**call, "args": _shown_args(runtime.actions, call["tool_name"], call["args"])}
        for call in result["pending"]
    ] or None
    run.status = status
    run.finished_at = system_clock()
    event = await session.get(TicketEvent, run.event_id)
    assert event is not None
    await store.set_event_status(session, event, status, None)
    return status


async def open_approvals(run_id: int, ticket: Ticket, result: dict[str, Any]) -> str:
    """Record the approval requests of a pause; the ticket note's text saying what waits and where."""
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        run = await _run(session, run_id)
        client = await client_info(session, run.client_id)
        requests = await open_requests(
            session,
            run=run,
            pending=result["pending"],
            messages_json=result["messages_json"],
            ticket=ticket,
            client=client,
            actions=runtime.actions,
            box=runtime.box,
            ttl=timedelta(minutes=runtime.settings.approval_ttl_minutes),
        )
        lines = [f"- {row.card['summary']} (approval #{row.id})" for row in requests]
    hours = runtime.settings.approval_ttl_minutes / 60
    return (
        "Waiting for a technician's approval before going on:\n" + "\n".join(lines) + "\n"
        f"Approve or deny in Deskhand: {runtime.settings.public_url.rstrip('/')}/activity/runs/{run_id} "
        f"(requests expire after {hours:g} h and then count as denied)."
    )


async def client_info(session: Any, client_id: int | None) -> ClientInfo:
    client = await session.get(Client, client_id) if client_id is not None else None
    if client is None:
        raise NotFoundError(f"client {client_id} does not exist")
    return info_of(client)


def _shown_args(actions: Sequence[Action], tool_name: str, args: dict[str, Any]) -> dict[str, Any]:
    action = next((a for a in actions if a.name == tool_name), None)
    return masked_args(action.input_model, args) if action else args


async def _fingerprint_after_our_writes(session: Any, run_id: int, ticket: Ticket) -> str:
    """The ticket as our own successful writes left it, so their echo is not mistaken for a change."""
    calls = await session.scalars(select(ToolCall).where(ToolCall.run_id == run_id, ToolCall.status == "ok"))
    changes: dict[str, Any] = {}
    for call in calls:
        after = (call.result or {}).get("after") or {}
        changes.update({k: v for k, v in after.items() if k in Ticket.model_fields})
    runtime = get_runtime()
    run = await _run(session, run_id)
    mine = await store.our_note_ids(
        session, integration_id=run.integration_id, ticket_external_id=run.ticket_external_id
    )
    record = await load_integration(session, run.integration_id, box=runtime.box)
    identity = runtime.connectors.own_identity(record.kind, record.config)
    return ticket.model_copy(update=changes).fingerprint(ignore_notes_by=identity, ignore_note_ids=mine)


async def fail(run_id: int, reason: str) -> None:
    async with get_runtime().db.write_session() as session:
        run = await _run(session, run_id)
        run.status = "failed"
        run.error = reason
        run.finished_at = system_clock()
        event = await session.get(TicketEvent, run.event_id)
        assert event is not None
        await store.set_event_status(session, event, "failed", reason)


async def _run(session: Any, run_id: int) -> Run:
    run = await session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} does not exist")
    assert isinstance(run, Run)
    return run
