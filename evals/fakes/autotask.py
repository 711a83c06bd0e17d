"""A stateful fake Autotask REST server at the HTTP boundary (respx side effect or a real local server).

It answers like Autotask does where that matters to a client: paths are case-insensitive, single
entities come wrapped in ``item`` (``null`` when missing), queries page through ``nextPageUrl`` (POSTed
again with the same body), writes answer ``{"itemId": n}`` and business-rule failures answer HTTP 500
with ``{"errors": [...]}``.
"""

from __future__ import annotations

import asyncio
import json
import operator
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from evals.fakes import autotask_payloads as at

API_PREFIX = "/atservicesrest/v1.0/"


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


def _fold(raw: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in raw.items()} if isinstance(raw, dict) else {}


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is not None and _truthy(actual) == _truthy(expected)
    return actual is not None and str(actual).lower() == str(expected).lower()


def _matches(entity: dict[str, Any], raw_filter: Any) -> bool:
    """Autotask's filter grammar, the parts Deskhand uses: eq/noteq/contains/exist/gt/lt and and/or groups."""
    flt = _fold(raw_filter)
    op = str(flt.get("op", "")).lower()
    if op in ("and", "or"):
        results = [_matches(entity, sub) for sub in flt.get("items") or []]
        return all(results) if op == "and" else any(results)
    actual = _fold(entity).get(str(flt.get("field", "")).lower())
    expected = flt.get("value")
    if op == "eq":
        return _same(actual, expected)
    if op == "noteq":
        return not _same(actual, expected)
    if op == "contains":
        return actual is not None and str(expected).lower() in str(actual).lower()
    if op == "exist":
        return actual is not None
    if op in _COMPARE:
        if actual is None:
            return False
        left, right = _comparable(actual), _comparable(expected)
        return _COMPARE[op](left, right)
    raise ValueError(f"unsupported filter op {op!r}")


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
}  # fmt: skip


