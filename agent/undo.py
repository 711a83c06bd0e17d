"""Undo of a finished tool call: its inverse, worked out from what the call recorded (arguments and the
``before``/``after`` state), runs as an approval-gated action on the same run.

A technician asks for the undo (``request_undo``): an approval request of kind ``undo`` says in plain terms
what the undo will change. Approving it through the normal approvals API starts ``undo_workflow`` once
(workflow id ``undo-{approval id}``); the inverse runs as a checkpointed step, is recorded as a new tool call,
the original is marked ``undone_by`` it, and an internal note on the ticket says what was undone and by whom.
Calls whose approval card said "Cannot be undone" are refused with the reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from dbos import DBOS, SetWorkflowID
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import activity_store as store
from agent.approval_tables import UNDO_KIND, Approval
from agent.approvals import ApprovalStatus
from agent.pipeline import _psa_transient, failure_reason, retrying_step
from agent.policy import ToolMode, load_policies
from agent.runtime import get_runtime
from agent.stages import NOTE_HEADER, _psa_for, _run, agent_deps, client_info, policies_for, post_note
from agent.tables import Run, ToolCall
from agent.tools import execute_action
from connectors.base import Action, ActionResult
from core.clock import system_clock
from core.directory import ProfileChanges
from core.domain import ClientInfo, Ticket
from core.errors import ConflictError, NotFoundError

logger = logging.getLogger(__name__)

UNDO_ROUND = 0  # undo requests never join a pause of the run: the agent's rounds start at 1


class NotReversible(ConflictError):
    code = "not_reversible"


@dataclass(frozen=True)
class Inverse:
    """The call that reverses another, and what it changes in plain terms."""

    tool_name: str
    args: dict[str, Any]
    now: str  # what the original call left behind
    restores: str  # what the undo puts back


# (the original's args, before, after) -> its inverse. A missing key means the state was not recorded.
InverseBuilder = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], Inverse]


def _group_membership(inverse_tool: str, *, member_now: bool) -> InverseBuilder:
    def build(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
        group = str(args.get("group") or before["group_id"])
        inside, outside = f"member of {group}", f"not in {group}"
        return Inverse(
            inverse_tool,
            {"user": before["user_id"], "group": before["group_id"]},
            now=inside if member_now else outside,
            restores=outside if member_now else inside,
        )

    return build


def _license(inverse_tool: str, *, held_now: bool) -> InverseBuilder:
    def build(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
        licensed = after if held_now else before  # the side that names the SKU
        sku = str(licensed.get("sku") or args.get("sku") or licensed["sku_id"])
        with_sku, without_sku = f"licensed {sku}", f"without licence {sku}"
        return Inverse(
            inverse_tool,
            {"user": licensed["user_id"], "sku": licensed["sku_id"]},
            now=with_sku if held_now else without_sku,
            restores=without_sku if held_now else with_sku,
        )

    return build


# Ticket field (as ``before`` names it) -> (its id field, the inverse tool's argument).
TICKET_FIELD_ARGS: dict[str, dict[str, tuple[str, str]]] = {
    "set_ticket_status": {"status": ("status_id", "status")},
    "assign_ticket": {
        "board": ("board_id", "board"),
        "status": ("status_id", "status"),
        "assignee": ("assignee_id", "member"),
    },
    "classify_ticket": {
        "priority": ("priority_id", "priority"),
        "type": ("type_id", "type"),
        "subtype": ("subtype_id", "subtype"),
        "item": ("item_id", "item"),
    },
}


def _ticket_fields(tool: str) -> InverseBuilder:
    """The same tool with the values ``before`` recorded (by id: names can repeat across boards)."""

    def build(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
        inverse_args: dict[str, str] = {}
        now: list[str] = []
        restores: list[str] = []
        for name, (id_field, argument) in TICKET_FIELD_ARGS[tool].items():
            if name not in before and id_field not in before:
                continue  # this call did not change that field
            old_id, old_name = before.get(id_field), before.get(name)
            if old_id is None and old_name is None:
                raise NotReversible(
                    f"{tool} cannot be undone: the ticket had no {name} before, and {tool} cannot clear one"
                )
            inverse_args[argument] = str(old_id if old_id is not None else old_name)
            now.append(f"{name} '{after.get(name) or after.get(id_field) or '-'}'")
            restores.append(f"{name} '{old_name or old_id}'")
        if not inverse_args:
            raise KeyError("the changed fields")
        return Inverse(tool, inverse_args, now=", ".join(now), restores=", ".join(restores))

    return build


AUTO_REPLY_FIELDS = ("enabled", "internal_message", "external_message", "external_audience")


def _auto_reply(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
    restored = {name: before[name] for name in AUTO_REPLY_FIELDS}

    def shown(state: dict[str, Any]) -> str:
        if not state.get("enabled"):
            return "automatic replies off"
        return f"automatic replies on: {str(state.get('internal_message') or '')[:120]!r}"

    return Inverse(
        "m365_set_out_of_office",
        {"user": before["user_id"], **restored},
        now=shown(after),
        restores=shown(before),
    )


PROFILE_FIELDS = tuple(name for name in ProfileChanges.model_fields if name != "manager_id")
_ADDRESS = re.compile(r"[^\s<>()\"',;]+@[^\s<>()\"',;]+")


def _profile(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> Inverse:
    inverse_args: dict[str, Any] = {"user": before["user_id"]}
    now: list[str] = []
    restores: list[str] = []
    for name in PROFILE_FIELDS:
        if name not in before:
            continue
        if not before[name]:
            raise NotReversible(
                f"m365_update_profile cannot be undone: {name} was empty before, and Deskhand cannot clear "
                "a profile field"
            )
        inverse_args[name] = before[name]
        now.append(f"{name} '{after.get(name)}'")
        restores.append(f"{name} '{before[name]}'")
    if "manager" in before:
        # Recorded as "Name <upn>" (UserDetail.manager): the address is what the tool resolves.
        address = _ADDRESS.search(str(before["manager"] or ""))
        if address is None:
            raise NotReversible(
                "m365_update_profile cannot be undone: the user had no manager before, and Deskhand cannot "
                "remove a manager"
            )
        inverse_args["manager"] = address.group(0).strip("<>")
        now.append(f"manager '{args.get('manager')}'")
        restores.append(f"manager '{before['manager']}'")
    if len(inverse_args) == 1:
        raise KeyError("the changed fields")
    return Inverse("m365_update_profile", inverse_args, now=", ".join(now), restores=", ".join(restores))


INVERSES: dict[str, InverseBuilder] = {
    "m365_add_to_group": _group_membership("m365_remove_from_group", member_now=True),
    "m365_remove_from_group": _group_membership("m365_add_to_group", member_now=False),
    "m365_assign_license": _license("m365_remove_license", held_now=True),
    "m365_remove_license": _license("m365_assign_license", held_now=False),
    "m365_set_out_of_office": _auto_reply,
    "m365_update_profile": _profile,
    "set_ticket_status": _ticket_fields("set_ticket_status"),
    "assign_ticket": _ticket_fields("assign_ticket"),
    "classify_ticket": _ticket_fields("classify_ticket"),
}

# Writes with no inverse, and why, in the words the technician reads in the 409.
CANNOT_UNDO: dict[str, str] = {
    "add_customer_note": "the customer has already been sent this note; it cannot be taken back",
    "add_internal_note": "a note posted on the ticket stays there; Deskhand does not delete notes",
    "log_time": "Deskhand does not delete time entries; remove the entry in the PSA if it is wrong",
    "m365_reset_password": "the previous password is known to no one, so it cannot be put back",
    "m365_revoke_sessions": "revoked sessions cannot be restored; the user signs in again",
    "m365_disable_sign_in": "not reversible by Deskhand: it has no tool that re-enables sign-in; unblock the "
    "account in the Microsoft 365 admin center",
    "m365_create_user": "not reversible by Deskhand: it has no tool that deletes an account; block or delete "
    "it in the Microsoft 365 admin center",
    "m365_remove_all_licenses": "not reversible by Deskhand: it removed every licence at once; the licences "
    "it removed are in this call's 'before' state in Activity, to assign again one by one",
    "m365_remove_from_all_groups": "not reversible by Deskhand: it removed every group membership at once; "
    "the groups are in this call's 'before' state in Activity, to add back one by one",
}


def inverse_of(tool_name: str, *, risk: str, args: dict[str, Any], result: dict[str, Any] | None) -> Inverse:
    """The call that reverses a recorded one, or ``NotReversible`` saying why there is none."""
    if risk == "read":
        raise NotReversible(f"{tool_name} only reads; there is nothing to undo", code="nothing_to_undo")
    if tool_name in CANNOT_UNDO:
        raise NotReversible(f"{tool_name} cannot be undone: {CANNOT_UNDO[tool_name]}")
    build = INVERSES.get(tool_name)
    if build is None:
        raise NotReversible(f"{tool_name} cannot be undone: Deskhand knows no inverse for it")
    before, after = (result or {}).get("before"), (result or {}).get("after")
    if not before or not after:
        summary = (result or {}).get("summary") or "no change recorded"
        raise NotReversible(
            f"{tool_name} changed nothing ({summary}), so there is nothing to undo", code="nothing_to_undo"
        )
    try:
        return build(args, before, after)
    except KeyError as exc:
        raise NotReversible(
            f"{tool_name} cannot be undone: the call did not record {exc.args[0]} it replaced"
        ) from exc


def undo_card(
    call: ToolCall, inverse: Inverse, action: Action, *, run: Run, client: ClientInfo, requested_by: str
) -> dict[str, Any]:
    """The approval card, with the same keys as an agent call's (``agent.approval_card``)."""
    if action.integration_kind == "m365":
        where = f"{client.name}'s Microsoft 365 tenant {client.m365_tenant_id or '(none)'}"
        target = f"user {call.args.get('user') or inverse.args.get('user')}"
    else:
        where = f"{client.name}'s PSA"
        target = f"ticket #{run.ticket_number or run.ticket_external_id}"
    summary = str((call.result or {}).get("summary") or call.tool_name)
    return {
        "summary": f"Undo {call.tool_name} ({summary}) with {action.name} on {target} in {where}",
        "tenant": where,
        "object": target,
        "before": inverse.now,
        "after": inverse.restores,
        "reversible": action.reversible,
        "undo": "This undo can itself be undone from Activity afterwards."
        if action.reversible
        else "Cannot be undone: once done, it stays done.",
        "risk": action.risk.value,
        "workflow_step": f"Undo of tool call {call.tool_call_id} ({call.tool_name}), "
        f"asked for by {requested_by}",
        "model_reason": f"Not the model's: {requested_by} asked for this undo.",
        "undo_of": {"tool_call_id": call.tool_call_id, "tool_name": call.tool_name, "summary": summary},
        "requested_by": requested_by,
    }


