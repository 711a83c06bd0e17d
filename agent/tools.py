"""Agent tools built from connector actions: policy-gated, checkpointed, recorded in Activity."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dbos import DBOS
from pydantic import BaseModel, ValidationError
from pydantic_ai import FunctionToolset, ModelRetry, RunContext, Tool
from pydantic_ai.exceptions import ApprovalRequired
from pydantic_ai.tools import ToolDefinition

from agent.activity_store import record_tool_call
from agent.deps import AgentDeps
from agent.policy import ToolMode
from agent.runtime import get_runtime
from connectors.base import Action, ActionContext, ActionResult
from core.errors import DeskhandError, IntegrationError

MASK = "••••••"


def masked_args(model: type[BaseModel], args: dict[str, Any]) -> dict[str, Any]:
    """Arguments as Activity may show them: fields marked sensitive are masked."""
    shown = dict(args)
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("sensitive") and name in shown:
            shown[name] = MASK
    return shown


async def execute_action(
    deps: AgentDeps, action: Action, tool_call_id: str, args: BaseModel, *, approved: bool = False
) -> dict[str, Any]:
    """Run one action and record it. Called inside a DBOS step, so a finished call is never repeated.

    A generated credential in the result is stored encrypted for the technician and never returned."""
    started = time.perf_counter()
    context = ActionContext(
        psa=deps.psa,
        ticket=deps.ticket,
        directory=deps.directory,
        past_tickets=deps.past_tickets,
        approved=approved,
    )
    try:
        result = await action.handler(context, args)
        status = "ok" if result.ok else "error"
    except IntegrationError as exc:
        result = ActionResult(ok=False, summary=f"{action.name} failed: {exc.detail}")
        status = "error"
    except DeskhandError as exc:
        result = ActionResult(ok=False, summary=f"{action.name} refused: {exc.detail}")
        status = "refused"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return await _recorded(
        deps, action, tool_call_id, args.model_dump(mode="json"), status, result, duration_ms=duration_ms
    )


async def record_refusal(
    deps: AgentDeps, action: Action, tool_call_id: str, raw_args: dict[str, Any], summary: str
) -> dict[str, Any]:
    """A call refused before it could run, recorded in Activity like any other."""
    result = ActionResult(ok=False, summary=summary)
    return await _recorded(deps, action, tool_call_id, raw_args, "refused", result, duration_ms=0)


async def _recorded(
    deps: AgentDeps,
    action: Action,
    tool_call_id: str,
    args: dict[str, Any],
    status: str,
    result: ActionResult,
    *,
    duration_ms: int,
) -> dict[str, Any]:
    """Record the call in Activity (masked arguments, sealed secret) and return what the model may see."""
    runtime = get_runtime()
    secret = result.secret.get_secret_value() if result.secret is not None else None
    sealed = runtime.box.encrypt_json({"secret": secret}) if secret is not None else None
    async with runtime.db.write_session() as session:
        await record_tool_call(
            session,
            run_id=deps.run_id,
            tool_call_id=tool_call_id,
            tool_name=action.name,
            risk=action.risk.value,
            args=masked_args(action.input_model, args),
            status=status,
            result=result.model_dump(mode="json"),
            duration_ms=duration_ms,
            secret_encrypted=sealed,
        )
    return result.model_dump(mode="json", exclude={"before", "after"})


def action_tool(action: Action) -> Tool[AgentDeps]:
    known = {name for name in action.input_model.model_fields} | {
        field.alias for field in action.input_model.model_fields.values() if field.alias
    }

    async def call(ctx: RunContext[AgentDeps], **kwargs: Any) -> dict[str, Any]:
        unknown = sorted(set(kwargs) - known)
        if unknown:
            # Never drop them silently: `ticket_id` on a ticket tool would otherwise act on this ticket while
            # the model (and an approval card) believed it targeted another one. Refused before any approval.
            summary = (
                f"{action.name} refused: it has no argument {', '.join(unknown)}. It only acts on the ticket "
                f"and client this run is for; its arguments are: {', '.join(sorted(known)) or 'none'}."
            )
            call_id = ctx.tool_call_id or f"{action.name}-{ctx.run_step}"
            return await DBOS.run_step_async(
                {"name": f"deskhand.refuse.{action.name}"},
                record_refusal,
                ctx.deps,
                action,
                call_id,
                kwargs,
                summary,
            )
        try:
            args = action.input_model.model_validate(kwargs)
        except ValidationError as exc:
            raise ModelRetry(f"Invalid arguments for {action.name}: {exc.errors(include_url=False)}") from exc
        mode = ctx.deps.policies.mode_for(action)
        if mode is ToolMode.DISABLED:  # filtered out below; kept as a second lock
            return {"ok": False, "summary": f"{action.name} is disabled by policy for this client"}
        if mode is ToolMode.APPROVAL and not ctx.tool_call_approved:
            raise ApprovalRequired(
                metadata={"risk": action.risk.value, "reversible": action.reversible, "tool": action.name}
            )
        tool_call_id = ctx.tool_call_id or f"{action.name}-{ctx.run_step}"
        deps = ctx.deps

        approved = bool(ctx.tool_call_approved)

        async def run_checkpointed() -> dict[str, Any]:
            return await execute_action(deps, action, tool_call_id, args, approved=approved)

        return await DBOS.run_step_async({"name": f"deskhand.tool.{action.name}"}, run_checkpointed)

    return Tool.from_schema(
        call,
        name=action.name,
        description=f"{action.description} (risk: {action.risk.value})",
        json_schema=action.input_model.model_json_schema(),
        takes_ctx=True,
    )


def build_toolset(actions: Sequence[Action]) -> FunctionToolset[AgentDeps]:
    return FunctionToolset([action_tool(a) for a in actions])


async def offered_by_policy(ctx: RunContext[AgentDeps], tool_def: ToolDefinition) -> bool:
    """Disabled tools and tools of integrations this run does not have are never shown to the model."""
    action = ctx.deps.actions.get(tool_def.name)
    return action is not None and ctx.deps.policies.mode_for(action) is not ToolMode.DISABLED
