"""Typed async calls to the HaloPSA REST API (``{base_url}/api``) behind ``PsaConnector``."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from connectors.base import Capability
from connectors.halopsa.auth import ClockFn, HaloTokens
from connectors.halopsa.closed import (
    CLOSED_PAGE_SIZE,
    closed_params,
    closed_summaries,
    cursor_page,
)
from connectors.halopsa.config import HaloConfig
from connectors.halopsa.mapping import (
    CATEGORY_FIELD,
    CHARGE_TYPE_LOOKUP_ID,
    KIND,
    created_record,
    id_or_none,
    items_of,
    map_company,
    map_contact,
    map_note,
    map_options,
    map_ticket,
    map_ticket_summary,
    note_body,
    ticket_update_body,
    time_entry_body,
)
from connectors.halopsa.webhook import webhook_instructions
from connectors.http import SleepFn, TtlCache, VendorHttp, positive_int
from connectors.page_cursor import MAX_CLOSED_PAGES, closed_cursor
from core.domain import (
    AccessCheck,
    Company,
    Contact,
    Note,
    Picklist,
    PicklistOption,
    Ticket,
    TicketChanges,
    TicketPage,
    TicketSearch,
    TicketState,
    TicketSummary,
    TimeEntryDraft,
    WebhookRegistration,
)
from core.errors import IntegrationError, ValidationFailed

logger = logging.getLogger(__name__)

PICKLIST_CACHE_SECONDS = 600.0
SEARCH_PAGE_SIZE = 25
MAX_SEARCH_PAGES = 5
REFUSED_STATUSES = frozenset({401, 403, 404})

# Where each picklist is read; ITEM has no Halo counterpart. Params are fixed per list.
PICKLIST_PATHS: Mapping[Picklist, tuple[str, Mapping[str, str | int]]] = {
    Picklist.STATUS: ("/Status", {}),
    Picklist.BOARD: ("/Team", {}),
    Picklist.MEMBER: ("/Agent", {}),
    Picklist.PRIORITY: ("/Priority", {}),
    Picklist.TYPE: ("/TicketType", {}),
    Picklist.SUBTYPE: ("/Category", {"type_id": CATEGORY_FIELD}),
    Picklist.WORK_TYPE: ("/Lookup", {"lookupid": CHARGE_TYPE_LOOKUP_ID}),
}
# Lists that Halo narrows to what the ticket's type allows.
BY_TICKET_TYPE = frozenset({Picklist.STATUS, Picklist.SUBTYPE})

# Read probes per capability; writes cannot be tested without writing.
READ_PROBES: Mapping[Capability, str] = {
    Capability.READ_TICKETS: "/Tickets",
    Capability.READ_CONTACTS: "/Users",
    Capability.READ_COMPANIES: "/Client",
}
UNTESTABLE: Mapping[Capability, str] = {
    Capability.UPDATE_TICKETS: "Halo cannot tell without writing; needs the API application's and the "
    "agent's permission to edit tickets.",
    Capability.LOG_TIME: "Halo cannot tell without writing; time is logged as actions, so it needs the "
    "permission to add actions.",
    Capability.MANAGE_WEBHOOKS: "Deskhand does not create Halo webhooks; add it by hand "
    "(register-webhook prints the steps).",
}


class HaloClient:
    """``connectors.base.PsaConnector`` for HaloPSA."""

    kind = KIND

    def __init__(
        self,
        config: HaloConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        clock: ClockFn = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._http = VendorHttp(
            vendor="HaloPSA",
            timeout_seconds=config.timeout_seconds,
            transport=transport,
            sleep=sleep,
            rng=rng,
            secrets=(config.client_secret.get_secret_value(), config.webhook_password.get_secret_value()),
        )
        self._tokens = HaloTokens(config, self._http, clock)
        self._cache = TtlCache(PICKLIST_CACHE_SECONDS, clock)

    def __repr__(self) -> str:
        return f"HaloClient(base_url={self._config.base_url!r}, agent_id={self._config.agent_id})"

    @property
    def own_identity(self) -> str | None:
        return self._config.own_identity

    # -- tickets --------------------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: str) -> Ticket:
        ticket_num = positive_int(ticket_id, "ticket id")
        raw = await self._api("GET", f"/Tickets/{ticket_num}", params={"includedetails": "true"})
        if not isinstance(raw, Mapping):
            raise self._error("GET", f"/Tickets/{ticket_num}", "expected a JSON object")
        # Halo keeps notes as actions: a second call (acceptable within the 4-call triage budget).
        actions = await self._api("GET", "/Actions", params={"ticket_id": ticket_num})
        return map_ticket(raw, items_of(actions, "actions"))

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note:
        ticket_num = positive_int(ticket_id, "ticket id")
        if not text.strip():
            raise ValidationFailed("note text must not be empty")
        outcome = self._config.internal_note_outcome if internal else self._config.public_note_outcome
        body = note_body(ticket_num, text, internal=internal, outcome=outcome)
        # A resent POST would add the note twice, so it is never resent once Halo may have acted.
        created = await self._api("POST", "/Actions", json=body, idempotent=False)
        try:
            record = created_record(created)
        except ValidationFailed:
            raise self._error("POST", "/Actions", "expected the created action") from None
        # Halo attributes API actions to the application's agent; say so when it leaves the field out.
        return map_note(record, default_author=self._config.own_identity)

    async def update_ticket(self, ticket: Ticket, changes: TicketChanges) -> None:
        ticket_num = positive_int(ticket.external_id, "ticket id")
        if changes.is_empty():
            return
        body = ticket_update_body(ticket_num, changes)
        # Setting fields to values is idempotent, so a retry after a 5xx or timeout is safe.
        await self._api("POST", "/Tickets", json=body)

    async def log_time(self, ticket: Ticket, entry: TimeEntryDraft) -> str:
        """Time is an action with ``timetaken``: Halo bills and reports ticket time from actions
        (``chargerate``, ``actisbillable``), and a TimesheetEvent only points at an action
        (``action_number``), so an action alone is the complete, ticket-visible entry."""
        ticket_num = positive_int(ticket.external_id, "ticket id")
        if entry.ended_at <= entry.started_at:
            raise ValidationFailed("a time entry must end after it starts")
        body = time_entry_body(ticket_num, entry, outcome=self._config.internal_note_outcome)
        created = await self._api("POST", "/Actions", json=body, idempotent=False)
        try:
            entry_id = id_or_none(created_record(created).get("id"))
        except ValidationFailed:
            entry_id = None
        if entry_id is None:
            raise self._error("POST", "/Actions", "expected the created action's id")
        return entry_id

    async def search_tickets(self, query: TicketSearch) -> list[TicketSummary]:
        company = positive_int(query.company_id, "company id")
        params: dict[str, str | int] = {
            "client_id": company,
            "order": "dateoccurred",
            "orderdesc": "true",
            "pageinate": "true",
        }
        if query.contact_id:
            params["user_id"] = positive_int(query.contact_id, "contact id")
        if query.state is TicketState.OPEN:
            params["open_only"] = "true"
        elif query.state is TicketState.CLOSED:
            params["closed_only"] = "true"
        else:
            params["open_only"] = "false"
        if query.text and query.text.strip():
            params["search"] = query.text.strip()[:200]
        page_size = min(query.limit + 1, 50) if query.exclude_ticket_id else query.limit
        found: list[TicketSummary] = []
        for page_no in range(1, MAX_SEARCH_PAGES + 1):
            raw = await self._api(
                "GET", "/Tickets", params={**params, "page_size": page_size, "page_no": page_no}
            )
            batch = items_of(raw, "tickets")
            for item in batch:
                summary = map_ticket_summary(item)
                # Client-scoped by contract: drop anything Halo returns for another client.
                if summary is None or summary.company_id != str(company):
                    continue
                if summary.external_id == query.exclude_ticket_id:
                    continue
                found.append(summary)
            total = raw.get("record_count") if isinstance(raw, Mapping) else None
            seen = page_no * page_size
            if len(found) >= query.limit or len(batch) < page_size:
                break
            if isinstance(total, int) and seen >= total:
                break
        return found[: query.limit]

    async def closed_tickets(self, since: datetime, *, cursor: str | None = None) -> TicketPage:
        """One page (100) of every client's tickets closed at or after ``since``, oldest closed first
        then by id, as Halo sorts them. The cursor is the next page number (``page=N;since=...``): a
        ticket reopened during the walk shifts later pages by one, so one ticket may be missed until it
        closes again; a ticket closed during the walk lands at the end and is still read."""
        page = cursor_page(cursor, since)
        raw = await self._api("GET", "/Tickets", params=closed_params(since, page))
        if not isinstance(raw, Mapping) or not isinstance(raw.get("tickets"), list):
            raise self._error("GET", "/Tickets", "expected a paginated ticket list")
        batch = items_of(raw, "tickets")
        total = raw.get("record_count")
        more = len(raw["tickets"]) >= CLOSED_PAGE_SIZE  # a short page is the last one
        if isinstance(total, int) and not isinstance(total, bool) and page * CLOSED_PAGE_SIZE >= total:
            more = False
        next_cursor = None
        if more:
            if page >= MAX_CLOSED_PAGES:
                raise self._error("GET", "/Tickets", f"closed tickets go on past {MAX_CLOSED_PAGES} pages")
            next_cursor = closed_cursor(page + 1, since)
        return TicketPage(tickets=closed_summaries(batch, since), next_cursor=next_cursor)

    # -- picklists ------------------------------------------------------------------------------------

    async def list_options(self, picklist: Picklist, ticket: Ticket) -> list[PicklistOption]:
        where = PICKLIST_PATHS.get(picklist)
        if where is None:
            return []  # Halo has no "item" on tickets
        path, fixed = where
        params: dict[str, str | int] = dict(fixed)
        scope = "*"
        if picklist in BY_TICKET_TYPE and ticket.type_id:
            params["tickettype_id"] = positive_int(ticket.type_id, "ticket type id")
            scope = str(params["tickettype_id"])
        cache_key = f"{picklist.value}:{scope}"
        cached = self._cache.get(cache_key)
        if cached is not None:
            return list(cached)
        raw = await self._api("GET", path, params=params or None)
        options = map_options(picklist, raw)
        self._cache.put(cache_key, tuple(options))
        return options

    # -- contacts and companies -----------------------------------------------------------------------

    async def get_contact(self, contact_id: str) -> Contact:
        user_num = positive_int(contact_id, "contact id")
        return map_contact(await self._api("GET", f"/Users/{user_num}"))

    async def get_company(self, company_id: str) -> Company:
        client_num = positive_int(company_id, "company id")
        return map_company(await self._api("GET", f"/Client/{client_num}"))

    # -- integration lifecycle ------------------------------------------------------------------------

    async def check_access(self) -> list[AccessCheck]:
        """Read probes; a token that cannot be obtained fails the whole test (IntegrationError)."""
        await self._tokens.token()
        checks: list[AccessCheck] = []
        for capability in Capability:
            if capability in READ_PROBES:
                checks.append(await self._probe(capability, READ_PROBES[capability]))
            elif capability is Capability.WRITE_NOTES:
                checks.append(await self._check_agent())
            else:
                checks.append(
                    AccessCheck(capability=capability.value, ok=None, detail=UNTESTABLE[capability])
                )
        return checks

    async def _probe(self, capability: Capability, path: str) -> AccessCheck:
        params: dict[str, str | int] = {"pageinate": "true", "page_size": 1, "page_no": 1}
        try:
            await self._api("GET", path, params=params)
        except IntegrationError as exc:
            if exc.status not in REFUSED_STATUSES:
                raise
            return AccessCheck(capability=capability.value, ok=False, detail=exc.detail)
        return AccessCheck(capability=capability.value, ok=True, detail=f"GET {path} allowed")

    async def _check_agent(self) -> AccessCheck:
        """Writes cannot be probed, but the agent they will be attributed to can: it must be
        ``agent_id``, or Deskhand would not recognise its own notes (echo detection)."""
        capability = Capability.WRITE_NOTES.value
        try:
            me = await self._api("GET", "/Agent/me")
        except IntegrationError as exc:
            if exc.status not in REFUSED_STATUSES:
                raise
            return AccessCheck(
                capability=capability, ok=None, detail=f"could not read /Agent/me: {exc.detail}"
            )
        me_id = id_or_none(me.get("id")) if isinstance(me, Mapping) else None
        if me_id is not None and me_id != self._config.own_identity:
            return AccessCheck(
                capability=capability,
                ok=False,
                detail=f"the API application acts as agent {me_id}, but agent_id is "
                f"{self._config.agent_id}: set agent_id to {me_id} so Deskhand recognises its own notes",
            )
        return AccessCheck(
            capability=capability,
            ok=None,
            detail="Halo cannot tell without writing; notes will be written as agent "
            f"{self._config.agent_id}",
        )

    def learned_config(self) -> dict[str, Any]:
        return {}

    async def register_webhook(self, url: str) -> WebhookRegistration:
        """Halo webhooks are set up in Halo by a person (events are notification profiles with
        conditions), so Deskhand only says exactly what to enter."""
        return WebhookRegistration(
            registered=False,
            detail="HaloPSA webhooks are created in Halo: Configuration > Integrations > Webhooks.",
            instructions=webhook_instructions(self._config, url),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- HTTP -----------------------------------------------------------------------------------------

    async def _api(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> Any:
        url = self._config.api_url + path
        token = await self._tokens.token()
        try:
            return await self._send(method, url, path, token, params, json, idempotent)
        except IntegrationError as exc:
            if exc.status != 401:
                raise
        # A 401 means the token was refused before anything happened: drop it and resend once.
        logger.info("HaloPSA %s %s: token refused, fetching a new one", method, path)
        self._tokens.invalidate(token)
        token = await self._tokens.token()
        return await self._send(method, url, path, token, params, json, idempotent)

    async def _send(
        self,
        method: str,
        url: str,
        path: str,
        token: str,
        params: Mapping[str, str | int] | None,
        json: Any,
        idempotent: bool,
    ) -> Any:
        return await self._http.request(
            method,
            url,
            label=path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            idempotent=idempotent,
        )

    def _error(self, method: str, path: str, message: str) -> IntegrationError:
        return self._http.error(method, path, None, message)
