"""Which workflows apply to a client: shared ones, unless the client has its own of the same name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Scoped(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def client_id(self) -> int | None: ...


def normalize_title(title: str) -> str:
    """Trimmed, whitespace collapsed, case-insensitive."""
    return " ".join(title.split()).casefold()


W = TypeVar("W", bound=Scoped)


@dataclass(frozen=True)
class ScopeResolution(Generic[W]):
    effective: list[W]
    overridden: list[tuple[W, W]]  # (shared workflow, the client workflow that replaces it)


def resolve_scope(workflows: Sequence[W], *, client_id: int) -> ScopeResolution[W]:
    own = {normalize_title(w.title): w for w in workflows if w.client_id == client_id}
    effective: list[W] = []
    overridden: list[tuple[W, W]] = []
    for workflow in workflows:
        if workflow.client_id is None:
            replacement = own.get(normalize_title(workflow.title))
            if replacement is not None:
                overridden.append((workflow, replacement))
                continue
            effective.append(workflow)
        elif workflow.client_id == client_id:
            effective.append(workflow)
    return ScopeResolution(effective=effective, overridden=overridden)
