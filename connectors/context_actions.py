"""Context tools: similar past tickets of this client, and who the requester is (PSA and Microsoft 365).

Both read only, and both stay inside the ticket's own client: the past-ticket search is bound to the
client when the run starts, and the requester comes from the ticket itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from connectors.base import Action, ActionContext, ActionResult, Risk
from connectors.ticket_field_actions import PSA
from core.domain import TicketSearch, TicketState
from core.errors import IntegrationError
from core.fencing import fence

QUERY_CHARS = 1500


class SimilarInput(BaseModel):
    query: str | None = Field(
        default=None,
        max_length=1000,
        description="What to look for; omit to use the current ticket's summary and description",
    )
    limit: int = Field(default=5, ge=1, le=10)


class NoInput(BaseModel):
    pass


async def similar_past_tickets(ctx: ActionContext, args: SimilarInput) -> ActionResult:
    if ctx.past_tickets is None:
        return ActionResult(ok=False, summary="Past-ticket search is not available (nothing indexed yet)")
    ticket = ctx.ticket
    text = args.query or f"{ticket.summary}\n{ticket.description}"
    found = await ctx.past_tickets.similar(
        text[:QUERY_CHARS], limit=args.limit, exclude_ticket_id=ticket.external_id
    )
    return ActionResult(
        ok=True,
        summary=f"{len(found)} similar closed ticket(s) of {ticket.company.name}",
        data={
            "tickets": [
                {
                    "number": past.number,
                    "summary": fence("past ticket summary", past.summary),
                    "resolution": fence("past ticket resolution", past.resolution[:1500]),
                    "similarity": round(past.similarity, 3) if past.similarity is not None else None,
                    "closed_at": past.closed_at.isoformat() if past.closed_at else None,
                }
                for past in found
            ]
        },
    )


async def _m365_account(ctx: ActionContext, email: str | None) -> dict[str, Any] | None:
    if ctx.directory is None or not email:
        return None
    try:
        users = await ctx.directory.find_users(email, limit=3)
        match = next(
            (
                u
                for u in users
                if email.casefold() in {u.user_principal_name.casefold(), (u.mail or "").casefold()}
            ),
            None,
        )
        if match is None:
            return {"found": False}
        detail = await ctx.directory.user_detail(match.id)
    except IntegrationError as exc:
        return {"error": exc.detail}
    return {
        "found": True,
        "upn": match.user_principal_name,
        "enabled": match.account_enabled,
        "licenses": [lic.sku_part_number or lic.sku_id for lic in detail.licenses],
        "last_sign_in": detail.last_sign_in.isoformat() if detail.last_sign_in else None,
        "mfa_methods": list(detail.mfa_methods),
        "admin_roles": list(detail.roles),
    }


async def requester_context(ctx: ActionContext, _: NoInput) -> ActionResult:
    ticket = ctx.ticket
    contact_ref = ticket.contact
    if contact_ref is None or contact_ref.external_id is None:
        return ActionResult(ok=False, summary="This ticket has no requester contact")
    contact = await ctx.psa.get_contact(contact_ref.external_id)
    if contact.company_id != ticket.company.external_id:
        return ActionResult(ok=False, summary="The requester is not a contact of this ticket's company")
    recent = await ctx.psa.search_tickets(
        TicketSearch(
            company_id=ticket.company.external_id,
            contact_id=contact.external_id,
            state=TicketState.ANY,
            limit=5,
            exclude_ticket_id=ticket.external_id,
        )
    )
    account = await _m365_account(ctx, contact.email or contact_ref.email)
    return ActionResult(
        ok=True,
        summary=f"Requester {contact.external_id}: {len(recent)} recent ticket(s)"
        + (
            ""
            if account is None
            else "; Microsoft 365 account " + ("found" if account.get("found") else "not found")
        ),
        data={
            "name": fence("contact name", contact.name),
            "email": contact.email,
            "phone": contact.phone,
            "title": fence("contact title", contact.title) if contact.title else None,
            "inactive": contact.inactive,
            "recent_tickets": [
                {
                    "number": t.number,
                    "summary": fence("ticket summary", t.summary),
                    "status": t.status,
                    "closed": t.closed,
                }
                for t in recent
            ],
            "microsoft_365": account,
        },
    )


CONTEXT_ACTIONS: tuple[Action, ...] = (
    Action(
        name="similar_past_tickets",
        description="Closed tickets of this client that look like the current one, with how each was "
        "resolved and a similarity score. Use it before troubleshooting: 'this looks like #48213, fixed by "
        "restarting the spooler'.",
        input_model=SimilarInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=similar_past_tickets,
    ),
    Action(
        name="requester_context",
        description="Who the requester is: their contact record, their recent tickets and, when the client's "
        "Microsoft 365 is connected, their account state (enabled, licences, last sign-in, MFA).",
        input_model=NoInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=PSA,
        handler=requester_context,
    ),
)
