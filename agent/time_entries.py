"""Time entries for workflows with ``log_time``: the agent's work logged on the ticket.

When a run that matched such a workflow ends its first round (``stages.finish``), Deskhand logs one time
entry through the real ``log_time`` action and its policy:

- duration: the run's own time (started -> the end of its first round), rounded up to the quarter hour
  (the 15-minute increment MSPs usually bill in), at least 0.25 h; the entry ends when it is logged;
- work type, billable and member: the client's settings (``Client.time_*``);
- internal notes: one line per tool call that ran ok, under a line naming the run and its workflows.

Policy auto: logged at once and recorded in Activity like any tool call. Policy approval (the default for
writes): a pending approval with its own card, in the same pause as the run's other gated calls if it
paused, otherwise the run pauses for it alone; once approved, the resumed run logs it through the agent's
tool (so it runs once, checkpointed, and Activity records it). Disabled: nothing, and the note says so.
Plan mode, limited and failed runs log no time, and neither does a run where the model already called
``log_time`` itself.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from sqlalchemy import select

from agent.deps import AgentDeps
from agent.policy import PolicySet, ToolMode, load_policies
from agent.runtime import get_runtime
from agent.tables import MatchDecision, Run, ToolCall
from agent.tools import execute_action
from connectors.base import Action, PsaConnector
from connectors.ticket_field_actions import MAX_HOURS_PER_ENTRY, TimeInput
from core.clients import info_of
from core.clock import system_clock
from core.domain import AgentMode, Ticket
from core.tables import Client
from workflows.tables import Workflow

LOG_TIME = "log_time"
BILLING_INCREMENT_HOURS = 0.25
CALL_ID_PREFIX = "deskhand_time_entry_"
MAX_NOTE_LINE = 200
MAX_NOTES = 4000  # TimeInput.notes
WAITING_PREFIX = "Waiting for a technician to approve: "

PsaFor = Callable[[int], Awaitable[PsaConnector]]


def call_id_for(run_id: int) -> str:
    return f"{CALL_ID_PREFIX}{run_id}"


def billed_hours(started: datetime, ended: datetime) -> float:
    """The run's duration rounded up to the quarter hour; at least one quarter, at most one entry's cap."""
    seconds = max((ended - started).total_seconds(), 0.0)
    quarters = max(1, math.ceil(seconds / (BILLING_INCREMENT_HOURS * 3600) - 1e-9))
    return min(quarters * BILLING_INCREMENT_HOURS, MAX_HOURS_PER_ENTRY)


@dataclass(frozen=True)
class _Due:
    """A time entry this run owes, with what it needs to be logged."""

    action: Action
    client: Client
    policies: PolicySet
    workflows: list[str]
    done: list[str]
    integration_id: int
    started_at: datetime
    previous: ToolCall | None  # our own call, recorded by an earlier attempt of the same finish step


async def _due(run_id: int, action: Action, result: dict[str, Any]) -> _Due | None:
    async with get_runtime().db.session() as session:
        run = await session.get(Run, run_id)
        client = await session.get(Client, run.client_id) if run and run.client_id is not None else None
        if run is None or client is None or client.agent_mode != AgentMode.EXECUTE.value:
            return None  # Plan mode writes nothing but its note
        workflows = list(
            await session.scalars(
                select(Workflow.title)
                .join(MatchDecision, MatchDecision.workflow_id == Workflow.id)
                .where(
                    MatchDecision.run_id == run_id,
                    MatchDecision.outcome == "matched",
                    Workflow.log_time.is_(True),
                )
                .order_by(MatchDecision.id)
            )
        )
        if not workflows:
            return None
        calls = list(
            await session.scalars(select(ToolCall).where(ToolCall.run_id == run_id).order_by(ToolCall.id))
        )
        mine = call_id_for(run_id)
        by_model = [c for c in calls if c.tool_name == LOG_TIME and c.tool_call_id != mine]
        if any(c.status in ("ok", "awaiting_approval") for c in by_model) or any(
            p["tool_name"] == LOG_TIME for p in result["pending"]
        ):
            return None  # the model logged (or asked to log) time itself
        return _Due(
            action=action,
            client=client,
            policies=await load_policies(session, client_id=client.id),
            workflows=workflows,
            done=[_line(c) for c in calls if c.status == "ok" and c.tool_call_id != mine],
            integration_id=run.integration_id,
            started_at=run.started_at,
            previous=next((c for c in calls if c.tool_call_id == mine), None),
        )


def _line(call: ToolCall) -> str:
    summary = " ".join(str((call.result or {}).get("summary") or "done").split())
    return f"- {call.tool_name}: {summary}"[:MAX_NOTE_LINE]


def time_notes(
    *,
    ticket: Ticket,
    run_id: int,
    started: datetime,
    ended: datetime,
    workflows: Sequence[str],
    done: Sequence[str],
) -> str:
    header = (
        f"Deskhand worked ticket #{ticket.number} (run #{run_id}, {started:%Y-%m-%d %H:%M} to "
        f"{ended:%H:%M} UTC; workflow: {', '.join(workflows)})."
    )
    lines = list(done) or ["- Read the ticket and left an internal note with the diagnosis and outcome."]
    return "\n".join([header, *lines])[:MAX_NOTES]


def time_args(due: _Due, *, ticket: Ticket, run_id: int, now: datetime) -> dict[str, Any]:
    started = due.started_at
    entry = TimeInput(
        hours=billed_hours(started, now),
        work_type=due.client.time_work_type,
        billable=due.client.time_billable,
        member=due.client.time_member,
        notes=time_notes(
            ticket=ticket, run_id=run_id, started=started, ended=now, workflows=due.workflows, done=due.done
        ),
    )
    return entry.model_dump(mode="json", exclude_none=True)


async def with_time_entry(
    run_id: int, ticket: Ticket, result: dict[str, Any], *, psa_for: PsaFor
) -> dict[str, Any]:
    """``result`` (an agent round's summary) with the run's time entry logged or added to its pause."""
    if result.get("limited"):
        return result
    action = next((a for a in get_runtime().actions if a.name == LOG_TIME), None)
    due = await _due(run_id, action, result) if action is not None else None
    if due is None:
        return result
    mode = due.policies.mode_for(due.action)
    if mode is ToolMode.DISABLED:
        return _said(result, "No time entry was logged: log_time is disabled by policy for this client.")
    previous = due.previous
    if previous is not None and previous.status != "awaiting_approval":  # logged by an earlier attempt
        return _said(result, f"Time entry: {(previous.result or {}).get('summary') or previous.status}")
    if previous is not None:
        args = dict(previous.args)
    else:
        args = time_args(due, ticket=ticket, run_id=run_id, now=system_clock())
    if mode is ToolMode.AUTO and previous is None:
        deps = AgentDeps(
            run_id=run_id,
            integration_id=due.integration_id,
            client=info_of(due.client),
            ticket=ticket,
            psa=await psa_for(due.integration_id),
            actions={},
            policies=due.policies,
        )
        logged = await execute_action(deps, due.action, call_id_for(run_id), TimeInput.model_validate(args))
        return _said(result, f"Time entry: {logged['summary']}")
    reason = (
        f"Workflow {', '.join(repr(w) for w in due.workflows)} asks for the work on this ticket to be logged "
        f"as a time entry: {args.get('hours')} h (the run's own time, rounded up to the quarter hour)."
    )
    return _pending(result, ticket=ticket, call_id=call_id_for(run_id), args=args, reason=reason)


def _said(result: dict[str, Any], line: str) -> dict[str, Any]:
    if result["pending"]:  # the note's outcome is the approval text: the line goes before it
        done = result.get("done_text")
        return {**result, "done_text": f"{done}\n\n{line}" if done else line}
    text = result["text"]
    return {**result, "text": f"{text}\n\n{line}" if text else line}


def _pending(
    result: dict[str, Any], *, ticket: Ticket, call_id: str, args: dict[str, Any], reason: str
) -> dict[str, Any]:
    """The log_time call as a deferred tool call the resume can approve like any other."""
    call = ToolCallPart(LOG_TIME, args, tool_call_id=call_id)
    messages: list[ModelMessage]
    if result["pending"] and result.get("messages_json"):
        # Same pause: the call joins the model's gated calls in their response, so the resume decides
        # them together and the agent runs each approved one once.
        messages = list(ModelMessagesTypeAdapter.validate_json(result["messages_json"]))
        last = max(i for i, m in enumerate(messages) if isinstance(m, ModelResponse))
        response = messages[last]
        assert isinstance(response, ModelResponse)
        messages[last] = dataclasses.replace(response, parts=[*response.parts, call])
        extra: dict[str, Any] = {}
    else:
        # The run finished: a short history whose last word is this call, so the resume (after approval)
        # runs the tool and lets the model say what was logged.
        prompt = (
            f"Deskhand finished working ticket #{ticket.number}. Its workflow asks for the work to be logged "
            "as a time entry on the ticket. Once that is done, reply with one line saying what was logged."
        )
        messages = [
            ModelRequest(parts=[UserPromptPart(prompt)]),
            ModelResponse(parts=[TextPart(reason), call]),
        ]
        extra = {"done_text": result["text"]}
    pending = [*result["pending"], {"tool_call_id": call_id, "tool_name": LOG_TIME, "args": args}]
    return {
        **result,
        **extra,
        "pending": pending,
        "text": WAITING_PREFIX + ", ".join(p["tool_name"] for p in pending),
        "messages_json": ModelMessagesTypeAdapter.dump_json(messages).decode(),
    }


__all__ = ["BILLING_INCREMENT_HOURS", "billed_hours", "call_id_for", "time_notes", "with_time_entry"]
