"""The OData ``$filter`` subset the fake Graph understands: what Deskhand writes (or/and, startswith, eq)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class FilterError(ValueError):
    pass


Predicate = Callable[[dict[str, Any]], bool]
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_STARTSWITH = re.compile(r"startswith\(([\w/]+),\s*#(\d+)\)", re.IGNORECASE)
_EQUALS = re.compile(r"([\w/]+) eq (?:#(\d+)|(true|false))")


def _field(record: dict[str, Any], path: str) -> str:
    value: Any = record
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return str(value).casefold() if value is not None else ""


def _compare(path: str, wanted: str, *, prefix_only: bool) -> Predicate:
    if prefix_only:
        return lambda record: _field(record, path).startswith(wanted)
    return lambda record: _field(record, path) == wanted


def parse_filter(text: str) -> Predicate:
    """A predicate for ``text``; ``FilterError`` where Graph would refuse it (an unescaped quote...)."""
    literals = [m.group(0)[1:-1].replace("''", "'").casefold() for m in _LITERAL.finditer(text)]
    counter = iter(range(len(literals)))
    masked = _LITERAL.sub(lambda _m: f"#{next(counter)}", text)
    if "'" in masked:
        raise FilterError("unterminated string literal")
    alternatives: list[list[Predicate]] = []
    for alternative in re.split(r"\s+or\s+", masked.strip()):
        clauses: list[Predicate] = []
        for clause in re.split(r"\s+and\s+", alternative):
            if match := _STARTSWITH.fullmatch(clause):
                path, prefix = match.group(1), literals[int(match.group(2))]
                clauses.append(_compare(path, prefix, prefix_only=True))
            elif match := _EQUALS.fullmatch(clause):
                path, index, flag = match.groups()
                wanted = literals[int(index)] if index is not None else str(flag == "true").casefold()
                clauses.append(_compare(path, wanted, prefix_only=False))
            else:
                raise FilterError(f"cannot parse {clause!r}")
        alternatives.append(clauses)
    return lambda record: any(all(clause(record) for clause in group) for group in alternatives)
