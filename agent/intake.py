"""Persisting webhook deliveries. A redelivery of a known idempotency key starts nothing new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent.tables import TicketEvent
from core.clock import system_clock
from core.domain import EventAction, ParsedWebhook

WAITING_FOR_MODEL = (
    "No LLM model is configured (set DESKHAND_LLM_MODEL and restart); the ticket is recorded and will run "
    "when one is."
)


@dataclass(frozen=True)
class Intake:
    event_id: int
    status: str
    duplicate: bool

    @property
    def should_run(self) -> bool:
        """Queued events are (re)handed to the queue; the workflow id makes a repeat a no-op, and a
        redelivery thereby repairs an enqueue that failed after the event was stored."""
        return self.status == "queued"


def initial_status(parsed: ParsedWebhook, *, llm_configured: bool) -> tuple[str, str | None]:
    if parsed.entity_type != "ticket":
        return "ignored", f"'{parsed.entity_type}' events are acknowledged and not processed"
    if parsed.action is EventAction.DELETED:
        return "ignored", "the ticket was deleted in the PSA"
    if not parsed.external_id:
        return "ignored", "the event names no ticket"
    if not llm_configured:
        return "waiting_llm", WAITING_FOR_MODEL
    return "queued", None


async def record_delivery(
    session: AsyncSession, *, integration_id: int, parsed: ParsedWebhook, body: bytes, llm_configured: bool
) -> Intake:
    status, reason = initial_status(parsed, llm_configured=llm_configured)
    event = TicketEvent(
        integration_id=integration_id,
        idempotency_key=parsed.idempotency_key,
        entity_type=parsed.entity_type,
        action=parsed.action.value,
        ticket_external_id=parsed.external_id,
        actor=parsed.actor,
        status=status,
        status_reason=reason,
        body=body.decode("utf-8", errors="replace"),
    )
    try:
        async with session.begin_nested():
            session.add(event)
            await session.flush()
    except IntegrityError:
        existing = (
            await session.execute(
                select(TicketEvent.id, TicketEvent.status).where(
                    TicketEvent.integration_id == integration_id,
                    TicketEvent.idempotency_key == parsed.idempotency_key,
                )
            )
        ).one()
        await session.execute(
            update(TicketEvent)
            .where(TicketEvent.id == existing.id)
            .values(deliveries=TicketEvent.deliveries + 1)
        )
        return Intake(event_id=existing.id, status=existing.status, duplicate=True)
    return Intake(event_id=event.id, status=status, duplicate=False)


async def events_to_resume(
    session: AsyncSession, *, llm_configured: bool, older_than_seconds: int = 30
) -> list[int]:
    """Events persisted but never handed to a workflow (a crash between commit and enqueue)."""
    statuses = ["queued", "waiting_llm"] if llm_configured else ["queued"]
    cutoff = system_clock() - timedelta(seconds=older_than_seconds)
    rows = await session.scalars(
        select(TicketEvent.id).where(TicketEvent.status.in_(statuses), TicketEvent.received_at <= cutoff)
    )
    return list(rows)
