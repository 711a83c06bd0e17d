"""Ticket actions every PSA offers, written once over the ``PsaConnector`` protocol.

They act only on the ticket bound in the ``ActionContext``: the model never names a ticket or company.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from connectors.base import Action, ActionContext, ActionResult, Risk
from core.domain import StatusOption, Ticket
from core.fencing import fence

PSA = "psa"  # satisfied by whichever PSA integration delivered the ticket


class NoInput(BaseModel):
    pass


class InternalNoteInput(BaseModel):
    text: str = Field(min_length=1, max_length=8000, description="The note, in plain text")


class StatusInput(BaseModel):
    status: str = Field(
        min_length=1, max_length=100, description="Target status by its name as shown in the PSA, or its id"
    )


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    """What the model sees of a ticket; everything people typed is fenced."""
    return {
        "number": ticket.number,
        "status": ticket.status,
        "board": ticket.board,
        "priority": ticket.priority,
        "type": ticket.type,
        "company": ticket.company.name,
        "contact": fence("contact name", ticket.contact.name)
        if ticket.contact and ticket.contact.name
        else None,
        "summary": fence("ticket summary", ticket.summary),
        "description": fence("ticket description", ticket.description[:6000]),
        "notes": [
            {
                "internal": note.internal,
                "author": note.author,
                "created_at": note.created_at.isoformat() if note.created_at else None,
                "text": fence("ticket note", note.text[:3000]),
            }
            for note in ticket.notes[-20:]
        ],
    }


async def get_ticket(ctx: ActionContext, _: NoInput) -> ActionResult:
    ticket = await ctx.psa.get_ticket(ctx.ticket.external_id)
    return ActionResult(ok=True, summary=f"Loaded ticket #{ticket.number}", data=ticket_view(ticket))


async def add_internal_note(ctx: ActionContext, args: InternalNoteInput) -> ActionResult:
    note = await ctx.psa.add_note(ctx.ticket.external_id, args.text, internal=True)
    return ActionResult(
        ok=True,
        summary=f"Added an internal note to ticket #{ctx.ticket.number}",
        data={"note_id": note.external_id},
        after={"note_id": note.external_id},
    )


def pick_status(options: list[StatusOption], wanted: str) -> StatusOption | None:
    key = " ".join(wanted.split()).casefold()
    for option in options:
        if option.external_id == wanted.strip() or " ".join(option.name.split()).casefold() == key:
            return option
    return None


async def set_ticket_status(ctx: ActionContext, args: StatusInput) -> ActionResult:
    options = await ctx.psa.list_statuses(ctx.ticket)
    target = pick_status(options, args.status)
    if target is None:
        names = ", ".join(o.name for o in options) or "none"
        return ActionResult(
            ok=False, summary=f"No status called '{args.status}' on this ticket's board. Valid: {names}"
        )
    before = {"status": ctx.ticket.status, "status_id": ctx.ticket.status_id}
    await ctx.psa.set_status(ctx.ticket, target)
    return ActionResult(
        ok=True,
        summary=f"Status of ticket #{ctx.ticket.number} changed from {ctx.ticket.status} to {target.name}",
        before=before,
        after={"status": target.name, "status_id": target.external_id},
    )


TICKET_ACTIONS: tuple[Action, ...] = (
    Action(
        name="get_ticket",
        description="Read the current ticket again: status, board, priority, summary, description and recent "
        "notes. Use it when you need fresher details than the ticket you were given.",
        input_model=NoInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=get_ticket,
    ),
    Action(
        name="add_internal_note",
        description="Add an internal note (not visible to the customer) to the current ticket, e.g. findings "
        "or a summary for the next technician.",
        input_model=InternalNoteInput,
        risk=Risk.WRITE,
        reversible=False,
        integration_kind=PSA,
        handler=add_internal_note,
    ),
    Action(
        name="set_ticket_status",
        description="Change the current ticket's status. Give the status name exactly as the PSA shows it "
        "(for example 'Waiting on Client' or 'In Progress'); the valid names are listed if it does not "
        "exist.",
        input_model=StatusInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=PSA,
        handler=set_ticket_status,
    ),
)
