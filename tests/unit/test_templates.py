"""The starter templates: real tools only, honest requirements, matchable triggers and safe step order."""

from __future__ import annotations

import dataclasses
import re

import pytest

from connectors.base import Risk
from connectors.catalogue import ALL_ACTIONS
from core.errors import NotFoundError
from workflows.plan import MatchedWorkflow, merge_plan, split_steps
from workflows.schemas import IntegrationKind, WorkflowCreate
from workflows.templates import TEMPLATES, WorkflowTemplate, template_by_key
from workflows.tool_refs import referenced_tools, required_kinds, unknown_tools

ACTIONS = {action.name: action for action in ALL_ACTIONS}
EXPECTED_CATEGORIES = {
    "enrich-similar-tickets": "Triage and routing",
    "enrich-requester-context": "Triage and routing",
    "categorize-and-route": "Triage and routing",
    "onboard-new-hire": "Microsoft 365 user lifecycle",
    "offboard-employee": "Microsoft 365 user lifecycle",
    "reset-password": "Microsoft 365 user lifecycle",
    "group-membership": "Microsoft 365 user lifecycle",
    "recommend-license-upgrade": "Microsoft 365 user lifecycle",
    "set-out-of-office": "Microsoft 365 user lifecycle",
    "update-ticket-status": "Ticket actions",
    "log-time-entry": "Ticket actions",
    "reset-locked-accounts": "Security",
    "investigate-suspicious-sign-in": "Security",
}
KIND_ORDER = ("psa", "m365")
ENRICHMENT = ("enrich-similar-tickets", "enrich-requester-context")
TRIAGE = (*ENRICHMENT, "categorize-and-route")
REMOVALS = (
    "m365_remove_all_licenses",
    "m365_remove_from_all_groups",
    "m365_remove_license",
    "m365_remove_from_group",
)

by_key = pytest.mark.parametrize("template", TEMPLATES, ids=[t.key for t in TEMPLATES])


def steps_of(template: WorkflowTemplate) -> list[str]:
    return split_steps(template.instructions)


def first_step(template: WorkflowTemplate, tool: str) -> int:
    """Index of the first step that names ``tool`` (backticked); fails the test when none does."""
    for index, step in enumerate(steps_of(template)):
        if tool in referenced_tools(step):
            return index
    raise AssertionError(f"{template.key} never calls {tool}")


def test_there_are_13_templates_with_the_agreed_keys_categories_and_unique_titles() -> None:
    assert len(TEMPLATES) == 13
    assert {t.key: t.category for t in TEMPLATES} == EXPECTED_CATEGORIES
    assert len({t.key for t in TEMPLATES}) == 13
    assert len({t.title.casefold() for t in TEMPLATES}) == 13
    assert len({t.trigger for t in TEMPLATES}) == 13


@by_key
def test_every_tool_named_exists(template: WorkflowTemplate) -> None:
    assert referenced_tools(template.instructions), "instructions must name the tools they use"
    assert unknown_tools(template.instructions, ACTIONS) == []


@by_key
def test_requires_is_exactly_what_the_tools_imply(template: WorkflowTemplate) -> None:
    derived = required_kinds(template.instructions, ALL_ACTIONS)
    assert set(template.requires) == derived
    assert template.requires == tuple(kind for kind in KIND_ORDER if kind in derived)


@by_key
def test_trigger_is_one_sentence_and_names_no_tool(template: WorkflowTemplate) -> None:
    trigger = template.trigger
    assert trigger.endswith(".")
    assert "\n" not in trigger
    assert len(trigger) <= 300
    assert re.search(r"[.!?]\s", trigger) is None, "a second sentence starts inside the trigger"
    assert "`" not in trigger


@by_key
def test_instructions_are_numbered_steps_one_per_line(template: WorkflowTemplate) -> None:
    lines = template.instructions.splitlines()
    assert len(lines) >= 4
    for number, line in enumerate(lines, start=1):
        assert line.startswith(f"{number}. "), line
    assert len(steps_of(template)) == len(lines)


@by_key
def test_template_can_be_saved_as_a_workflow(template: WorkflowTemplate) -> None:
    saved = WorkflowCreate(
        title=template.title,
        trigger=template.trigger,
        instructions=template.instructions,
        requires=[IntegrationKind(kind) for kind in template.requires],
    )
    assert saved.instructions == template.instructions


@by_key
def test_an_account_is_looked_up_before_any_change_to_it(template: WorkflowTemplate) -> None:
    changes = [
        name
        for name in referenced_tools(template.instructions)
        if ACTIONS[name].integration_kind == "m365" and ACTIONS[name].writes
    ]
    for tool in changes:
        if tool == "m365_create_user":
            continue  # a new starter has no account yet; the lookup proves there is none
        assert first_step(template, "m365_find_user") < first_step(template, tool), tool


@by_key
def test_templates_that_generate_a_password_forbid_writing_it_in_a_note(template: WorkflowTemplate) -> None:
    tools = referenced_tools(template.instructions)
    if {"m365_reset_password", "m365_create_user"} & set(tools):
        assert "Never write a password" in template.instructions
        assert "Activity only" in template.instructions