async def request_undo(
    session: AsyncSession,
    run_id: int,
    tool_call_id: str,
    *,
    requested_by: str,
    actions: Sequence[Action],
    ttl: timedelta,
) -> Approval:
    """An approval request (kind ``undo``) to reverse one finished call of the run."""
    call = await session.scalar(
        select(ToolCall).where(ToolCall.run_id == run_id, ToolCall.tool_call_id == tool_call_id)
    )
    if call is None:
        raise NotFoundError(f"run {run_id} has no tool call {tool_call_id}")
    undone_by = (call.result or {}).get("undone_by")
    if undone_by:
        raise ConflictError(
            f"{tool_call_id} was already undone by {undone_by.get('tool_call_id')} "
            f"(approved by {undone_by.get('by')})",
            code="already_undone",
        )
    if call.status != "ok":
        raise ConflictError(
            f"only a call that ran can be undone; {tool_call_id} is '{call.status}'", code="not_undoable"
        )
    waiting = await session.scalar(
        select(Approval.id).where(
            Approval.kind == UNDO_KIND,
            Approval.undo_of == call.id,
            Approval.status == ApprovalStatus.PENDING.value,
        )
    )
    if waiting is not None:
        raise ConflictError(
            f"an undo of {tool_call_id} already waits: approval #{waiting}", code="undo_pending"
        )
    inverse = inverse_of(call.tool_name, risk=call.risk, args=call.args, result=call.result)
    action = next((a for a in actions if a.name == inverse.tool_name), None)
    if action is None:
        raise NotReversible(f"{call.tool_name} cannot be undone here: {inverse.tool_name} is not available")
    try:
        args = action.input_model.model_validate(inverse.args).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise NotReversible(
            f"{call.tool_name} cannot be undone: the state it recorded does not fit {action.name} "
            f"({exc.error_count()} problem(s))"
        ) from exc
    run = await _run(session, run_id)
    client = await client_info(session, run.client_id)
    if (await load_policies(session, client_id=client.id)).mode_for(action) is ToolMode.DISABLED:
        raise ConflictError(
            f"{action.name} is disabled by policy for {client.name}, so Deskhand cannot run this undo",
            code="tool_disabled",
        )
    earlier = await session.scalar(
        select(func.count()).select_from(Approval).where(Approval.undo_of == call.id)
    )
    now = system_clock()
    row = Approval(
        run_id=run_id,
        round=UNDO_ROUND,
        # Also the id of the tool call the undo records; a retry after a denial or failure gets its own.
        tool_call_id=f"undo-{call.tool_call_id}" + (f"-{earlier + 1}" if earlier else ""),
        tool_name=action.name,
        risk=action.risk.value,
        reversible=action.reversible,
        args=args,
        card=undo_card(call, inverse, action, run=run, client=client, requested_by=requested_by),
        status=ApprovalStatus.PENDING.value,
        created_at=now,
        expires_at=now + ttl,
        kind=UNDO_KIND,
        undo_of=call.id,
    )
    session.add(row)
    await session.flush()
    return row


