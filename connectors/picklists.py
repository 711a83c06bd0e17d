"""Turning what a model or technician types ("Waiting on Client", "jsmith", "17") into a picklist value.

Matching is deliberately strict (id, or the name compared case- and space-insensitively): a fuzzy
match could move a ticket to the wrong queue. A miss lists the valid names so the model can retry.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.domain import Picklist, PicklistOption
from core.errors import ValidationFailed

# Shown to the model in a miss; long member lists are cut so the reply stays small.
MAX_LISTED = 40

LABELS: dict[Picklist, str] = {
    Picklist.STATUS: "status",
    Picklist.BOARD: "board/queue/team",
    Picklist.MEMBER: "member",
    Picklist.PRIORITY: "priority",
    Picklist.TYPE: "type",
    Picklist.SUBTYPE: "subtype",
    Picklist.ITEM: "item",
    Picklist.WORK_TYPE: "work type",
}


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def find_option(options: Sequence[PicklistOption], wanted: str) -> PicklistOption | None:
    key = normalise(wanted)
    stripped = wanted.strip()
    for option in options:
        if option.external_id == stripped:
            return option
    matches = [option for option in options if normalise(option.name) == key]
    return matches[0] if len(matches) == 1 else None


def valid_names(options: Sequence[PicklistOption]) -> str:
    names = [option.name for option in options[:MAX_LISTED]]
    more = len(options) - len(names)
    listed = ", ".join(f"'{name}'" for name in names) or "none"
    return f"{listed} and {more} more" if more > 0 else listed


class PicklistMiss(ValidationFailed):
    """A value that is not in the PSA's list; its message is written for the model to act on."""

    code = "picklist_miss"


def pick(
    options: Sequence[PicklistOption], wanted: str, picklist: Picklist, *, where: str = ""
) -> PicklistOption:
    option = find_option(options, wanted)
    if option is not None:
        return option
    label = LABELS[picklist]
    scope = f" {where}" if where else ""
    if not options:
        raise PicklistMiss(f"This PSA has no {label} values{scope}.")
    ambiguous = sum(1 for o in options if normalise(o.name) == normalise(wanted)) > 1
    if ambiguous:
        raise PicklistMiss(f"More than one {label} is called '{wanted}'{scope}; give its id instead.")
    raise PicklistMiss(f"No {label} called '{wanted}'{scope}. Valid values: {valid_names(options)}")
