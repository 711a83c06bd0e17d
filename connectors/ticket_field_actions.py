"""Ticket actions that change fields or log time, written once over ``PsaConnector``.

Values are given by name (or id) and resolved against the PSA's own picklists, so "set status to
Waiting on Client" works the same on ConnectWise, Halo and Autotask. Each result carries ``before`` and
``after`` so a change can be reviewed and undone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, model_validator

from connectors.base import Action, ActionContext, ActionResult, Risk
from connectors.picklists import pick
from core.domain import Picklist, PicklistOption, Ticket, TicketChanges, TimeEntryDraft
from core.errors import ValidationFailed

PSA = "psa"  # satisfied by whichever PSA integration delivered the ticket
MAX_HOURS_PER_ENTRY = 12.0


class StatusInput(BaseModel):
    status: str = Field(
        min_length=1, max_length=100, description="Target status by its name as shown in the PSA, or its id"
    )


class AssignInput(BaseModel):
    board: str | None = Field(
        default=None, max_length=100, description="Board / queue / team to move the ticket to, by name"
    )
    member: str | None = Field(
        default=None, max_length=100, description="Technician to assign, by name or PSA identifier"
    )
    status: str | None = Field(
        default=None,
        max_length=100,
        description="Status on the new board, when the board changes and the PSA's statuses are per board",
    )

    @model_validator(mode="after")
    def _something(self) -> AssignInput:
        if not (self.board or self.member):
            raise ValueError("give a board, a member, or both")
        return self


class ClassifyInput(BaseModel):
    priority: str | None = Field(default=None, max_length=100, description="Priority by name, e.g. 'P2 High'")
    type: str | None = Field(default=None, max_length=100, description="Ticket type by name")
    subtype: str | None = Field(default=None, max_length=100, description="Subtype / category by name")
    item: str | None = Field(
        default=None, max_length=100, description="Item by name (where the PSA has items)"
    )

    @model_validator(mode="after")
    def _something(self) -> ClassifyInput:
        if not (self.priority or self.type or self.subtype or self.item):
            raise ValueError("give at least one of priority, type, subtype, item")
        return self


class TimeInput(BaseModel):
    hours: float | None = Field(
        default=None, gt=0, le=MAX_HOURS_PER_ENTRY, description="Duration in hours, ending now"
    )
    started_at: datetime | None = Field(default=None, description="Start (ISO 8601 with time zone)")
    ended_at: datetime | None = Field(default=None, description="End (ISO 8601 with time zone)")
    work_type: str | None = Field(
        default=None, max_length=100, description="Work type / billing code by name"
    )
    billable: bool = Field(default=False, description="Whether the client is billed for this time")
    notes: str = Field(default="", max_length=4000, description="Internal notes describing the work")
    member: str | None = Field(
        default=None, max_length=100, description="Technician the time belongs to; omit for Deskhand itself"
    )

    @model_validator(mode="after")
    def _span(self) -> TimeInput:
        has_span = self.started_at is not None and self.ended_at is not None
        if self.hours is None and not has_span:
            raise ValueError("give hours, or both started_at and ended_at")
        if self.hours is not None and (self.started_at or self.ended_at):
            raise ValueError("give hours or a start/end, not both")
        for value in (self.started_at, self.ended_at):
            if value is not None and value.tzinfo is None:
                raise ValueError("times need a time zone, e.g. 2026-11-21T09:00:00Z")
        return self

    def span(self, now: datetime) -> tuple[datetime, datetime]:
        if self.hours is not None:
            end = now.replace(microsecond=0)
            return end - timedelta(hours=self.hours), end
        assert self.started_at is not None and self.ended_at is not None  # checked by _span
        start, end = self.started_at.astimezone(UTC), self.ended_at.astimezone(UTC)
        if end <= start:
            raise ValidationFailed("ended_at must be after started_at")
        if end - start > timedelta(hours=MAX_HOURS_PER_ENTRY):
            raise ValidationFailed(f"a time entry may cover at most {MAX_HOURS_PER_ENTRY:g} hours")
        if end > now + timedelta(minutes=5):
            raise ValidationFailed("time cannot be logged in the future")
        return start, end


def on_board(ticket: Ticket, board: PicklistOption) -> Ticket:
    """The ticket as if it were on ``board``, to read that board's statuses, types and subtypes."""
    return ticket.model_copy(update={"board_id": board.external_id, "board": board.name})


# TicketChanges field -> the Ticket fields holding its name and id (``after`` uses Ticket's names, so the
# pipeline can tell the echo of our own change from a person's).
TICKET_FIELDS: dict[str, tuple[str, str]] = {
    "status": ("status", "status_id"),
    "board": ("board", "board_id"),
    "member": ("assignee", "assignee_id"),
    "priority": ("priority", "priority_id"),
    "type": ("type", "type_id"),
    "subtype": ("subtype", "subtype_id"),
    "item": ("item", "item_id"),
}


async def _apply(ctx: ActionContext, changes: TicketChanges, what: str) -> ActionResult:
    wanted = {name: option for name, option in changes if isinstance(option, PicklistOption)}
    current = ctx.ticket.model_dump()
    if all(current[TICKET_FIELDS[name][1]] == option.external_id for name, option in wanted.items()):
        return ActionResult(ok=True, summary=f"Ticket #{ctx.ticket.number} already has {what}")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, option in wanted.items():
        name_field, id_field = TICKET_FIELDS[name]
        before.update({name_field: current[name_field], id_field: current[id_field]})
        after.update({name_field: option.name, id_field: option.external_id})
    await ctx.psa.update_ticket(ctx.ticket, changes)
    listed = ", ".join(
        f"{TICKET_FIELDS[name][0]} {before[TICKET_FIELDS[name][0]] or '(none)'} → {option.name}"
        for name, option in wanted.items()
    )
    return ActionResult(ok=True, summary=f"Ticket #{ctx.ticket.number}: {listed}", before=before, after=after)