def undo_workflow_id(approval_id: int) -> str:
    return f"undo-{approval_id}"


async def start_undo(approval_id: int) -> str:
    """Start the approved undo once; starting it again (same workflow id) does nothing."""
    workflow_id = undo_workflow_id(approval_id)
    with SetWorkflowID(workflow_id):
        await DBOS.start_workflow_async(undo_workflow, approval_id)
    return workflow_id


@dataclass(frozen=True)
class UndoJob:
    """What an approved undo needs, loaded once (a checkpointed step)."""

    approval_id: int
    run_id: int
    original_id: int
    original_call_id: str
    original_tool: str
    original_summary: str
    undo_call_id: str
    tool_name: str
    args: dict[str, Any]
    requested_by: str
    approved_by: str
    ticket: Ticket | None = None
    client: ClientInfo | None = None
    skip: str | None = None  # why nothing runs


async def load_undo(approval_id: int) -> UndoJob:
    runtime = get_runtime()
    async with runtime.db.session() as session:
        row = await session.get(Approval, approval_id)
        if row is None or row.kind != UNDO_KIND or row.undo_of is None:
            raise NotFoundError(f"approval {approval_id} is not an undo request")
        original = await session.get(ToolCall, row.undo_of)
        run = await _run(session, row.run_id)
        client = await client_info(session, run.client_id)
        skip = None
        if row.status != ApprovalStatus.APPROVED.value:
            skip = f"approval #{approval_id} is {row.status}"
        elif original is None:
            skip = "the call to undo no longer exists"
        elif (original.result or {}).get("undone_by"):
            skip = "the call was already undone"
        approvers = [name for name in (row.first_approver, row.decided_by) if name]
        job = UndoJob(
            approval_id=approval_id,
            run_id=run.id,
            original_id=row.undo_of,
            original_call_id=original.tool_call_id if original else "",
            original_tool=original.tool_name if original else "",
            original_summary=str(((original.result if original else None) or {}).get("summary") or ""),
            undo_call_id=row.tool_call_id,
            tool_name=row.tool_name,
            args=dict(row.args),
            requested_by=str(row.card.get("requested_by") or "a technician"),
            approved_by=" and ".join(approvers) or "a technician",
            client=client,
            skip=skip,
        )
        integration_id, ticket_id = run.integration_id, run.ticket_external_id
    if skip is not None:
        return job
    # The ticket as it is now: ticket tools compare with it and act on it.
    ticket = await (await _psa_for(integration_id)).get_ticket(ticket_id)
    return replace(job, ticket=ticket)


