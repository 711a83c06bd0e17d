"""A stateful fake HaloPSA at the HTTP boundary (respx side effect or a real local server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from evals.fakes import halopsa_payloads as hp


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[0].lower() == "true"


def _int(query: dict[str, list[str]], name: str, default: int = 0) -> int:
    try:
        return int(query.get(name, [str(default)])[0])
    except ValueError:
        return default


MAX_PAGE_SIZE = 100  # GET /Tickets page_size: "Maximum size: 100" (Halo swagger)
# ``datesearch`` values (column names, per the swagger's examples) -> the ticket field they filter on.
DATE_SEARCH_FIELDS = {
    "dateoccured": "dateoccurred",
    "dateoccurred": "dateoccurred",
    "datecleared": "dateclosed",
}
# ``order`` values the fake can sort by (ticket field names).
ORDER_FIELDS = frozenset({"id", "dateoccurred", "dateclosed", "last_update"})


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _in_date_range(tickets: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """``datesearch`` + ``startdate``/``enddate`` (either may be left out); a bad value is a 400."""
    field_name = DATE_SEARCH_FIELDS.get(query["datesearch"][0])
    if field_name is None:
        raise ValueError(f"unknown datesearch {query['datesearch'][0]!r}")
    bounds = {name: _moment(query[name][0]) for name in ("startdate", "enddate") if name in query}
    if any(bound is None for bound in bounds.values()):
        raise ValueError("startdate and enddate must be dates")
    start, end = bounds.get("startdate"), bounds.get("enddate")
    kept = []
    for ticket in tickets:
        when = _moment(ticket.get(field_name))
        if when is not None and (start is None or when >= start) and (end is None or when <= end):
            kept.append(ticket)
    return kept


def _ordered(tickets: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """``order``..``order5`` with ``orderdesc``..``orderdesc5``; without ``order``, by date opened."""
    keys = [("order", "orderdesc")] + [(f"order{n}", f"orderdesc{n}") for n in range(2, 6)]
    wanted = [(query[o][0], _flag(query, d)) for o, d in keys if o in query] or [("dateoccurred", False)]
    wanted[0] = (wanted[0][0], _flag(query, "orderdesc"))
    for name, descending in reversed(wanted):
        if name not in ORDER_FIELDS:
            raise ValueError(f"cannot order by {name!r}")
        tickets = sorted(tickets, key=_field_key(name), reverse=descending)
    return tickets


def _field_key(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda ticket: _sort_key(ticket.get(name))


def _sort_key(value: Any) -> tuple[int, Any]:
    """Missing values first (ascending), numbers as numbers, dates as instants."""
    if value is None:
        return (0, 0)
    if isinstance(value, int):
        return (1, value)
    return (2, _moment(value) or datetime.min.replace(tzinfo=UTC))


@dataclass
class FakeHalo:
    """Serves the token endpoint, tickets, actions, picklists, users and clients.

    Tokens are issued for ``client_id``/``client_secret`` and checked on every API call (401 otherwise);
    ``revoke_tokens()`` makes Halo refuse the tokens handed out so far, as after a key rotation."""

    origin: str = hp.ORIGIN
    client_id: str = hp.CLIENT_ID
    client_secret: str = hp.CLIENT_SECRET
    agent_id: int = hp.AGENT_ID
    latency_seconds: float = 0.0
    now: str = "2026-03-02T10:00:00.0000000Z"  # stamped as dateclosed when an update closes a ticket
    token_lifetime_seconds: int = 3600
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    actions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=lambda: {34: hp.user()})
    clients: dict[int, dict[str, Any]] = field(default_factory=lambda: {12: hp.client()})
    requests: list[Recorded] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    issued: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_ticket(self, ticket_id: int, **kwargs: Any) -> dict[str, Any]:
        body = hp.ticket(ticket_id, **kwargs)
        self.tickets[ticket_id] = body
        self.actions.setdefault(
            ticket_id,
            [
                hp.action(
                    1,
                    ticket_id,
                    note=f"Hi, {body['summary']}. Thanks, Dana",
                    hidden=False,
                    agent=None,
                    outcome="Email",
                )
            ],
        )
        return body

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def writes(self, method: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method != "GET" and r.path != "/auth/token" and (method is None or r.method == method)
        ]

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = urlsplit(url)
        prefix = urlsplit(self.origin).path.rstrip("/")
        path = parts.path[len(prefix) :] if parts.path.startswith(prefix) else parts.path
        content_type = headers.get("content-type", "")
        if "form-urlencoded" in content_type:
            payload: Any = dict(parse_qsl(body.decode()))
        else:
            payload = json.loads(body) if body else None
        with self._lock:
            self.requests.append(Recorded(method, path, parts.query, headers, payload))
            if path == "/auth/token" and method == "POST":
                return self._token(payload)
            if not path.startswith("/api/"):
                return 404, hp.error(f"no route {path}")
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token not in self.tokens:
                return 401, hp.error("Unauthorized")
            return self._api(method, path[len("/api") :], parse_qs(parts.query), payload)

    def _token(self, form: Any) -> tuple[int, Any]:
        if not isinstance(form, dict) or form.get("grant_type") != "client_credentials":
            return 400, hp.oauth_error("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, hp.oauth_error()
        self.issued += 1
        token = f"fake-halo-token-{self.issued}"
        self.tokens.add(token)
        return 200, hp.token_response(token, self.token_lifetime_seconds)

    def _api(self, method: str, path: str, query: dict[str, list[str]], payload: Any) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        resource, rest = segments[0], segments[1:]
        if method == "GET" and rest and rest[0].isdigit():
            store = {"Tickets": self.tickets, "Users": self.users, "Client": self.clients}.get(resource)
            record = store.get(int(rest[0])) if store is not None else None
            if record is None:
                return 404, hp.error(f"{resource} {rest[0]} not found")
            return 200, record
        if resource == "Tickets" and method == "GET":
            try:
                return 200, self._search(query)
            except ValueError as exc:
                return 400, hp.error(str(exc))
        if resource == "Tickets" and method == "POST":
            return self._update_tickets(payload)
        if resource == "Actions" and method == "GET":
            return 200, hp.actions_list(self.actions.get(_int(query, "ticket_id"), []))
        if resource == "Actions" and method == "POST":
            return self._add_actions(payload)
        if resource in ("Users", "Client") and method == "GET":
            records = list((self.users if resource == "Users" else self.clients).values())
            return 200, {
                "record_count": len(records),
                resource.lower(): records[: _int(query, "page_size", 50)],
            }
        if method == "GET" and path == "/Agent/me":
            return 200, hp.agent_me(self.agent_id)
        lists = {
            "Status": hp.statuses,
            "Team": hp.teams,
            "Agent": hp.agents,
            "Priority": hp.priorities,
            "TicketType": hp.ticket_types,
            "Category": hp.categories,
        }
        if method == "GET" and not rest and resource in lists:
            return 200, lists[resource]()
        if method == "GET" and resource == "Lookup" and _int(query, "lookupid") == 17:
            return 200, hp.charge_types()
        return 404, hp.error(f"no route {method} {path}")

    def _search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        found = list(self.tickets.values())
        for name in ("client_id", "user_id"):
            if name in query:
                found = [t for t in found if t.get(name) == _int(query, name)]
        if _flag(query, "open_only"):
            found = [t for t in found if t["status_id"] != hp.CLOSED_STATUS[0]]
        if _flag(query, "closed_only"):
            found = [t for t in found if t["status_id"] == hp.CLOSED_STATUS[0]]
        if "search" in query:
            text = query["search"][0].lower()
            found = [t for t in found if text in t["summary"].lower() or text in t["details"].lower()]
        if "datesearch" in query:
            found = _in_date_range(found, query)
        found = _ordered(found, query)
        if not _flag(query, "pageinate"):
            return {"record_count": len(found), "tickets": found}
        size, page = _int(query, "page_size", 50), _int(query, "page_no", 1)
        if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE} and page_no at least 1")
        return hp.tickets_page(
            found[(page - 1) * size : page * size], page_no=page, page_size=size, record_count=len(found)
        )

    def _update_tickets(self, payload: Any) -> tuple[int, Any]:
        if not isinstance(payload, list):
            return 400, hp.error("Expected an array of tickets")
        updated = []
        for item in payload:
            ticket = self.tickets.get(item.get("id", 0))
            if ticket is None:
                return 404, hp.error(f"Ticket {item.get('id')} not found")
            names = {
                "status_id": ("status_name", dict(hp.STATUSES)),
                "agent_id": ("agent_name", {a["id"]: a["name"] for a in hp.agents()}),
                "priority_id": ("priority_name", dict(hp.PRIORITIES)),
                "tickettype_id": ("tickettype_name", dict(hp.TICKET_TYPES)),
            }
            for key, value in item.items():
                if key in names:
                    label, known = names[key]
                    if value not in known:
                        return 400, hp.error(f"Invalid {key} {value}")
                    ticket[key], ticket[label] = value, known[value]
                elif key == "team":
                    team_ids = {name: tid for tid, name in hp.TEAMS}
                    if value not in team_ids:
                        return 400, hp.error(f"Team {value} does not exist")
                    ticket["team"], ticket["team_id"] = value, team_ids[value]
                elif key == "category_1":
                    ticket["category_1"] = value
            closing = ticket["status_id"] == hp.CLOSED_STATUS[0]
            if closing and not ticket["hasbeenclosed"]:
                ticket["dateclosed"] = self.now
            elif not closing:
                ticket.pop("dateclosed", None)
            ticket["hasbeenclosed"] = closing
            updated.append(ticket)
        return 200, updated[0] if len(updated) == 1 else updated

    def _add_actions(self, payload: Any) -> tuple[int, Any]:
        if not isinstance(payload, list):
            return 400, hp.error("Expected an array of actions")
        created = []
        for item in payload:
            ticket_id = item.get("ticket_id", 0)
            if ticket_id not in self.tickets:
                return 404, hp.error(f"Ticket {ticket_id} not found")
            existing = self.actions.setdefault(ticket_id, [])
            who = item.get("who_agentid", self.agent_id)
            action = hp.action(
                max((a["id"] for a in existing), default=0) + 1,
                ticket_id,
                note=item.get("note", ""),
                hidden=item.get("hiddenfromuser", False),
                agent=(who, hp.AGENT_NAME if who == self.agent_id else hp.TECH_NAME),
                outcome=item.get("outcome", ""),
                when="2026-03-02T10:00:00.0000000Z",
                timetaken=item.get("timetaken", 0.0),
            )
            for key in ("actisbillable", "chargerate", "actionarrivaldate", "actioncompletiondate"):
                if key in item:
                    action[key] = item[key]
            existing.append(action)
            created.append(action)
        return 200, created[0] if len(created) == 1 else created