async def set_ticket_status(ctx: ActionContext, args: StatusInput) -> ActionResult:
    options = await ctx.psa.list_options(Picklist.STATUS, ctx.ticket)
    target = pick(options, args.status, Picklist.STATUS, where="on this ticket's board")
    return await _apply(ctx, TicketChanges(status=target), f"status {target.name}")


async def assign_ticket(ctx: ActionContext, args: AssignInput) -> ActionResult:
    ticket = ctx.ticket
    board = status = member = None
    if args.board:
        board = pick(await ctx.psa.list_options(Picklist.BOARD, ticket), args.board, Picklist.BOARD)
        if board.external_id != ticket.board_id:
            statuses = await ctx.psa.list_options(Picklist.STATUS, on_board(ticket, board))
            if args.status:
                status = pick(statuses, args.status, Picklist.STATUS, where=f"on {board.name}")
            elif ticket.status_id and any(s.external_id == ticket.status_id for s in statuses):
                status = None  # the current status is valid on the new board too (one status list)
            else:
                kept = [
                    s for s in statuses if ticket.status and s.name.casefold() == ticket.status.casefold()
                ]
                if not kept:
                    return ActionResult(
                        ok=False,
                        summary=f"Moving to {board.name} needs a status of that board; give one of: "
                        + ", ".join(f"'{s.name}'" for s in statuses if not s.closed),
                    )
                status = kept[0]
    if args.member:
        member = pick(await ctx.psa.list_options(Picklist.MEMBER, ticket), args.member, Picklist.MEMBER)
    changes = TicketChanges(board=board, status=status, member=member)
    return await _apply(ctx, changes, "that assignment")


async def classify_ticket(ctx: ActionContext, args: ClassifyInput) -> ActionResult:
    ticket = ctx.ticket
    priority = type_ = subtype = item = None
    if args.priority:
        priority = pick(
            await ctx.psa.list_options(Picklist.PRIORITY, ticket), args.priority, Picklist.PRIORITY
        )
    if args.type:
        type_ = pick(await ctx.psa.list_options(Picklist.TYPE, ticket), args.type, Picklist.TYPE)
    parent_id = type_.external_id if type_ else ticket.type_id
    if args.subtype:
        options = await ctx.psa.list_options(Picklist.SUBTYPE, ticket)
        # Dependent lists (Autotask sub-issue types) only allow children of the chosen type.
        fitting = [o for o in options if o.parent_id is None or o.parent_id == parent_id]
        subtype = pick(fitting, args.subtype, Picklist.SUBTYPE, where="for this type")
    if args.item:
        item = pick(await ctx.psa.list_options(Picklist.ITEM, ticket), args.item, Picklist.ITEM)
    changes = TicketChanges(priority=priority, type=type_, subtype=subtype, item=item)
    return await _apply(ctx, changes, "that classification")


async def log_time(ctx: ActionContext, args: TimeInput) -> ActionResult:
    started, ended = args.span(datetime.now(UTC))
    work_type = member = None
    if args.work_type:
        options = await ctx.psa.list_options(Picklist.WORK_TYPE, ctx.ticket)
        work_type = pick(options, args.work_type, Picklist.WORK_TYPE)
    if args.member:
        member = pick(await ctx.psa.list_options(Picklist.MEMBER, ctx.ticket), args.member, Picklist.MEMBER)
    entry = TimeEntryDraft(
        started_at=started,
        ended_at=ended,
        member=member,
        work_type=work_type,
        billable=args.billable,
        notes=args.notes,
    )
    entry_id = await ctx.psa.log_time(ctx.ticket, entry)
    after = {
        "time_entry_id": entry_id,
        "hours": entry.hours,
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "work_type": work_type.name if work_type else None,
        "billable": args.billable,
        "member": member.name if member else None,
    }
    who = f" for {member.name}" if member else ""
    return ActionResult(
        ok=True,
        summary=f"Logged {entry.hours:g} h{who} on ticket #{ctx.ticket.number}",
        data=after,
        after=after,
    )


FIELD_ACTIONS: tuple[Action, ...] = (
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
    Action(
        name="assign_ticket",
        description="Route the current ticket: move it to another board / queue / team and/or assign a "
        "technician, by name. When the board changes and statuses differ per board, also give the status "
        "on the new board.",
        input_model=AssignInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=PSA,
        handler=assign_ticket,
    ),
    Action(
        name="classify_ticket",
        description="Set the current ticket's priority, type, subtype/category and item, by name as the "
        "PSA shows them. Give only the fields to change.",
        input_model=ClassifyInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=PSA,
        handler=classify_ticket,
    ),
    Action(
        name="log_time",
        description="Log a time entry on the current ticket: hours (ending now) or a start and end, the "
        "work type, whether it is billable (default not), and internal notes describing the work.",
        input_model=TimeInput,
        risk=Risk.WRITE,
        reversible=False,
        integration_kind=PSA,
        handler=log_time,
    ),
)
