"""The labelled matching set, ``evals/datasets/matching.yaml``: tickets and the templates that should match.

Loading validates everything (unique ids, known template keys and kind tags, text present) and names the
ticket at fault, so a typo in a label fails loudly instead of quietly lowering a recall figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

DATASET_PATH = Path(__file__).resolve().parents[1] / "datasets" / "matching.yaml"

# The 13 starter template keys (workflows/templates.py); a test checks they are the same set.
TEMPLATE_KEYS: tuple[str, ...] = (
    "enrich-similar-tickets",
    "enrich-requester-context",
    "categorize-and-route",
    "onboard-new-hire",
    "offboard-employee",
    "reset-password",
    "group-membership",
    "recommend-license-upgrade",
    "set-out-of-office",
    "update-ticket-status",
    "log-time-entry",
    "reset-locked-accounts",
    "investigate-suspicious-sign-in",
)
KINDS = frozenset(
    {
        "break-fix",
        "request",
        "alert",
        "reply",
        "technician",
        "forwarded",
        "signature",
        "typos",
        "terse",
        "long",
        "multi-issue",
        "near-miss",
        "no-match",
    }
)
# How much of the description the matcher's shortlist reads (agent/stages.py ``match``).
DESCRIPTION_CHARS = 1500


class DatasetError(ValueError):
    """The dataset file is malformed; the message names the ticket and the field."""


@dataclass(frozen=True)
class LabelledTicket:
    id: str
    summary: str
    description: str
    expected: tuple[str, ...]
    kinds: tuple[str, ...]

    def shortlist_text(self) -> str:
        """What the pipeline gives the shortlist: summary, newline, the description's first 1,500 chars."""
        return f"{self.summary}\n{self.description[:DESCRIPTION_CHARS]}"


def load_dataset(path: Path = DATASET_PATH) -> list[LabelledTicket]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, Mapping) or not isinstance(document.get("tickets"), list):
        raise DatasetError(f"{path}: expected a mapping with a 'tickets' list")
    tickets: list[LabelledTicket] = []
    seen: set[str] = set()
    for position, entry in enumerate(document["tickets"], start=1):
        ticket = _ticket(entry, f"{path.name} ticket {position}")
        if ticket.id in seen:
            raise DatasetError(f"{ticket.id}: duplicate id")
        seen.add(ticket.id)
        tickets.append(ticket)
    return tickets


def _ticket(entry: Any, where: str) -> LabelledTicket:
    if not isinstance(entry, Mapping):
        raise DatasetError(f"{where}: expected a mapping")
    ticket_id = _text(entry, "id", where)
    where = ticket_id
    unknown_fields = set(entry) - {"id", "kind", "summary", "description", "expected"}
    if unknown_fields:
        raise DatasetError(f"{where}: unknown field(s) {sorted(unknown_fields)}")
    expected = _strings(entry, "expected", where)
    unknown_keys = [key for key in expected if key not in TEMPLATE_KEYS]
    if unknown_keys:
        raise DatasetError(f"{where}: expected names unknown template key(s) {unknown_keys}")
    if len(set(expected)) != len(expected):
        raise DatasetError(f"{where}: expected repeats a key")
    kinds = _strings(entry, "kind", where)
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise DatasetError(f"{where}: kind must be a non-empty list of {sorted(KINDS)}, got {kinds}")
    return LabelledTicket(
        id=ticket_id,
        summary=_text(entry, "summary", where),
        description=_text(entry, "description", where),
        expected=tuple(expected),
        kinds=tuple(kinds),
    )


def _text(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: '{field}' must be non-empty text")
    return value.strip()


def _strings(entry: Mapping[str, Any], field: str, where: str) -> list[str]:
    value = entry.get(field)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DatasetError(f"{where}: '{field}' must be a list of strings")
    return list(value)
