"""Ticket actions every PSA offers, written once over the ``PsaConnector`` protocol.

They act only on the ticket bound in the ``ActionContext``: the model never names a ticket or company,
and a contact it names must belong to the ticket's own company.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.base import Action, ActionContext, ActionResult, Risk
from connectors.ticket_field_actions import FIELD_ACTIONS, PSA
from core.domain import Ticket, TicketSearch, TicketState, TicketSummary
from core.fencing import fence

MAX_SEARCH_RESULTS = 20


class NoInput(BaseModel):
    pass


class InternalNoteInput(BaseModel):
    text: str = Field(min_length=1, max_length=8000, description="The note, in plain text")


class CustomerNoteInput(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=8000,
        description="The reply the customer will read, in plain text; polite, no internal details",
    )


class SearchInput(BaseModel):
    text: str | None = Field(
        default=None, max_length=200, description="Words to look for in ticket summaries"
    )
    requester_only: bool = Field(
        default=False, description="Only tickets from this ticket's requester (contact)"
    )
    state: Literal["open", "closed", "any"] = Field(default="any", description="Open, closed or any")
    limit: int = Field(default=10, ge=1, le=MAX_SEARCH_RESULTS)


class ContactInput(BaseModel):
    contact_id: str | None = Field(
        default=None,
        max_length=40,
        description="A contact id of this ticket's company; omit for the ticket's requester",
    )


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    """What the model sees of a ticket; everything people typed is fenced."""
    return {
        "number": ticket.number,
        "status": ticket.status,
        "board": ticket.board,
        "assignee": ticket.assignee,
        "priority": ticket.priority,
        "type": ticket.type,
        "subtype": ticket.subtype,
        "item": ticket.item,
        "closed": ticket.closed,
        "company": ticket.company.name,
        "contact": fence("contact name", ticket.contact.name)
        if ticket.contact and ticket.contact.name
        else None,
        "contact_email": ticket.contact.email if ticket.contact else None,
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


def summary_view(found: TicketSummary) -> dict[str, Any]:
    return {
        "number": found.number,
        "summary": fence("ticket summary", found.summary),
        "status": found.status,
        "closed": found.closed,
        "contact": fence("contact name", found.contact_name) if found.contact_name else None,
        "created_at": found.created_at.isoformat() if found.created_at else None,
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


async def add_customer_note(ctx: ActionContext, args: CustomerNoteInput) -> ActionResult:
    note = await ctx.psa.add_note(ctx.ticket.external_id, args.text, internal=False)
    return ActionResult(
        ok=True,
        summary=f"Replied to the customer on ticket #{ctx.ticket.number}",
        data={"note_id": note.external_id},
        after={"note_id": note.external_id, "customer_visible": True},
    )


async def search_client_tickets(ctx: ActionContext, args: SearchInput) -> ActionResult:
    contact = ctx.ticket.contact
    if args.requester_only and (contact is None or contact.external_id is None):
        return ActionResult(ok=False, summary="This ticket has no requester contact to search by")
    query = TicketSearch(
        company_id=ctx.ticket.company.external_id,  # never from the model: the tool is client-scoped
        contact_id=contact.external_id if args.requester_only and contact else None,
        text=args.text.strip() if args.text and args.text.strip() else None,
        state=TicketState(args.state),
        limit=args.limit,
        exclude_ticket_id=ctx.ticket.external_id,
    )
    found = await ctx.psa.search_tickets(query)
    found = [t for t in found if t.company_id in (None, query.company_id)][: args.limit]
    return ActionResult(
        ok=True,
        summary=f"Found {len(found)} ticket(s) of {ctx.ticket.company.name}",
        data={"tickets": [summary_view(t) for t in found]},
    )


async def get_contact(ctx: ActionContext, args: ContactInput) -> ActionResult:
    contact_id = args.contact_id or (ctx.ticket.contact.external_id if ctx.ticket.contact else None)
    if not contact_id:
        return ActionResult(ok=False, summary="This ticket has no requester contact")
    contact = await ctx.psa.get_contact(contact_id.strip())
    if contact.company_id != ctx.ticket.company.external_id:
        # Another client's contact: refuse without showing anything of it.
        return ActionResult(
            ok=False, summary=f"Contact {contact_id} is not a contact of this ticket's company"
        )
    return ActionResult(
        ok=True,
        summary=f"Loaded contact {contact.external_id}",
        data={
            "name": fence("contact name", contact.name),
            "email": contact.email,
            "phone": contact.phone,
            "title": fence("contact title", contact.title) if contact.title else None,
            "company": contact.company_name,
            "inactive": contact.inactive,
        },
    )


async def get_company(ctx: ActionContext, _: NoInput) -> ActionResult:
    company = await ctx.psa.get_company(ctx.ticket.company.external_id)
    return ActionResult(
        ok=True,
        summary=f"Loaded company {company.name}",
        data={
            "name": company.name,
            "identifier": company.identifier,
            "phone": company.phone,
            "website": company.website,
            "address": company.address,
            "status": company.status,
            "inactive": company.inactive,
        },
    )


READ_ACTIONS: tuple[Action, ...] = (
    Action(
        name="get_ticket",
        description="Read the current ticket again: status, board, assignee, priority, type, summary, "
        "description and recent notes. Use it when you need fresher details than the ticket you were given.",
        input_model=NoInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=get_ticket,
    ),
    Action(
        name="search_client_tickets",
        description="Search this client's other tickets, newest first: by words in the summary, only the "
        "requester's, open or closed. Use it to find duplicates, recurring problems or how it was solved "
        "before.",
        input_model=SearchInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=search_client_tickets,
    ),
    Action(
        name="get_contact",
        description="Read the requester's contact record (name, email, phone, title), or another contact "
        "of the same company by id.",
        input_model=ContactInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=get_contact,
    ),
    Action(
        name="get_company",
        description="Read the ticket's company record: name, identifier, phone, website, address, status.",
        input_model=NoInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=get_company,
    ),
)

NOTE_ACTIONS: tuple[Action, ...] = (
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
        name="add_customer_note",
        description="Reply to the customer on the current ticket: a note the requester can see (and may be "
        "emailed by the PSA). Never include internal details, credentials or other clients' information.",
        input_model=CustomerNoteInput,
        risk=Risk.WRITE,
        reversible=False,
        integration_kind=PSA,
        handler=add_customer_note,
    ),
)

TICKET_ACTIONS: tuple[Action, ...] = READ_ACTIONS + NOTE_ACTIONS + FIELD_ACTIONS
