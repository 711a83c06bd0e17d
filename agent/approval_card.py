"""What an approval request shows, in plain terms: which tenant and object, before -> after, whether it can
be undone, the workflow step that asked for it and the model's stated reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart

from connectors.base import Action
from core.domain import ClientInfo, Ticket
from workflows.tool_refs import referenced_tools

NO_REASON = "The model gave no reason before this call."


def _ticket_change(action: Action, args: dict[str, Any], ticket: Ticket) -> tuple[str, str, str]:
    """(object, before, after) for a PSA tool."""
    target = f"ticket #{ticket.number}"
    if action.name == "set_ticket_status":
        return target, f"status '{ticket.status or 'unknown'}'", f"status '{args.get('status')}'"
    if action.name == "assign_ticket":
        before = f"board '{ticket.board or '-'}', assignee '{ticket.assignee or 'nobody'}'"
        after = f"board '{args.get('board') or ticket.board or '-'}', assignee '{args.get('member') or '-'}'"
        return target, before, after
    if action.name == "classify_ticket":
        fields = ("priority", "type", "subtype", "item")
        before = ", ".join(f"{f} '{getattr(ticket, f) or '-'}'" for f in fields if args.get(f))
        after = ", ".join(f"{f} '{args[f]}'" for f in fields if args.get(f))
        return target, before or "unchanged", after or "unchanged"
    if action.name in ("add_internal_note", "add_customer_note"):
        audience = "visible to the customer" if action.name == "add_customer_note" else "internal"
        return target, "no such note", f"a new {audience} note: {str(args.get('text', ''))[:300]!r}"
    if action.name == "log_time":
        return (
            target,
            "no such time entry",
            f"a time entry of {args.get('hours')} h, work type {args.get('work_type') or 'default'}, "
            f"{'billable' if args.get('billable') else 'not billable'}, "
            f"for {args.get('member') or 'Deskhand'}: {args.get('notes') or ''}",
        )
    return target, "as it is now", f"{action.name} with {args}"


def _directory_change(action: Action, args: dict[str, Any]) -> tuple[str, str, str]:
    user = str(args.get("user") or args.get("username") or "")
    label = {
        "m365_create_user": ("no account", f"a new account {args.get('username')}@{args.get('domain')}"),
        "m365_assign_license": (
            "without licence " + str(args.get("sku")),
            "licensed " + str(args.get("sku")),
        ),
        "m365_remove_license": (
            "licensed " + str(args.get("sku")),
            "without licence " + str(args.get("sku")),
        ),
        "m365_add_to_group": ("not in " + str(args.get("group")), "member of " + str(args.get("group"))),
        "m365_remove_from_group": ("member of " + str(args.get("group")), "not in " + str(args.get("group"))),
        "m365_disable_sign_in": ("sign-in enabled", "sign-in blocked"),
        "m365_revoke_sessions": ("signed-in sessions", "every session and refresh token revoked"),
        "m365_reset_password": ("current password", "a new generated password (shown once in Activity)"),
        "m365_remove_all_licenses": ("current licences", "no licences"),
        "m365_remove_from_all_groups": ("current group memberships", "no group memberships"),
        "m365_set_out_of_office": (
            "current automatic replies",
            f"automatic replies {'on' if args.get('enabled') else 'off'}",
        ),
    }.get(action.name)
    if label is None:
        changed = {k: v for k, v in args.items() if k != "user" and v is not None}
        label = ("current profile", f"profile fields {changed}")
    return f"user {user}" if user else "the tenant", label[0], label[1]


def stated_reason(messages: Sequence[ModelMessage], tool_call_id: str) -> str:
    """The text the model wrote in the same response as the call, if any."""
    for message in messages:
        if not isinstance(message, ModelResponse):
            continue
        if any(isinstance(p, ToolCallPart) and p.tool_call_id == tool_call_id for p in message.parts):
            text = " ".join(p.content.strip() for p in message.parts if isinstance(p, TextPart)).strip()
            return text[:1000] or NO_REASON
    return NO_REASON


def asking_step(action: Action, plan_steps: Sequence[tuple[int, str, str | None]]) -> str | None:
    """The plan step (position, text, workflow) that names the tool, or None when no step does."""
    for position, text, workflow in plan_steps:
        if action.name in referenced_tools(text):
            source = f" ({workflow})" if workflow else ""
            return f"step {position}{source}: {text}"
    return None


def build_card(
    action: Action,
    shown_args: dict[str, Any],
    *,
    ticket: Ticket,
    client: ClientInfo,
    reason: str,
    step: str | None,
) -> dict[str, Any]:
    if action.integration_kind == "m365":
        where = f"{client.name}'s Microsoft 365 tenant {client.m365_tenant_id or '(none)'}"
        target, before, after = _directory_change(action, shown_args)
    else:
        where = f"{client.name}'s PSA"
        target, before, after = _ticket_change(action, shown_args, ticket)
    undo = (
        "Can be undone from Activity afterwards."
        if action.reversible
        else "Cannot be undone: once done, it stays done."
    )
    return {
        "summary": f"{action.name} on {target} in {where}",
        "tenant": where,
        "object": target,
        "before": before,
        "after": after,
        "reversible": action.reversible,
        "undo": undo,
        "risk": action.risk.value,
        "workflow_step": step or "No plan step names this tool; the model chose it while working the ticket.",
        "model_reason": reason,
    }
