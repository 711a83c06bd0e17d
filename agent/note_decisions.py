"""Approving from the PSA: a technician's note on a waiting ticket that begins ``approve`` or
``deny <reason>`` decides the ticket's pending approval requests, as the API would.

Only notes written by a PSA member mapped to an active Deskhand technician or admin count; anyone else's
attempt is recorded in the audit trail and changes nothing. Either way the update that carried the note does
not start another agent run on the paused ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import activity_store as store
from agent.approval_tables import Approval
from agent.approvals import ApprovalStatus, decide
from agent.runtime import get_runtime
from agent.tables import Run, TicketEvent
from core.audit import Actor, record_audit
from core.domain import Note, Ticket
from core.errors import DeskhandError
from core.users import Role, find_user_for_psa_member

DECISION_NOTE = re.compile(r"^\s*(approve|approved|deny|denied)\b[\s:,.-]*(.*)$", re.IGNORECASE | re.DOTALL)
DECIDING_ROLES = (Role.TECHNICIAN, Role.ADMIN)


@dataclass(frozen=True)
class NoteDecision:
    handled: bool  # the note was a decision attempt: this run ends here
    outcome: str
    resume: tuple[tuple[int, int], ...] = ()  # (run, round) pauses now fully decided


def decision_in(note: Note) -> tuple[bool, str] | None:
    """(approve?, the rest of the text) when the note begins with a decision word."""
    match = DECISION_NOTE.match(note.text)
    if match is None:
        return None
    return match.group(1).lower().startswith("approve"), match.group(2).strip()


def _newest_decision_note(ticket: Ticket, since: datetime) -> Note | None:
    for note in reversed(ticket.notes):
        if note.created_at is not None and note.created_at < since:
            return None  # older than the pause: it cannot be about these requests
        if decision_in(note) is not None:
            return note
    return None


async def apply_note_decisions(run_id: int, ticket: Ticket) -> NoteDecision:
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        run = await session.get(Run, run_id)
        assert run is not None
        pending = list(
            await session.scalars(
                select(Approval)
                .join(Run, Run.id == Approval.run_id)
                .where(
                    Run.integration_id == run.integration_id,
                    Run.ticket_external_id == run.ticket_external_id,
                    Approval.status == ApprovalStatus.PENDING.value,
                )
                .order_by(Approval.id)
            )
        )
        if not pending:
            return NoteDecision(handled=False, outcome="")
        note = _newest_decision_note(ticket, since=min(row.created_at for row in pending))
        if note is None:
            return NoteDecision(handled=False, outcome="")
        approve, rest = decision_in(note) or (False, "")
        member = (note.author or "").strip()
        user = (
            await find_user_for_psa_member(session, integration_id=run.integration_id, member_id=member)
            if member
            else None
        )
        ids = ", ".join(f"#{row.id}" for row in pending)
        if user is None or Role(user.role) not in DECIDING_ROLES:
            why = "not mapped to a Deskhand user" if user is None else f"a {user.role}, who cannot approve"
            await record_audit(
                session,
                Actor(user_id=user.id if user else None, name=f"PSA member {member or 'unknown'}"),
                "approval.psa_note_refused",
                "ticket",
                run.ticket_external_id,
                {"member": member, "why": why, "approvals": [row.id for row in pending]},
            )
            outcome = (
                f"a PSA note tried to decide approval {ids}, but its author {member or '(unknown)'} is {why}"
            )
            await _end_run(session, run, outcome)
            return NoteDecision(handled=True, outcome=outcome)
        approver = Actor(user_id=user.id, name=user.display_name)
        reason = rest or ("approved in the PSA" if approve else "denied in the PSA without a reason")
        completed: set[tuple[int, int]] = set()
        decided = []
        for row in pending:
            try:
                result = await decide(
                    session,
                    row.id,
                    approve=approve,
                    approver=approver,
                    actions=runtime.actions,
                    reason=reason,
                    via="psa_note",
                    two_person_destructive=runtime.settings.approval_two_person_destructive,
                )
            except DeskhandError as exc:
                decided.append(f"#{row.id} not decided: {exc.detail}")
                continue
            decided.append(f"#{row.id} {result.approval.status}")
            await record_audit(
                session,
                approver,
                "approval.approve" if approve else "approval.deny",
                "approval",
                row.id,
                {"via": "psa_note", "tool": row.tool_name, "run_id": row.run_id, "reason": reason},
            )
            if result.round_complete:
                completed.add((row.run_id, row.round))
        outcome = f"approval decision from a PSA note by {user.display_name}: {', '.join(decided)}"
        await _end_run(session, run, outcome)
    return NoteDecision(handled=True, outcome=outcome, resume=tuple(sorted(completed)))


async def _end_run(session: AsyncSession, run: Run, reason: str) -> None:
    """This update was a decision, not work: the event is recorded as suppressed with why; no run remains."""
    event = await session.get(TicketEvent, run.event_id)
    assert event is not None
    await store.set_event_status(session, event, "suppressed", reason[:2000])
    await session.delete(run)
