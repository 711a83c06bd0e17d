"""``PsaConnector`` for ConnectWise PSA: typed async calls to the REST API (``/apis/3.0``).

PSA calls per triage-only run: GET ticket, GET notes (ConnectWise serves notes separately), statuses from
the 10-minute cache, one POST note, one PATCH. Companyinfo discovery happens once per client.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from contextlib import aclosing
from datetime import datetime
from typing import Any

import httpx

from connectors.connectwise.access import check_access
from connectors.connectwise.api import ConnectWiseApi
from connectors.connectwise.callback_registration import register_ticket_callback
from connectors.connectwise.closed import (
    CLOSED_ORDER,
    CLOSED_PAGE_SIZE,
    closed_conditions,
    closed_summaries,
    cursor_page,
)
from connectors.connectwise.config import ConnectWiseConfig
from connectors.connectwise.mapping import (
    KIND,
    map_company_record,
    map_contact_record,
    map_note,
    map_ticket,
    map_ticket_summary,
    note_body,
)
from connectors.connectwise.picklists import PicklistReader
from connectors.connectwise.tickets import (
    SEARCH_MAX_PAGES,
    SEARCH_ORDER,
    search_conditions,
    ticket_patch,
    time_entry_body,
)
from connectors.http import SleepFn, positive_int
from connectors.json_values import text_or_none
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
    TicketSummary,
    TimeEntryDraft,
    WebhookRegistration,
)
from core.errors import ValidationFailed

ClockFn = Callable[[], float]

NOTES_PAGE_SIZE = 100
MAX_NOTE_PAGES = 10


class ConnectWiseClient:
    """``connectors.base.PsaConnector`` for ConnectWise PSA."""

    kind = KIND

    def __init__(
        self,
        config: ConnectWiseConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        clock: ClockFn = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._api = ConnectWiseApi(config, transport=transport, sleep=sleep, rng=rng)
        self._picklists = PicklistReader(self._api, clock)

    def __repr__(self) -> str:
        return f"ConnectWiseClient(origin={self._config.origin!r}, company_id={self._config.company_id!r})"

    @property
    def own_identity(self) -> str | None:
        return self._config.own_identity

    async def discover_codebase(self) -> str:
        return await self._api.discover_codebase()

    def learned_config(self) -> dict[str, Any]:
        codebase = self._api.discovered_codebase
        return {"codebase": codebase} if codebase is not None else {}

    # -- tickets --------------------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: str) -> Ticket:
        ticket_num = positive_int(ticket_id, "ticket id")
        raw = await self._api.get_object(f"/service/tickets/{ticket_num}")
        notes = await self._api.get_list(
            f"/service/tickets/{ticket_num}/notes",
            params={"orderBy": "id asc"},
            page_size=NOTES_PAGE_SIZE,
            max_pages=MAX_NOTE_PAGES,
        )
        return map_ticket(raw, notes)

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note:
        ticket_num = positive_int(ticket_id, "ticket id")
        if not text.strip():
            raise ValidationFailed("note text must not be empty")
        body = note_body(text, internal=internal, member_identifier=self._config.api_member_identifier)
        path = f"/service/tickets/{ticket_num}/notes"
        # POST is not idempotent: never resent after the server may have acted on it (duplicate notes).
        created = await self._api.call("POST", path, json=body, idempotent=False)
        if not isinstance(created, Mapping):
            raise self._api.error("POST", path, "expected a JSON object")
        return map_note(created)

    async def list_options(self, picklist: Picklist, ticket: Ticket) -> list[PicklistOption]:
        return await self._picklists.options(picklist, ticket)

    async def update_ticket(self, ticket: Ticket, changes: TicketChanges) -> None:
        ticket_num = positive_int(ticket.external_id, "ticket id")
        operations = ticket_patch(ticket, changes)
        if not operations:
            return
        # One request for every field; "replace" operations are idempotent, so a resend after a 5xx is safe.
        # No skipCallback: it would hide the change from every other callback subscriber, and our own
        # edits are already recognised as echoes (``updatedBy`` is the API member).
        await self._api.call("PATCH", f"/service/tickets/{ticket_num}", json=operations)

    async def log_time(self, ticket: Ticket, entry: TimeEntryDraft) -> str:
        ticket_num = positive_int(ticket.external_id, "ticket id")
        body = time_entry_body(ticket_num, entry)
        # POST is not idempotent: a resend after a 5xx could book the time twice.
        created = await self._api.call("POST", "/time/entries", json=body, idempotent=False)
        entry_id = text_or_none(created.get("id")) if isinstance(created, Mapping) else None
        if entry_id is None:
            raise self._api.error("POST", "/time/entries", "time entry was created without an id")
        return entry_id

    async def search_tickets(self, query: TicketSearch) -> list[TicketSummary]:
        company_id = str(positive_int(query.company_id, "company id"))
        excluded = query.exclude_ticket_id and str(positive_int(query.exclude_ticket_id, "ticket id"))
        params = {"conditions": search_conditions(query), "orderBy": SEARCH_ORDER}
        found: list[TicketSummary] = []
        pages = self._api.pages(
            "/service/tickets", params=params, page_size=query.limit, max_pages=SEARCH_MAX_PAGES
        )
        async with aclosing(pages):  # stopping early must close the page generator
            async for batch in pages:
                for item in batch:
                    summary = map_ticket_summary(item)
                    # The conditions already say so; checked again so no record of another company leaks.
                    if (
                        summary is not None
                        and summary.company_id == company_id
                        and summary.external_id != excluded
                    ):
                        found.append(summary)
                if len(found) >= query.limit:
                    break
        return found[: query.limit]

    async def closed_tickets(self, since: datetime, *, cursor: str | None = None) -> TicketPage:
        """One page (100) of every company's tickets closed at or after ``since``, oldest closed first
        then by id, as ConnectWise sorts them. The cursor is the next page number (``page=N;since=...``):
        a ticket reopened during the walk shifts later pages by one, so one ticket may be missed until
        it closes again; a ticket closed during the walk lands at the end and is still read."""
        page = cursor_page(cursor, since)
        params: dict[str, str | int] = {
            "conditions": closed_conditions(since),
            "orderBy": CLOSED_ORDER,
            "pageSize": CLOSED_PAGE_SIZE,
            "page": page,
        }
        batch = await self._api.call("GET", "/service/tickets", params=params)
        if not isinstance(batch, list):
            raise self._api.error("GET", "/service/tickets", "expected a JSON list")
        next_cursor = None
        if len(batch) >= CLOSED_PAGE_SIZE:  # a short page is the last one
            if page >= MAX_CLOSED_PAGES:
                raise self._api.error(
                    "GET", "/service/tickets", f"closed tickets go on past {MAX_CLOSED_PAGES} pages"
                )
            next_cursor = closed_cursor(page + 1, since)
        return TicketPage(tickets=closed_summaries(batch, since), next_cursor=next_cursor)

    # -- contacts and companies -----------------------------------------------------------------------

    async def get_contact(self, contact_id: str) -> Contact:
        contact_num = positive_int(contact_id, "contact id")
        return map_contact_record(await self._api.get_object(f"/company/contacts/{contact_num}"))

    async def get_company(self, company_id: str) -> Company:
        company_num = positive_int(company_id, "company id")
        return map_company_record(await self._api.get_object(f"/company/companies/{company_num}"))

    # -- integration ----------------------------------------------------------------------------------

    async def check_access(self) -> list[AccessCheck]:
        return await check_access(self._api)

    async def register_webhook(self, url: str) -> WebhookRegistration:
        return await register_ticket_callback(self._api, url)

    async def aclose(self) -> None:
        await self._api.aclose()
