"""Trigger matching: the LLM reads each candidate's trigger (never its instructions) against the ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage

from core.domain import Ticket
from core.fencing import UNTRUSTED_RULE, fence
from core.llm_cost import conversation_cost


@dataclass(frozen=True)
class Candidate:
    id: int
    title: str
    trigger: str


class WorkflowVerdict(BaseModel):
    workflow_id: int = Field(description="The id of the workflow this decision is about")
    matched: bool = Field(description="True only if the workflow's TRIGGER describes this ticket")
    reason: str = Field(description="One sentence: why it does or does not apply")


class MatcherOutput(BaseModel):
    decisions: list[WorkflowVerdict] = Field(description="Exactly one decision per workflow listed")


@dataclass(frozen=True)
class MatchResult:
    verdicts: list[WorkflowVerdict]
    usage: RunUsage | None
    cost_usd: float | None = None


MATCHER_INSTRUCTIONS = f"""You route MSP helpdesk tickets to the MSP's workflows.
Each workflow has a TRIGGER: one sentence saying which tickets it is for. Decide, for every workflow
listed, whether its trigger describes the ticket. Several may match; none may match. Judge only by
the trigger and the ticket; do not guess beyond what the ticket says. Give a short reason for each.
{UNTRUSTED_RULE}"""


MATCHER_DESCRIPTION_CHARS = 6000


REPLY_CHARS = 2000


def latest_reply(ticket: Ticket) -> str | None:
    """The newest customer-visible note: on an updated ticket it is often what the update is about."""
    visible = [note.text for note in ticket.notes if not note.internal and note.text.strip()]
    return visible[-1][:REPLY_CHARS] if visible else None


def ticket_for_prompt(ticket: Ticket) -> str:
    parts = [
        f"Ticket #{ticket.number} (status: {ticket.status or 'unknown'}, board: {ticket.board or 'unknown'}, "
        f"priority: {ticket.priority or 'unknown'})",
        "Summary:",
        fence("ticket summary", ticket.summary),
        "Description:",
        fence("ticket description", ticket.description[:MATCHER_DESCRIPTION_CHARS]),
    ]
    reply = latest_reply(ticket)
    if reply:
        parts += ["Latest reply on the ticket:", fence("ticket reply", reply)]
    return "\n".join(parts)


def build_prompt(ticket: Ticket, candidates: Sequence[Candidate]) -> str:
    listed = "\n".join(f"- workflow_id={c.id} | {c.title} | TRIGGER: {c.trigger}" for c in candidates)
    return f"{ticket_for_prompt(ticket)}\n\nWorkflows:\n{listed}\n\nReturn one decision per workflow_id."


async def match_workflows(model: Model, ticket: Ticket, candidates: Sequence[Candidate]) -> MatchResult:
    if not candidates:
        return MatchResult(verdicts=[], usage=None)
    agent = Agent(model, output_type=MatcherOutput, instructions=MATCHER_INSTRUCTIONS, retries=2)
    result = await agent.run(build_prompt(ticket, candidates))
    return MatchResult(
        verdicts=reconcile(result.output, candidates),
        usage=result.usage,
        cost_usd=conversation_cost(result.all_messages()),
    )


def reconcile(output: MatcherOutput, candidates: Sequence[Candidate]) -> list[WorkflowVerdict]:
    """One verdict per candidate, in candidate order; ids the model invented are dropped."""
    by_id: dict[int, WorkflowVerdict] = {}
    for given in output.decisions:
        by_id.setdefault(given.workflow_id, given)
    verdicts = []
    for candidate in candidates:
        verdicts.append(
            by_id.get(candidate.id)
            or WorkflowVerdict(
                workflow_id=candidate.id,
                matched=False,
                reason="The model returned no decision for this workflow, so it was treated as not matching.",
            )
        )
    return verdicts
