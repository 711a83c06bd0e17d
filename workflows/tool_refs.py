"""Which tools a workflow's text names, so unknown tools are refused and required integrations derived.

The rule: a tool reference is an inline code span whose whole content is a lower-case identifier,
optionally followed by an argument list, e.g. `log_time` or `log_time(hours=0.5)`.
- An identifier with an underscore (`m365_find_user`, `set_ticket_status`) always counts, so a misspelt
  or invented tool is caught instead of silently ignored.
- A single lower-case word (`approve`) counts only when it is a known tool's name: plain backticked words
  are usually emphasis.
- Anything else in backticks is a value, not a tool: status names (`Waiting on Client`), SKUs
  (`O365_BUSINESS_PREMIUM`), error codes (`50053`), mixed case, spaces, dots or hyphens.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

from connectors.base import Action

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_TOOL_LIKE = re.compile(r"\s*([a-z][a-z0-9]*(?:_[a-z0-9]+)*)\s*(?:\([^()]*\))?\s*")


def _identifiers(text: str) -> Iterator[str]:
    for span in _CODE_SPAN.finditer(text):
        match = _TOOL_LIKE.fullmatch(span.group(1))
        if match:
            yield match.group(1)


def referenced_tools(text: str, *, known: Collection[str] = ()) -> list[str]:
    """Tool names the text references, in order of first mention, each once."""
    found: dict[str, None] = {}
    for name in _identifiers(text):
        if "_" in name or name in known:
            found.setdefault(name)
    return list(found)


def unknown_tools(text: str, known: Collection[str]) -> list[str]:
    """Referenced names that are not tools; a single word only counts when known, so never appears here."""
    return [name for name in referenced_tools(text) if name not in known]


def required_kinds(text: str, actions: Iterable[Action]) -> set[str]:
    """Integration kinds ("psa", "m365") of the known tools the text references."""
    kind_of = {action.name: action.integration_kind for action in actions}
    return {kind_of[name] for name in referenced_tools(text, known=kind_of) if name in kind_of}