@DBOS.workflow(name="deskhand.undo")
async def undo_workflow(approval_id: int) -> str:
    try:
        job = await DBOS.run_step_async(
            retrying_step("deskhand.undo_load", transient=_psa_transient), load_undo, approval_id
        )
        if job.skip is not None or job.ticket is None or job.client is None:
            logger.info("undo %s skipped: %s", approval_id, job.skip)
            return "skipped"
        policies = await DBOS.run_step_async({"name": "deskhand.policies"}, policies_for, job.client.id)
        deps = await agent_deps(job.run_id, ticket=job.ticket, client=job.client, policies=policies)
        action = next(a for a in get_runtime().actions if a.name == job.tool_name)
        args = action.input_model.model_validate(job.args)

        async def run_inverse() -> dict[str, Any]:
            return await execute_action(deps, action, job.undo_call_id, args, approved=True)

        result = await DBOS.run_step_async({"name": f"deskhand.undo.{action.name}"}, run_inverse)
        await DBOS.run_step_async(
            retrying_step("deskhand.undo_finish", transient=_psa_transient), finish_undo, job, result
        )
        return "succeeded" if result.get("ok") else "failed"
    except Exception as exc:  # a failed undo ends visibly in Activity, on the run it belongs to
        reason = failure_reason(exc)
        await DBOS.run_step_async({"name": "deskhand.undo_fail"}, record_undo_failure, approval_id, reason)
        return "failed"