def _comparable(value: Any) -> float | datetime:
    """Numbers compare as numbers, ISO-8601 texts as instants (Autotask times are UTC); ValueError else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass
class FakeAutotask:
    """Serves zone discovery, tickets, notes, picklists, queries, time entries, resources, contacts,
    companies, entity information, the API threshold and ticket webhook registration."""

    origin: str = at.ZONE_ORIGIN
    latency_seconds: float = 0.0
    now: str = "2026-03-02T10:00:00.000Z"  # stamped as completedDate when a PATCH completes a ticket
    page_size: int = 500
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    time_entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    companies: dict[int, dict[str, Any]] = field(default_factory=lambda: {at.COMPANY_ID: at.company()})
    contacts: dict[int, dict[str, Any]] = field(default_factory=lambda: {at.CONTACT_ID: at.contact()})
    resources: dict[int, dict[str, Any]] = field(default_factory=lambda: {r["id"]: r for r in at.resources()})
    billing_codes: list[dict[str, Any]] = field(default_factory=at.billing_codes)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhook_fields: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    excluded_resources: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)  # entity (lower) -> All / Restricted / None
    requests: list[Recorded] = field(default_factory=list)
    _next_id: int = 9000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def zone_url(self) -> str:
        return f"{self.origin.rstrip('/')}/ATServicesRest/"

    def add_ticket(
        self, ticket_id: int, *, notes: Iterable[dict[str, Any]] = (), **kwargs: Any
    ) -> dict[str, Any]:
        body = at.ticket(ticket_id, **kwargs)
        self.tickets[ticket_id] = body
        self.notes[ticket_id] = list(notes)
        return body

    def writes(self, method: str | None = None) -> list[Recorded]:
        """Requests that change something (queries are POSTs but read only)."""
        return [
            r
            for r in self.requests
            if r.method != "GET"
            and not r.path.lower().endswith(("/query", "/query/next"))
            and (method is None or r.method == method)
        ]

    def authorized(self, headers: dict[str, str]) -> bool:
        return (
            headers.get("apiintegrationcode") == at.INTEGRATION_CODE
            and headers.get("username") == at.USERNAME
            and headers.get("secret") == at.SECRET
        )

    async def respond(self, request: httpx.Request) -> httpx.Response:
        """An async transport handler (``httpx.MockTransport(fake.respond)``) that adds the latency."""
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        status, payload = self.handle(
            request.method, str(request.url), dict(request.headers), request.content
        )
        return httpx.Response(status, json=payload)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = urlsplit(url)
        lowered = {k.lower(): v for k, v in headers.items()}
        payload = json.loads(body) if body else None
        with self._lock:
            self.requests.append(Recorded(method, parts.path, parts.query, lowered, payload))
            path = parts.path.lower()
            if not path.startswith(API_PREFIX):
                return 404, at.error(f"no route {parts.path}")
            segments = parts.path[len(API_PREFIX) :].strip("/").split("/")
            if segments[0].lower() == "zoneinformation":
                return 200, at.zone_information(self.zone_url)
            if not self.authorized(lowered):
                return 401, {"message": "Authorization has been denied for this request."}
            try:
                return self._api(method, segments, parse_qs(parts.query), payload)
            except (KeyError, TypeError, ValueError) as exc:
                return 500, at.error(f"fake could not process the request: {exc}")

    # -- routing --------------------------------------------------------------------------------------

    def _api(
        self, method: str, segments: list[str], query: dict[str, list[str]], payload: Any
    ) -> tuple[int, Any]:
        entity = segments[0].lower()
        rest = [s.lower() for s in segments[1:]]
        if entity == "thresholdinformation" and method == "GET":
            return 200, at.threshold_information(used=len(self.requests))
        if rest[:1] == ["entityinformation"] and method == "GET":
            return 200, self._entity_information(segments[0], fields=rest[1:] == ["fields"])
        if rest[:1] == ["query"] and method == "POST":
            first_id = json.loads(query["paging"][0])["nextIds"][0] if rest[1:] == ["next"] else None
            return self._query(segments[0], payload, first_id)
        if len(rest) == 1 and rest[0].isdigit() and method == "GET":
            return 200, at.item(self._collection(entity).get(int(rest[0])))
        if entity == "tickets":
            return self._tickets(method, rest, payload)
        if entity == "timeentries" and not rest and method == "POST":
            return self._create_time_entry(payload)
        if entity == "ticketwebhooks":
            return self._webhooks(method, rest, payload)
        return 404, at.error(f"no route {method} {'/'.join(segments)}")

    def _entity_information(self, name: str, *, fields: bool) -> Any:
        if fields:
            by_entity = {
                "tickets": at.ticket_fields,
                "ticketnotes": at.note_fields,
                "ticketwebhookfields": at.webhook_field_info,
            }
            builder = by_entity.get(name.lower())
            return builder() if builder else {"fields": []}
        return at.entity_information(name, access=self.access.get(name.lower(), "All"))

    def _collection(self, entity: str) -> dict[int, dict[str, Any]]:
        all_notes = {n["id"]: n for notes in self.notes.values() for n in notes}
        return {
            "tickets": self.tickets,
            "ticketnotes": all_notes,
            "timeentries": self.time_entries,
            "companies": self.companies,
            "contacts": self.contacts,
            "resources": self.resources,
            "billingcodes": {c["id"]: c for c in self.billing_codes},
            "ticketwebhooks": self.webhooks,
        }.get(entity, {})

    def _query(self, entity: str, payload: Any, first_id: int | None) -> tuple[int, Any]:
        """Results in id order; a next page starts at the id that ``nextPageUrl`` names (``nextIds``, as in
        Autotask's own paging parameter), so a page link stays valid while records change."""
        body = _fold(payload)
        filters = body.get("filter")
        if not filters:
            return 500, at.error("A query requires at least one filter expression.")
        found = [
            e
            for record_id, e in sorted(self._collection(entity.lower()).items())
            if (first_id is None or record_id >= first_id) and all(_matches(e, f) for f in filters)
        ]
        size = min(int(body.get("maxrecords") or 500), self.page_size, 500)
        page = found[:size]
        next_url = None
        if len(found) > size:
            paging = {"pageSize": size, "previousIds": [page[0]["id"]], "nextIds": [found[size]["id"]]}
            next_url = f"{self.zone_url}V1.0/{entity}/query/next?paging={quote(json.dumps(paging))}"
        return 200, at.items(page, next_page_url=next_url)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- tickets and notes ----------------------------------------------------------------------------

    def _tickets(self, method: str, rest: list[str], payload: Any) -> tuple[int, Any]:
        body = _fold(payload)
        if not rest and method == "PATCH":
            ticket = self.tickets.get(int(body["id"]))
            if ticket is None:
                return 500, at.error(f"Ticket {body['id']} does not exist")
            if "assignedresourceid" in body and not body.get("assignedresourceroleid"):
                return 500, at.error("assignedResourceRoleID is required when assignedResourceID is set")
            problem = self._picklist_problem(body)
            if problem:
                return 500, at.error(problem)
            names = {k.lower(): k for k in ticket}
            was_complete = ticket.get("status") == at.STATUS_COMPLETE
            for key, value in body.items():
                if key != "id":
                    ticket[names.get(key, key)] = value
            # Autotask stamps completedDate when a ticket completes and clears it when it reopens.
            if ticket.get("status") != at.STATUS_COMPLETE:
                ticket["completedDate"] = None
            elif not was_complete:
                ticket["completedDate"] = self.now
            ticket["lastActivityResourceID"] = at.RESOURCE_ID
            return 200, at.created(ticket["id"])
        if len(rest) == 2 and rest[1] == "notes" and method == "POST":
            ticket_id = int(rest[0])
            if ticket_id not in self.tickets:
                return 500, at.error(f"Ticket {ticket_id} does not exist")
            missing = [
                f for f in ("title", "description", "notetype", "publish") if body.get(f) in (None, "")
            ]
            if missing:
                return 500, at.error(*(f"{f} is required" for f in missing))
            note = at.note(
                self._new_id(),
                ticket_id,
                description=body["description"],
                title=body["title"],
                publish=body["publish"],
                note_type=body["notetype"],
                creator_resource_id=at.RESOURCE_ID,
            )
            self.notes.setdefault(ticket_id, []).append(note)
            return 200, at.created(note["id"])
        return 404, at.error(f"no route {method} Tickets/{'/'.join(rest)}")

    def _picklist_problem(self, body: dict[str, Any]) -> str | None:
        fields = {f["name"].lower(): f for f in at.ticket_fields()["fields"]}
        for key in ("status", "queueid", "priority", "issuetype", "subissuetype"):
            if key in body and body[key] is not None:
                values = {v["value"] for v in fields[key]["picklistValues"] if v["isActive"]}
                if str(body[key]) not in values:
                    return f"Value {body[key]} is not an active value of {fields[key]['name']}"
        return None

    def _create_time_entry(self, payload: Any) -> tuple[int, Any]:
        body = _fold(payload)
        resource = self.resources.get(int(body.get("resourceid") or 0))
        if resource is None or resource["defaultServiceDeskRoleID"] is None:
            return 500, at.error("resourceID must be an active resource that can own time entries")
        if int(body.get("ticketid") or 0) not in self.tickets:
            return 500, at.error("ticketID does not exist")
        if not body.get("roleid"):
            return 500, at.error("roleID is required")
        if not 0 < float(body.get("hoursworked") or 0) <= 24:
            return 500, at.error("hoursWorked must be > 0 and <= 24")
        entry_id = self._new_id()
        self.time_entries[entry_id] = {"id": entry_id, **payload}
        return 200, at.created(entry_id)

    # -- webhooks -------------------------------------------------------------------------------------

    def _webhooks(self, method: str, rest: list[str], payload: Any) -> tuple[int, Any]:
        body = _fold(payload)
        if not rest and method == "POST":
            missing = [f for f in ("name", "webhookurl", "deactivationurl", "secretkey") if not body.get(f)]
            if missing:
                return 500, at.error(*(f"{f} is required" for f in missing))
            webhook_id = len(self.webhooks) + 1
            self.webhooks[webhook_id] = at.ticket_webhook(
                webhook_id, body["webhookurl"], guid=f"{at.WEBHOOK_GUID[:-2]}{webhook_id:02d}", ready=False
            )
            self.webhooks[webhook_id]["secretKey"] = body["secretkey"]
            return 200, at.created(webhook_id)
        if not rest and method == "PATCH":
            webhook = self.webhooks[int(body["id"])]
            names = {k.lower(): k for k in webhook}
            webhook.update({names.get(k, k): v for k, v in body.items() if k != "id"})
            return 200, at.created(webhook["id"])
        if len(rest) == 2 and rest[1] in ("fields", "excludedresources"):
            webhook_id = int(rest[0])
            children = self.webhook_fields if rest[1] == "fields" else self.excluded_resources
            if method == "GET":
                return 200, at.items(children.get(webhook_id, []))
            if method == "POST":
                if webhook_id not in self.webhooks or int(body.get("webhookid", 0)) != webhook_id:
                    return 500, at.error("webhookID does not match the parent webhook")
                child = {"id": self._new_id(), **payload}
                children.setdefault(webhook_id, []).append(child)
                if rest[1] == "fields":
                    self.webhooks[webhook_id]["isReady"] = True
                return 200, at.created(child["id"])
        return 404, at.error(f"no route {method} TicketWebhooks/{'/'.join(rest)}")
