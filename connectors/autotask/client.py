"""``connectors.base.PsaConnector`` for Autotask PSA over its REST API (``/ATServicesRest/V1.0``)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.autotask import setup
from connectors.autotask.api import AutotaskApi, ClockFn
from connectors.autotask.closed import (
    CLOSED_PAGE_SIZE,
    check_cursor_shape,
    closed_filters,
    closed_summaries,
    on_next_page_path,
)
from connectors.autotask.config import AutotaskConfig
from connectors.autotask.limits import AutotaskLimits
from connectors.autotask.mapping import (
    KIND,
    check_hours,
    company_number,
    map_company,
    map_contact,
    map_ticket,
    map_ticket_summary,
    note_body,
    search_filters,
    ticket_update_body,
    time_entry_body,
)
from connectors.autotask.picklists import NotePicklists, TicketPicklists, note_picklists, ticket_picklists
from connectors.autotask.values import flag, fold, number
from connectors.autotask.values import text as text_of
from connectors.http import SleepFn, positive_int
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
from core.errors import IntegrationError, ValidationFailed

logger = logging.getLogger(__name__)

MAX_NOTE_PAGES = 10  # 5,000 notes; a ticket with more is not one Deskhand should be reading whole
MAX_SEARCH_PAGES = 5
MAX_RESOURCE_PAGES = 4
WORK_TYPE_USE_TYPE = 1  # BillingCodes.useType 1 = Work Type (the codes time entries are billed under)
_OLDEST = datetime.min.replace(tzinfo=UTC)


class AutotaskClient:
    """``connectors.base.PsaConnector`` for Autotask PSA.

    Picklists (Tickets and TicketNotes field metadata, resources, work types) and company names are
    cached for ten minutes, so a warm triage costs four requests: the ticket, its notes, one note and
    one ticket update.
    """

    kind = KIND

    def __init__(
        self,
        config: AutotaskConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        clock: ClockFn = time.monotonic,
        rng: random.Random | None = None,
        limits: AutotaskLimits | None = None,
    ) -> None:
        self._config = config
        self._api = AutotaskApi(config, transport=transport, sleep=sleep, clock=clock, rng=rng, limits=limits)
        # Resource id -> its default Service Desk role, learnt from Resources reads (assignment needs it).
        self._roles: dict[int, int | None] = {}

    def __repr__(self) -> str:
        return (
            f"AutotaskClient(username={self._config.username!r}, zone_url={self._api.discovered_zone_url!r})"
        )

    @property
    def own_identity(self) -> str | None:
        return self._config.own_identity

    def learned_config(self) -> dict[str, Any]:
        zone = self._api.discovered_zone_url
        return {"zone_url": zone} if zone else {}

    # -- reads ----------------------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: str) -> Ticket:
        ticket_num = positive_int(ticket_id, "ticket id")
        raw = await self._api.require_item(f"/Tickets/{ticket_num}", f"ticket {ticket_num}")
        notes, more = await self._api.query(
            "TicketNotes", [{"op": "eq", "field": "ticketID", "value": ticket_num}], max_pages=MAX_NOTE_PAGES
        )
        if more:
            logger.warning("Autotask ticket %s has more than %d pages of notes", ticket_num, MAX_NOTE_PAGES)
        tickets, note_lists = await self._ticket_picklists(), await self._note_picklists()
        company_id = number(fold(raw).get("companyid"))
        company_name = await self._company_name(company_id) if company_id is not None else None
        return map_ticket(raw, notes, tickets=tickets, note_picklists=note_lists, company_name=company_name)

    async def list_options(self, picklist: Picklist, ticket: Ticket) -> list[PicklistOption]:
        """Statuses, queues, priorities and issue types from the Tickets picklists; sub-issue types come
        with their issue type as ``parent_id`` (all of them, since the type may change in the same update).
        Autotask has no item field."""
        if picklist is Picklist.MEMBER:
            return list(await self._resources())
        if picklist is Picklist.WORK_TYPE:
            return list(await self._work_types())
        if picklist is Picklist.ITEM:
            return []
        return (await self._ticket_picklists()).options(picklist)

    async def search_tickets(self, query: TicketSearch) -> list[TicketSummary]:
        """Autotask queries have no sort order, so pages are read up to a cap and sorted here."""
        tickets = await self._ticket_picklists()
        filters = search_filters(query, complete_status=tickets.complete_status)
        items, more = await self._api.query("Tickets", filters, max_pages=MAX_SEARCH_PAGES)
        if more:
            logger.info("Autotask ticket search stopped after %d pages", MAX_SEARCH_PAGES)
        found = [s for s in (map_ticket_summary(item, tickets) for item in items) if s is not None]
        found.sort(key=lambda s: (s.created_at or _OLDEST, number(s.external_id) or 0), reverse=True)
        return found[: query.limit]

    async def closed_tickets(self, since: datetime, *, cursor: str | None = None) -> TicketPage:
        """One query page (100) of every company's Complete tickets with ``completedDate`` at or after
        ``since``. Autotask cannot sort a query, so the order is only per page (completion time, then
        id); across pages the walk follows Autotask's paging (by ticket id), not completion time. Every
        ticket that is Complete when its part of the walk is read is returned once; the cursor is
        Autotask's ``nextPageUrl``, accepted back only for this integration's zone."""
        page_url = check_cursor_shape(cursor) if cursor is not None else None
        zone = await self._api.zone()
        if page_url is not None and not self._next_page_on(page_url, zone):
            raise ValidationFailed("Autotask cursor is not a Tickets next page on this integration's zone")
        tickets = await self._ticket_picklists()
        filters = closed_filters(since, complete_status=tickets.complete_status)
        items, next_url = await self._api.query_page(
            "Tickets", filters, max_records=CLOSED_PAGE_SIZE, page_url=page_url
        )
        if next_url is not None and (next_url == page_url or not self._next_page_on(next_url, zone)):
            # Handing it out would make the backfill refuse it, or ask for the same page forever.
            raise IntegrationError(
                "Autotask POST /V1.0/Tickets/query failed: nextPageUrl is off this zone or repeats the page"
            )
        return TicketPage(tickets=closed_summaries(items, since, tickets), next_cursor=next_url)

    def _next_page_on(self, url: str, zone: str) -> bool:
        return self._api.on_zone(url, zone) and on_next_page_path(url, zone)

    async def get_contact(self, contact_id: str) -> Contact:
        contact_num = positive_int(contact_id, "contact id")
        return map_contact(await self._api.require_item(f"/Contacts/{contact_num}", f"contact {contact_num}"))

    async def get_company(self, company_id: str) -> Company:
        company_num = company_number(company_id)
        company = map_company(
            await self._api.require_item(f"/Companies/{company_num}", f"company {company_num}")
        )
        self._api.cache.put(f"company:{company_num}", company.name)
        return company

    # -- writes ---------------------------------------------------------------------------------------

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note:
        """API-created notes send no Autotask notification emails; ``publish`` decides who sees it."""
        ticket_num = positive_int(ticket_id, "ticket id")
        if not text.strip():
            raise ValidationFailed("note text must not be empty")
        lists = await self._note_picklists()
        publish = lists.internal_publish if internal else lists.public_publish
        body = note_body(ticket_num, text, note_type=lists.note_type, publish=publish)
        # POST is never resent after the server may have acted on it (that would duplicate the note).
        note_id = await self._api.created_id("POST", f"/Tickets/{ticket_num}/Notes", body, idempotent=False)
        return Note(
            external_id=str(note_id), text=body["description"], internal=internal, author=self.own_identity
        )

    async def update_ticket(self, ticket: Ticket, changes: TicketChanges) -> None:
        """One ``PATCH /V1.0/Tickets``. Assigning a resource sends its default Service Desk role as
        ``assignedResourceRoleID``, which Autotask requires (known from ``list_options``, else read once)."""
        if changes.is_empty():
            return
        if changes.item is not None:
            raise ValidationFailed("Autotask tickets have no item field")
        positive_int(ticket.external_id, "ticket id")
        role_id = None
        if changes.member is not None:
            role_id = await self._role_of(positive_int(changes.member.external_id, "resource id"))
        body = ticket_update_body(ticket, changes, role_id=role_id)
        # Setting absolute values is idempotent, so the PATCH may be resent after a 5xx or timeout.
        await self._api.created_id("PATCH", "/Tickets", body, idempotent=True)

    async def log_time(self, ticket: Ticket, entry: TimeEntryDraft) -> str:
        """API-only users cannot own time entries, so time without a member goes to the impersonated
        resource, or is refused."""
        positive_int(ticket.external_id, "ticket id")
        check_hours(entry)
        if entry.member is not None:
            resource_id = positive_int(entry.member.external_id, "resource id")
        elif self._config.impersonation_resource_id is not None:
            resource_id = self._config.impersonation_resource_id
        else:
            raise ValidationFailed(
                "Autotask API users cannot own time entries: choose the member the time is for, or set "
                "impersonation_resource_id on the integration"
            )
        role_id = await self._role_of(resource_id)
        body = time_entry_body(ticket, entry, resource_id=resource_id, role_id=role_id)
        return str(await self._api.created_id("POST", "/TimeEntries", body, idempotent=False))

    # -- setup ----------------------------------------------------------------------------------------

    async def check_access(self) -> list[AccessCheck]:
        return await setup.check_access(self._api, self._config)

    async def register_webhook(self, url: str) -> WebhookRegistration:
        return await setup.register_webhook(self._api, self._config, url)

    async def aclose(self) -> None:
        await self._api.aclose()

    # -- cached lookups -------------------------------------------------------------------------------

    async def _ticket_picklists(self) -> TicketPicklists:
        return ticket_picklists(await self._api.entity_fields("Tickets"))

    async def _note_picklists(self) -> NotePicklists:
        return note_picklists(await self._api.entity_fields("TicketNotes"))

    async def _company_name(self, company_id: int) -> str | None:
        key = f"company:{company_id}"
        cached = self._api.cache.get(key)
        if cached is not None:
            return str(cached)
        item = await self._api.get_item(f"/Companies/{company_id}")
        name = text_of(fold(item).get("companyname")) if item is not None else None
        if name is not None:
            self._api.cache.put(key, name)
        return name

    async def _resources(self) -> list[PicklistOption]:
        """Active resources that can take tickets: Autotask needs a role with the resource, so one without
        a default Service Desk role cannot be assigned (API-only users have none)."""
        cached = self._api.cache.get("resources")
        if cached is not None:
            return list(cached)
        items, _ = await self._api.query(
            "Resources", [{"op": "eq", "field": "isActive", "value": True}], max_pages=MAX_RESOURCE_PAGES
        )
        options: list[PicklistOption] = []
        for raw in items:
            resource = fold(raw)
            resource_id, role_id = (
                number(resource.get("id")),
                number(resource.get("defaultservicedeskroleid")),
            )
            if resource_id is None or flag(resource.get("isactive")) is False:
                continue
            self._roles[resource_id] = role_id
            if role_id is None:
                continue
            full_name = " ".join(
                p for p in (text_of(resource.get("firstname")), text_of(resource.get("lastname"))) if p
            )
            name = full_name or text_of(resource.get("username")) or str(resource_id)
            options.append(PicklistOption(external_id=str(resource_id), name=name))
        self._api.cache.put("resources", options)
        return list(options)

    async def _role_of(self, resource_id: int) -> int | None:
        if resource_id not in self._roles:
            resource = await self._api.require_item(f"/Resources/{resource_id}", f"resource {resource_id}")
            self._roles[resource_id] = number(fold(resource).get("defaultservicedeskroleid"))
        return self._roles[resource_id]

    async def _work_types(self) -> list[PicklistOption]:
        cached = self._api.cache.get("work_types")
        if cached is not None:
            return list(cached)
        items, _ = await self._api.query(
            "BillingCodes",
            [
                {"op": "eq", "field": "useType", "value": WORK_TYPE_USE_TYPE},
                {"op": "eq", "field": "isActive", "value": True},
            ],
            max_pages=MAX_RESOURCE_PAGES,
        )
        options: list[PicklistOption] = []
        for raw in items:
            code = fold(raw)
            code_id, name = text_of(code.get("id")), text_of(code.get("name"))
            # The query already filters; checked again so a retired or non-work-type code never shows.
            usable = (
                flag(code.get("isactive")) is not False and number(code.get("usetype")) == WORK_TYPE_USE_TYPE
            )
            if code_id is not None and name is not None and usable:
                options.append(PicklistOption(external_id=code_id, name=name))
        self._api.cache.put("work_types", options)
        return list(options)
