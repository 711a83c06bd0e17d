"""Which backticked names in a workflow's text count as tools, and which integrations they imply."""

from __future__ import annotations

from pydantic import BaseModel

from connectors.base import Action, ActionContext, ActionResult, Risk
from connectors.catalogue import ALL_ACTIONS
from workflows.tool_refs import referenced_tools, required_kinds, unknown_tools

KNOWN = frozenset(action.name for action in ALL_ACTIONS)


class _NoInput(BaseModel):
    pass


async def _handler(ctx: ActionContext, args: _NoInput) -> ActionResult:
    return ActionResult(ok=True, summary="pong")


PING = Action(
    name="ping",
    description="A single-word tool of another integration kind",
    input_model=_NoInput,
    risk=Risk.READ,
    reversible=True,
    integration_kind="rmm",
    handler=_handler,
)


def test_tools_are_listed_in_order_of_first_mention_each_once() -> None:
    text = (
        "1. Call `m365_find_user`.\n2. Then `add_internal_note`.\n3. Again `m365_find_user` and `log_time`."
    )
    assert referenced_tools(text) == ["m365_find_user", "add_internal_note", "log_time"]


def test_status_names_skus_codes_and_mixed_case_are_values_not_tools() -> None:
    text = (
        "Set `Waiting on Client`, assign `O365_BUSINESS_PREMIUM`, look for `50053`, not `M365_Find_User`, "
        "`some-thing`, `file.name`, `_private` or `double__underscore`."
    )
    assert referenced_tools(text) == []
    assert unknown_tools(text, KNOWN) == []


def test_plain_text_mentions_are_not_references() -> None:
    assert referenced_tools("call log_time with 0.5 hours") == []
    # A code span never crosses a line break.
    assert referenced_tools("`log\n_time`") == []


def test_a_call_with_arguments_and_double_backticks_still_name_the_tool() -> None:
    assert referenced_tools("Call `log_time(hours=0.5, billable=false)` then ``set_ticket_status``.") == [
        "log_time",
        "set_ticket_status",
    ]


def test_a_single_word_counts_only_when_it_is_a_known_tool() -> None:
    text = "Wait for `approve`, then `ping` the device."
    assert referenced_tools(text) == []
    assert referenced_tools(text, known={"ping"}) == ["ping"]
    # So a plain backticked word is never reported as an unknown tool.
    assert unknown_tools(text, KNOWN) == []


def test_misspelt_or_invented_tools_are_reported_in_order() -> None:
    text = "Call `m365_disable_signin`, `m365_find_user`, `unlock_account` and `m365_disable_signin` again."
    assert unknown_tools(text, KNOWN) == ["m365_disable_signin", "unlock_account"]


def test_required_kinds_come_from_the_known_tools_referenced() -> None:
    assert required_kinds("Write it with `add_internal_note`.", ALL_ACTIONS) == {"psa"}
    assert required_kinds("Call `m365_find_user` only.", ALL_ACTIONS) == {"m365"}
    assert required_kinds("`m365_revoke_sessions` then `add_internal_note`", ALL_ACTIONS) == {"psa", "m365"}
    assert required_kinds("Set `Waiting on Client`; call `made_up_tool`.", ALL_ACTIONS) == set()
    assert required_kinds("", ALL_ACTIONS) == set()


def test_required_kinds_include_single_word_tools_of_other_kinds() -> None:
    actions = (*ALL_ACTIONS, PING)
    assert required_kinds("`ping` it, then `add_internal_note`", actions) == {"rmm", "psa"}
    assert required_kinds("`ping` it", ALL_ACTIONS) == set()