async def finish_undo(job: UndoJob, result: dict[str, Any]) -> None:
    """Mark the original undone (only when the inverse worked) and say so on the ticket."""
    assert job.ticket is not None
    runtime = get_runtime()
    ok = bool(result.get("ok"))
    if ok:
        async with runtime.db.write_session() as session:
            original = await session.get(ToolCall, job.original_id)
            if original is not None and not (original.result or {}).get("undone_by"):
                original.result = {  # reassigned, so the JSON column sees the change
                    **(original.result or {}),
                    "undone_by": {
                        "tool_call_id": job.undo_call_id,
                        "approval_id": job.approval_id,
                        "by": job.approved_by,
                        "at": system_clock().isoformat(),
                    },
                }
        text = (
            f"{NOTE_HEADER} Undone: {job.original_tool} ({job.original_summary}). "
            f"Reversed with {job.tool_name}: {result.get('summary')}. "
            f"Asked for by {job.requested_by}, approved by {job.approved_by} (approval #{job.approval_id})."
        )
    else:
        text = (
            f"{NOTE_HEADER} The undo of {job.original_tool} ({job.original_summary}) did not go through, so "
            f"nothing was reversed: {result.get('summary')}. Approved by {job.approved_by} "
            f"(approval #{job.approval_id})."
        )
    await post_note(job.run_id, ticket=job.ticket, text=text, purpose=f"undo-{job.approval_id}")


async def record_undo_failure(approval_id: int, reason: str) -> None:
    """The undo's tool call, as an error, unless the inverse already recorded its own outcome."""
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        row = await session.get(Approval, approval_id)
        if row is None:
            return
        recorded = await session.scalar(
            select(ToolCall.id).where(
                ToolCall.run_id == row.run_id, ToolCall.tool_call_id == row.tool_call_id
            )
        )
        if recorded is not None:
            return
        summary = f"undo failed before {row.tool_name} could run: {reason}"
        await store.record_tool_call(
            session,
            run_id=row.run_id,
            tool_call_id=row.tool_call_id,
            tool_name=row.tool_name,
            risk=row.risk,
            args=row.args,
            status="error",
            result=ActionResult(ok=False, summary=summary).model_dump(mode="json"),
            duration_ms=None,
        )
    logger.warning("undo %s failed: %s", approval_id, reason)
