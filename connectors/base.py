"""Capability protocols and the Action descriptor every connector speaks.

``agent`` and ``workflows`` see vendors only through these; concrete classes are wired in ``api``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field, SecretStr

from core.directory import (
    AutoReply,
    DirectoryUser,
    GroupRef,
    NewUser,
    ProfileChanges,
    RiskyUser,
    SignIn,
    Sku,
    TenantHealth,
    UserDetail,
)
from core.domain import (
    AccessCheck,
    Company,
    Contact,
    Note,
    ParsedWebhook,
    PastTicket,
    Picklist,
    PicklistOption,
    Ticket,
    TicketChanges,
    TicketPage,
    TicketSearch,
    TicketSummary,
    TimeEntryDraft,
    WebhookRegistration,
)


class Risk(StrEnum):
    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


class ActionResult(BaseModel):
    """What a tool call returns to the model and to Activity."""

    ok: bool
    summary: str
    data: dict[str, Any] = {}
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    # A generated credential (temporary password) for the technician only: excluded from every dump, so
    # it reaches neither the model, nor Activity, nor a DBOS checkpoint in clear.
    secret: SecretStr | None = Field(default=None, exclude=True, repr=False)


class Capability(StrEnum):
    """What a connection test reports on, one line each."""

    READ_TICKETS = "read_tickets"
    WRITE_NOTES = "write_notes"
    UPDATE_TICKETS = "update_tickets"
    LOG_TIME = "log_time"
    READ_CONTACTS = "read_contacts"
    READ_COMPANIES = "read_companies"
    MANAGE_WEBHOOKS = "manage_webhooks"


@runtime_checkable
class PsaConnector(Protocol):
    """Ticket capabilities of one PSA integration. Ids are the PSA's own, as strings.

    Every method raises ``core.errors.IntegrationError`` (with the vendor's message, secrets scrubbed)
    when the PSA refuses or fails, and ``core.errors.ValidationFailed`` for an id that is not well formed.
    """

    kind: str

    @property
    def own_identity(self) -> str | None:
        """The PSA member/resource/agent identifier Deskhand writes as (used for echo detection).

        It is compared with ``Note.author``, ``Ticket.updated_by`` and ``ParsedWebhook.actor``, so each
        connector maps all four to the same form (ConnectWise member identifier, Autotask resource id,
        Halo agent id)."""
        ...

    async def get_ticket(self, ticket_id: str) -> Ticket:
        """The ticket with its notes (oldest first); the description is not repeated as a note."""
        ...

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note:
        """An internal note, or (``internal=False``) one the customer sees. Never triggers PSA emails
        or automations where the PSA lets us say so."""
        ...

    async def list_options(self, picklist: Picklist, ticket: Ticket) -> list[PicklistOption]:
        """Active values of a picklist that apply to this ticket (statuses of its board, ...), read from
        the PSA and cached. A PSA without such a field returns ``[]``."""
        ...

    async def update_ticket(self, ticket: Ticket, changes: TicketChanges) -> None:
        """Apply the non-empty fields of ``changes`` in one request where the PSA allows it."""
        ...

    async def log_time(self, ticket: Ticket, entry: TimeEntryDraft) -> str:
        """Create a time entry on the ticket; returns its id."""
        ...

    async def search_tickets(self, query: TicketSearch) -> list[TicketSummary]:
        """The company's tickets, newest first, at most ``query.limit`` (pages followed up to a cap)."""
        ...

    async def closed_tickets(self, since: datetime, *, cursor: str | None = None) -> TicketPage:
        """Tickets of every company closed at or after ``since``, oldest first, one page (~100) per call.
        Pass the returned ``next_cursor`` back for the next page; resumable after a crash."""
        ...

    async def get_contact(self, contact_id: str) -> Contact: ...

    async def get_company(self, company_id: str) -> Company: ...

    async def check_access(self) -> list[AccessCheck]:
        """Read-only probes, one per ``Capability``, with the vendor's error text when refused."""
        ...

    def learned_config(self) -> dict[str, Any]:
        """Config values discovered while talking to the PSA (ConnectWise codebase, Autotask zone URL);
        the connection test saves them so later clients skip discovery. ``{}`` when nothing was learnt."""
        ...

    async def register_webhook(self, url: str) -> WebhookRegistration:
        """Create the PSA's ticket webhook pointing at ``url`` (or say exactly what to enter by hand)."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class DirectoryConnector(Protocol):
    """Microsoft 365 directory of ONE client tenant. The tenant is fixed when the connector is built
    (from the ticket's client), so nothing a model says can point it at another tenant.

    ``user`` arguments are an object id or a UPN; anything that does not resolve inside this tenant raises
    ``IntegrationError`` with status 404. Vendor failures raise ``IntegrationError`` with the vendor's text.
    """

    @property
    def tenant_id(self) -> str: ...

    async def find_users(self, query: str, *, limit: int = 10) -> list[DirectoryUser]:
        """By UPN, mail or display name; an exact UPN/mail match first, then prefix matches."""
        ...

    async def get_user(self, user: str) -> DirectoryUser: ...

    async def user_detail(self, user_id: str) -> UserDetail:
        """Licences, groups, directory roles, manager, last sign-in and registered MFA methods."""
        ...

    async def list_skus(self) -> list[Sku]: ...

    async def list_groups(self, query: str | None = None, *, limit: int = 25) -> list[GroupRef]: ...

    async def get_group(self, group_id: str) -> GroupRef: ...

    async def sign_ins(self, user_id: str, *, limit: int = 20) -> list[SignIn]: ...

    async def risky_users(self, *, limit: int = 20) -> list[RiskyUser]: ...

    async def verified_domains(self) -> list[str]: ...

    async def create_user(self, draft: NewUser) -> DirectoryUser: ...

    async def update_user(self, user_id: str, changes: ProfileChanges) -> None: ...

    async def set_account_enabled(self, user_id: str, enabled: bool) -> None: ...

    async def revoke_sessions(self, user_id: str) -> None: ...

    async def reset_password(self, user_id: str, password: SecretStr, *, force_change: bool) -> None: ...

    async def change_licenses(self, user_id: str, *, add: Sequence[str], remove: Sequence[str]) -> None:
        """SKU ids to add and remove in one ``assignLicense`` call."""
        ...

    async def add_group_member(self, group_id: str, user_id: str) -> None: ...

    async def remove_group_member(self, group_id: str, user_id: str) -> None: ...

    async def get_auto_reply(self, user_id: str) -> AutoReply: ...

    async def set_auto_reply(self, user_id: str, reply: AutoReply) -> None: ...

    async def health(self) -> TenantHealth:
        """Token works? Which application permissions and Entra roles the app has in this tenant."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class PastTickets(Protocol):
    """Similar closed tickets of ONE client, bound when built, so no argument can reach another client."""

    async def similar(
        self, text: str, *, limit: int, exclude_ticket_id: str | None = None
    ) -> list[PastTicket]: ...


@runtime_checkable
class WebhookReceiver(Protocol):
    """Authenticates a raw delivery, then parses it. ``authenticate`` always runs first."""

    async def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise ``core.errors.AuthenticationError`` unless the delivery is genuine."""
        ...

    def parse(self, body: bytes) -> ParsedWebhook:
        """Raise ``core.errors.ValidationFailed`` for a body that is not the vendor's envelope."""
        ...


@dataclass(frozen=True)
class ActionContext:
    """Everything an action may act on. Ticket, client and tenant come from here, never from model
    arguments. ``approved`` is True only when a technician approved this very call."""

    psa: PsaConnector
    ticket: Ticket
    directory: DirectoryConnector | None = None
    past_tickets: PastTickets | None = None
    approved: bool = False


ActionHandler = Callable[[ActionContext, Any], Awaitable[ActionResult]]


@dataclass(frozen=True)
class Action:
    """A tool a connector offers to the agent."""

    name: str
    description: str
    input_model: type[BaseModel]
    risk: Risk
    reversible: bool
    integration_kind: str
    handler: ActionHandler = field(repr=False)
    requires: tuple[str, ...] = field(
        default=(), metadata={"doc": "Any one of these permissions makes the action available"}
    )

    @property
    def writes(self) -> bool:
        return self.risk is not Risk.READ


class ConnectorFactory(Protocol):
    """Builds vendor objects from a stored integration's kind and decrypted config (wired in ``api``)."""

    def kinds(self) -> list[str]: ...

    def validate_config(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        """Normalised config, or ``core.errors.ValidationFailed`` naming the bad field."""
        ...

    def public_config(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        """Config safe to show: every secret field masked."""
        ...

    def secret_values(self, kind: str, config: dict[str, Any]) -> list[str]:
        """The config's secret values, so text shown to people can be scrubbed of them."""
        ...

    def own_identity(self, kind: str, config: dict[str, Any]) -> str | None:
        """The PSA identity Deskhand writes as, without building a client."""
        ...

    def psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """The shared client for this config on the running event loop; never close it."""
        ...

    def new_psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """A private client the caller must close."""
        ...

    def webhook_receiver(self, kind: str, config: dict[str, Any]) -> WebhookReceiver: ...

    def is_directory(self, kind: str) -> bool:
        """Whether integrations of this kind connect client Microsoft 365 tenants."""
        ...

    def directory(self, kind: str, config: dict[str, Any], tenant_id: str) -> DirectoryConnector:
        """The shared directory client of one client tenant on the running event loop; never close it."""
        ...
