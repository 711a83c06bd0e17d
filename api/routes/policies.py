"""Tool policies: which tools run on their own, need approval, or are never offered."""

from __future__ import annotations

from fastapi import APIRouter

from agent.policy import DEFAULT_MODE, ToolMode, list_policies, load_policies, set_policy
from api.auth import AdminDep
from api.deps import RuntimeDep, SessionDep
from api.schemas import PolicyList, PolicyRead, PolicyUpdate, ToolRead
from connectors.base import Risk
from core.audit import record_audit
from core.errors import NotFoundError, ValidationFailed

router = APIRouter(prefix="/policies", tags=["policies"])


@router.get("")
async def get_policies(session: SessionDep, runtime: RuntimeDep) -> PolicyList:
    tools = [
        ToolRead(
            name=a.name,
            description=a.description,
            risk=a.risk.value,
            reversible=a.reversible,
            default_mode=DEFAULT_MODE[a.risk],
        )
        for a in runtime.actions
    ]
    return PolicyList(
        tools=tools, overrides=[PolicyRead.model_validate(p) for p in await list_policies(session)]
    )


@router.put("/{tool_name}")
async def put_policy(
    tool_name: str, data: PolicyUpdate, principal: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> PolicyRead:
    """Admins only; audited with the mode in effect before and after."""
    action = next((a for a in runtime.actions if a.name == tool_name), None)
    if action is None:
        raise NotFoundError(f"no tool named '{tool_name}'")
    if action.risk is Risk.DESTRUCTIVE and data.mode is ToolMode.AUTO and not data.confirm_destructive:
        raise ValidationFailed(
            f"{tool_name} is destructive: letting it run without a technician's approval needs an "
            "explicit confirm_destructive=true",
            code="destructive_needs_confirmation",
        )
    before = (await load_policies(session, client_id=data.client_id)).mode_for(action)
    row = await set_policy(session, tool_name=tool_name, mode=data.mode, client_id=data.client_id)
    await record_audit(
        session,
        principal,
        "policy.changed",
        "tool_policy",
        tool_name,
        {
            "tool": tool_name,
            "client_id": data.client_id,
            "before": before.value,
            "after": data.mode.value,
            "destructive_confirmed": data.confirm_destructive,
        },
    )
    return PolicyRead.model_validate(row)
