"""Merge matched workflows' instructions into one ordered plan, keeping each step's source."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class MatchedWorkflow:
    id: int
    title: str
    instructions: str


@dataclass(frozen=True)
class PlannedStep:
    position: int
    workflow_id: int | None
    workflow_title: str | None
    text: str
    conflict: str | None = None


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|step\s+\d+[:.)])\s*", re.IGNORECASE)
_STATUS_TARGET = re.compile(
    r"\b(?:set|change|move|update)\s+(?:the\s+)?(?:ticket\s+)?status\s+to\s+"
    r"[\"'“]?([A-Za-z][\w \-/]{0,40}?)[\"'”]?"
    r"(?:\s+(?:and|then|if|when|once|so)\b|[.,;:]|$)",
    re.IGNORECASE,
)
_CLOSES = re.compile(r"\b(?:close|resolve)\s+(?:the\s+)?ticket\b", re.IGNORECASE)
_ESCALATES = re.compile(r"\bescalat", re.IGNORECASE)


def split_steps(instructions: str) -> list[str]:
    steps = []
    for line in instructions.splitlines():
        text = _BULLET.sub("", line).strip()
        if text:
            steps.append(text)
    return steps


def merge_plan(matched: Sequence[MatchedWorkflow]) -> list[PlannedStep]:
    steps: list[PlannedStep] = []
    for workflow in matched:
        for text in split_steps(workflow.instructions):
            steps.append(
                PlannedStep(
                    position=len(steps) + 1, workflow_id=workflow.id, workflow_title=workflow.title, text=text
                )
            )
    return flag_conflicts(steps)


def flag_conflicts(steps: list[PlannedStep]) -> list[PlannedStep]:
    """Mark steps from different workflows that pull the ticket in opposite directions."""
    targets: dict[int, tuple[str, PlannedStep]] = {}
    for step in steps:
        match = _STATUS_TARGET.search(step.text)
        if match and step.workflow_id is not None:
            targets.setdefault(step.position, (match.group(1).strip().casefold(), step))
    flagged: dict[int, str] = {}
    distinct = {status for status, _ in targets.values()}
    if len(distinct) > 1 and len({s.workflow_id for _, s in targets.values()}) > 1:
        summary = " vs ".join(
            f"'{status}' ({step.workflow_title})" for status, step in sorted(targets.values(), key=_pos)
        )
        for position in targets:
            flagged[position] = f"Workflows set different target statuses: {summary}."
    closers = [s for s in steps if _CLOSES.search(s.text)]
    escalators = [s for s in steps if _ESCALATES.search(s.text)]
    if closers and escalators and {s.workflow_id for s in closers} != {s.workflow_id for s in escalators}:
        for step in (*closers, *escalators):
            note = "One workflow closes the ticket while another escalates it."
            flagged[step.position] = f"{flagged[step.position]} {note}" if step.position in flagged else note
    return [replace(step, conflict=flagged.get(step.position)) for step in steps]


def _pos(item: tuple[str, PlannedStep]) -> int:
    return item[1].position


def render_plan(steps: Sequence[PlannedStep]) -> str:
    lines = []
    for step in steps:
        source = f" [{step.workflow_title}]" if step.workflow_title else ""
        lines.append(f"{step.position}. {step.text}{source}")
        if step.conflict:
            lines.append(f"   CONFLICT: {step.conflict} Resolve conservatively or ask a technician.")
    return "\n".join(lines)