def test_offboarding_blocks_sign_in_and_revokes_sessions_before_removing_anything() -> None:
    offboard = template_by_key("offboard-employee")
    text = offboard.instructions
    disable, revoke = (
        first_step(offboard, "m365_disable_sign_in"),
        first_step(offboard, "m365_revoke_sessions"),
    )
    verify = max(first_step(offboard, "m365_find_user"), first_step(offboard, "m365_user_details"))
    assert verify < disable < revoke
    removals = [tool for tool in REMOVALS if tool in referenced_tools(text)]
    assert {"m365_remove_all_licenses", "m365_remove_from_all_groups"} <= set(removals)
    for tool in removals:
        assert first_step(offboard, tool) > revoke, tool
        assert text.index(f"`{tool}`") > text.index("`m365_revoke_sessions`"), tool
    # The leave date is confirmed before any account change.
    date_step = next(
        i for i, step in enumerate(steps_of(offboard)) if "leave date" in step and "stated" in step
    )
    assert date_step < disable
    # Out-of-office (if asked) is set while the mailbox is still licensed.
    assert first_step(offboard, "m365_set_out_of_office") < first_step(offboard, "m365_remove_all_licenses")


def test_suspicious_sign_in_gives_a_verdict_and_contains_only_when_compromised() -> None:
    template = template_by_key("investigate-suspicious-sign-in")
    steps = steps_of(template)
    evidence = max(first_step(template, "m365_risky_users"), first_step(template, "m365_recent_sign_ins"))
    verdict = next(
        i for i, s in enumerate(steps) if all(v in s for v in ("benign", "suspicious", "compromised"))
    )
    assert "add_internal_note" in referenced_tools(steps[verdict])
    disable = first_step(template, "m365_disable_sign_in")
    assert evidence < verdict < disable == first_step(template, "m365_revoke_sessions")
    assert steps[disable].startswith("Only if the verdict is compromised")
    assert "m365_reset_password" not in referenced_tools(template.instructions)


def test_locked_accounts_check_sign_ins_for_lockout_or_attack_before_resetting() -> None:
    template = template_by_key("reset-locked-accounts")
    sign_ins = first_step(template, "m365_recent_sign_ins")
    assert "50053" in steps_of(template)[sign_ins]
    attack = next(i for i, s in enumerate(steps_of(template)) if s.startswith("If it looks like an attack"))
    assert sign_ins < attack < first_step(template, "m365_reset_password")


def test_password_reset_verifies_the_requester_and_keeps_the_password_out_of_notes() -> None:
    template = template_by_key("reset-password")
    reset = first_step(template, "m365_reset_password")
    assert first_step(template, "requester_context") < reset
    assert "force_change true" in steps_of(template)[reset]
    reply = steps_of(template)[first_step(template, "add_customer_note")]
    assert "temporary password by phone" in reply


@pytest.mark.parametrize("key", ENRICHMENT)
def test_enrichment_only_reads_and_writes_one_internal_note(key: str) -> None:
    template = template_by_key(key)
    tools = referenced_tools(template.instructions)
    writes = [name for name in tools if ACTIONS[name].risk is not Risk.READ]
    assert writes == ["add_internal_note"]
    assert sum("add_internal_note" in referenced_tools(step) for step in steps_of(template)) == 1


@pytest.mark.parametrize(
    ("key", "tools"),
    [
        ("categorize-and-route", {"classify_ticket", "assign_ticket"}),
        ("update-ticket-status", {"set_ticket_status"}),
        ("log-time-entry", {"log_time"}),
        ("set-out-of-office", {"m365_set_out_of_office"}),
        ("recommend-license-upgrade", {"m365_recommend_license"}),
        ("group-membership", {"m365_add_to_group", "m365_remove_from_group", "m365_list_groups"}),
        ("onboard-new-hire", {"m365_create_user", "m365_assign_license", "m365_add_to_group"}),
    ],
)
def test_each_template_uses_the_tools_of_its_job(key: str, tools: set[str]) -> None:
    assert tools <= set(referenced_tools(template_by_key(key).instructions))


def test_recommending_a_licence_changes_no_licence() -> None:
    tools = referenced_tools(template_by_key("recommend-license-upgrade").instructions)
    assert [name for name in tools if ACTIONS[name].integration_kind == "m365" and ACTIONS[name].writes] == []


@by_key
def test_triage_templates_merged_with_any_template_raise_no_false_conflict(
    template: WorkflowTemplate,
) -> None:
    # Triage templates match most new tickets, so they are merged with nearly every other workflow.
    matched = [template_by_key(key) for key in TRIAGE if key != template.key] + [template]
    steps = merge_plan([MatchedWorkflow(i, t.title, t.instructions) for i, t in enumerate(matched, start=1)])
    assert [step.conflict for step in steps if step.conflict] == []


def test_template_by_key_returns_the_template_and_refuses_unknown_keys() -> None:
    assert template_by_key("reset-password").title == "Reset password"
    for bad in ("reset_password", "Reset-Password", " reset-password", ""):
        with pytest.raises(NotFoundError) as caught:
            template_by_key(bad)
        assert f"'{bad}'" in caught.value.detail
        assert "offboard-employee" in caught.value.detail


def test_templates_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TEMPLATES[0].title = "Changed"  # type: ignore[misc]
