"""Tool policy: auto, approval or disabled, per tool, with a client override over the MSP-wide one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.tables import ToolPolicy
from connectors.base import Action, Risk


class ToolMode(StrEnum):
    AUTO = "auto"
    APPROVAL = "approval"
    DISABLED = "disabled"


DEFAULT_MODE = {Risk.READ: ToolMode.AUTO, Risk.WRITE: ToolMode.APPROVAL, Risk.DESTRUCTIVE: ToolMode.APPROVAL}


@dataclass(frozen=True)
class PolicySet:
    """Resolved modes for one client; tools not overridden fall back to their risk's default."""

    overrides: dict[str, ToolMode]

    def mode_for(self, action: Action) -> ToolMode:
        return self.overrides.get(action.name, DEFAULT_MODE[action.risk])


async def load_policies(session: AsyncSession, *, client_id: int | None) -> PolicySet:
    rows = (
        await session.scalars(
            select(ToolPolicy).where(or_(ToolPolicy.client_id.is_(None), ToolPolicy.client_id == client_id))
        )
    ).all()
    overrides: dict[str, ToolMode] = {}
    # MSP-wide first, then the client's own rows win.
    for row in sorted(rows, key=lambda r: r.client_id is not None):
        overrides[row.tool_name] = ToolMode(row.mode)
    return PolicySet(overrides=overrides)


async def set_policy(
    session: AsyncSession, *, tool_name: str, mode: ToolMode, client_id: int | None
) -> ToolPolicy:
    condition = ToolPolicy.client_id.is_(None) if client_id is None else ToolPolicy.client_id == client_id
    row = (
        await session.scalars(select(ToolPolicy).where(condition, ToolPolicy.tool_name == tool_name))
    ).one_or_none()
    if row is None:
        row = ToolPolicy(tool_name=tool_name, client_id=client_id, mode=mode.value)
        session.add(row)
    else:
        row.mode = mode.value
    await session.flush()
    return row


async def list_policies(session: AsyncSession) -> list[ToolPolicy]:
    return list((await session.scalars(select(ToolPolicy).order_by(ToolPolicy.id))).all())
