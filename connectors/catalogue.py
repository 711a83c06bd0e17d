"""Every tool the agent can be offered, PSA and Microsoft 365 alike (names are unique)."""

from __future__ import annotations

from connectors.base import Action
from connectors.context_actions import CONTEXT_ACTIONS
from connectors.directory_actions import DIRECTORY_READ_ACTIONS
from connectors.directory_destructive_actions import DESTRUCTIVE_ACTIONS
from connectors.directory_write_actions import WRITE_ACTIONS
from connectors.ticket_actions import TICKET_ACTIONS

DIRECTORY_ACTIONS: tuple[Action, ...] = DIRECTORY_READ_ACTIONS + WRITE_ACTIONS + DESTRUCTIVE_ACTIONS
ALL_ACTIONS: tuple[Action, ...] = TICKET_ACTIONS + CONTEXT_ACTIONS + DIRECTORY_ACTIONS

if len({action.name for action in ALL_ACTIONS}) != len(ALL_ACTIONS):  # pragma: no cover - import-time guard
    raise RuntimeError("two actions share a name")
