"""Tool policy defaults and what Activity may show of arguments."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent.policy import PolicySet, ToolMode
from agent.tools import masked_args
from connectors.ticket_actions import TICKET_ACTIONS


class ResetInput(BaseModel):
    user: str
    temporary_password: str = Field(json_schema_extra={"sensitive": True})


def test_reads_run_writes_wait_and_overrides_win() -> None:
    actions = {a.name: a for a in TICKET_ACTIONS}
    defaults = PolicySet(overrides={})
    assert defaults.mode_for(actions["get_ticket"]) is ToolMode.AUTO
    assert defaults.mode_for(actions["add_internal_note"]) is ToolMode.APPROVAL
    assert defaults.mode_for(actions["set_ticket_status"]) is ToolMode.APPROVAL
    custom = PolicySet(overrides={"set_ticket_status": ToolMode.AUTO, "add_internal_note": ToolMode.DISABLED})
    assert custom.mode_for(actions["set_ticket_status"]) is ToolMode.AUTO
    assert custom.mode_for(actions["add_internal_note"]) is ToolMode.DISABLED


def test_sensitive_arguments_are_masked_for_activity() -> None:
    shown = masked_args(ResetInput, {"user": "dana@contoso.example", "temporary_password": "Tr0ub4dor&3"})
    assert shown == {"user": "dana@contoso.example", "temporary_password": "••••••"}
