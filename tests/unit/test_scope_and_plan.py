"""Scope resolution and plan merging: what a technician sees in the plan note."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.plan import MatchedWorkflow, merge_plan, render_plan, split_steps
from workflows.scope import normalize_title, resolve_scope


@dataclass(frozen=True)
class W:
    id: int
    title: str
    client_id: int | None


def test_client_workflow_overrides_shared_one_with_the_same_normalised_name() -> None:
    shared = W(1, "Password  Reset ", None)
    other_shared = W(2, "Printer problems", None)
    own = W(3, "password reset", 7)
    someone_elses = W(4, "Printer problems", 8)
    resolved = resolve_scope([shared, other_shared, own, someone_elses], client_id=7)
    assert resolved.effective == [other_shared, own]
    assert resolved.overridden == [(shared, own)]
    assert normalize_title("  Password \t RESET ") == normalize_title("password reset")


def test_other_clients_workflows_never_apply() -> None:
    resolved = resolve_scope([W(1, "Onboarding", 8)], client_id=7)
    assert resolved.effective == [] and resolved.overridden == []


def test_steps_keep_their_source_and_numbering_is_stripped() -> None:
    assert split_steps("1. Read it\n\n - Ask the user\nStep 3: Close") == ["Read it", "Ask the user", "Close"]
    steps = merge_plan(
        [
            MatchedWorkflow(1, "Printer", "1. Power-cycle\n2. Test page"),
            MatchedWorkflow(2, "VIP", "- Call them"),
        ]
    )
    assert [(s.position, s.workflow_title, s.text) for s in steps] == [
        (1, "Printer", "Power-cycle"),
        (2, "Printer", "Test page"),
        (3, "VIP", "Call them"),
    ]
    assert all(s.conflict is None for s in steps)


def test_contradictory_target_statuses_are_flagged() -> None:
    steps = merge_plan(
        [
            MatchedWorkflow(1, "Wait", "Set status to Waiting on Client."),
            MatchedWorkflow(2, "Escalate", "Change the ticket status to Escalated and page on-call"),
        ]
    )
    assert all(
        s.conflict and "'waiting on client'" in s.conflict and "'escalated'" in s.conflict for s in steps
    )
    assert "CONFLICT" in render_plan(steps)


def test_close_versus_escalate_is_flagged_but_same_workflow_is_not() -> None:
    flagged = merge_plan(
        [
            MatchedWorkflow(1, "Auto-close", "Close the ticket."),
            MatchedWorkflow(2, "P1", "Escalate to tier 2."),
        ]
    )
    assert all(s.conflict == "One workflow closes the ticket while another escalates it." for s in flagged)
    same = merge_plan([MatchedWorkflow(1, "Both", "Escalate if down.\nOtherwise close the ticket.")])
    assert all(s.conflict is None for s in same)
