"""What one agent run carries: the bound ticket and client, the PSA and the client's Microsoft 365
tenant, the offered actions and policy."""

from __future__ import annotations

from dataclasses import dataclass

from agent.policy import PolicySet
from connectors.base import Action, DirectoryConnector, PastTickets, PsaConnector
from core.domain import ClientInfo, Ticket


@dataclass
class AgentDeps:
    run_id: int
    integration_id: int
    client: ClientInfo
    ticket: Ticket
    psa: PsaConnector
    actions: dict[str, Action]
    policies: PolicySet
    directory: DirectoryConnector | None = None  # the client's Microsoft 365 tenant, when connected
    past_tickets: PastTickets | None = None  # this client's closed tickets, when retrieval is set up
