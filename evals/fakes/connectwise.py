"""A stateful fake ConnectWise server at the HTTP boundary (respx side effect or a real local server).

It serves what ``ConnectWiseClient`` calls, in the vendor's shapes, and refuses what ConnectWise would:
bad credentials (401), paths listed in ``forbidden`` (403), a status that is not on the ticket's board,
unknown ids, and ``conditions`` it cannot parse (400).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from evals.fakes import connectwise_payloads as cw

Response = tuple[int, Any]

# One ``field op value`` clause of a ConnectWise ``conditions`` string, as the client writes them; a
# ``[...]`` value is a date, as in ``closedDate>=[2025-01-01T00:00:00Z]``.
_CLAUSE = re.compile(
    r'\s*([A-Za-z_]+(?:/[A-Za-z_]+)*)\s*(!=|>=|<=|=|>|<|contains)\s*("[^"]*"|\[[^\]]*\]|[A-Za-z0-9_.\-]+)\s*'
)
_ORDERED_OPS = frozenset({">=", "<=", ">", "<"})
_AND = re.compile(r"and\s+", re.IGNORECASE)
DEFAULT_PAGE_SIZE = 25  # ConnectWise's default when pageSize is not given


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


def _per_board(build: Callable[[int], list[dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    return {board_id: build(board_id) for board_id, *_ in cw.BOARDS}


def parse_conditions(text: str) -> list[tuple[str, str, Any]]:
    """``a/b=1 and c contains "x"`` -> ``[("a/b", "=", 1), ("c", "contains", "x")]``; ValueError otherwise."""
    clauses: list[tuple[str, str, Any]] = []
    position = 0
    while position < len(text):
        if clauses:
            joiner = _AND.match(text, position)
            if joiner is None:
                raise ValueError(f"expected 'and' at {position}")
            position = joiner.end()
        match = _CLAUSE.match(text, position)
        if match is None:
            raise ValueError(f"cannot parse conditions at {position}: {text[position : position + 30]!r}")
        raw = match.group(3)
        value: Any = raw[1:-1] if raw.startswith('"') else raw
        if raw.startswith("["):
            value = _date(raw[1:-1])
            if value is None:
                raise ValueError(f"invalid date in conditions: {raw!r}")
        elif not raw.startswith('"'):
            value = {"true": True, "false": False}.get(raw.lower(), int(raw) if raw.isdigit() else raw)
        clauses.append((match.group(1), match.group(2), value))
        position = match.end()
    return clauses


def parse_order(text: str) -> list[tuple[str, bool]]:
    """``closedDate asc, id asc`` -> ``[("closedDate", False), ("id", False)]``; ValueError otherwise."""
    keys: list[tuple[str, bool]] = []
    for part in (p.strip() for p in text.split(",")) if text.strip() else ():
        words = part.split()
        if not 1 <= len(words) <= 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ValueError(f"cannot parse orderBy {text!r}")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return keys


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    date = _date(value) if isinstance(value, str) else None
    return (1, date if date is not None else value)


def _field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _date(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _ordered(actual: Any, op: str, wanted: Any) -> bool:
    """``>``, ``>=``, ``<``, ``<=`` on numbers or dates; a missing value never matches (as in SQL)."""
    if isinstance(wanted, datetime):
        actual = _date(actual)
    if actual is None or isinstance(actual, bool) or type(actual) is not type(wanted):
        return False
    results: dict[str, bool] = {
        ">": actual > wanted, ">=": actual >= wanted, "<": actual < wanted, "<=": actual <= wanted,
    }  # fmt: skip
    return results[op]


def matches(record: dict[str, Any], clauses: list[tuple[str, str, Any]]) -> bool:
    for name, op, wanted in clauses:
        actual = _field(record, name)
        if isinstance(actual, str) and isinstance(wanted, str):
            actual, wanted = actual.casefold(), wanted.casefold()
        if op == "contains":
            ok = isinstance(actual, str) and wanted in actual
        elif op in _ORDERED_OPS:
            ok = _ordered(actual, op, wanted)
        else:
            ok = (actual == wanted) == (op == "=")
        if not ok:
            return False
    return True


@dataclass
class FakeConnectWise:
    """Serves companyinfo, tickets (read, search, patch), notes, picklists, time entries, contacts,
    companies, callbacks, ``/system/mySecurity`` and the callback signing key."""

    origin: str = cw.ORIGIN
    codebase: str = cw.CODEBASE
    signing_key: str = cw.SIGNING_KEY
    latency_seconds: float = 0.0
    now: str = "2026-03-02T10:00:00Z"  # stamped as closedDate when a PATCH closes a ticket
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    boards: list[dict[str, Any]] = field(default_factory=cw.boards)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: _per_board(cw.board_statuses))
    types: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: _per_board(cw.board_types))
    subtypes: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: _per_board(cw.board_subtypes))
    items: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: _per_board(cw.board_items))
    members: list[dict[str, Any]] = field(default_factory=cw.members)
    priorities: list[dict[str, Any]] = field(default_factory=cw.priorities)
    work_types: list[dict[str, Any]] = field(default_factory=cw.work_types)
    time_entries: list[dict[str, Any]] = field(default_factory=list)
    contacts: dict[int, dict[str, Any]] = field(default_factory=lambda: {77: cw.contact(77)})
    companies: dict[int, dict[str, Any]] = field(default_factory=lambda: {250: cw.company(250)})
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    security: list[dict[str, Any]] = field(default_factory=cw.my_security)
    # API paths (e.g. "/system/mySecurity") answered with 403, as for a member whose role lacks them.
    forbidden: set[str] = field(default_factory=set)
    requests: list[Recorded] = field(default_factory=list)
    _next_note: int = 9000
    _next_id: int = 20000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_ticket(self, ticket_id: int, **kwargs: Any) -> dict[str, Any]:
        body = cw.ticket(ticket_id, **kwargs)
        self.tickets[ticket_id] = body
        self.notes.setdefault(
            ticket_id,
            [cw.note(100 + ticket_id, ticket_id, text=f"Hi, {body['summary']}. Thanks, Dana")],
        )
        return body

    def key_url(self) -> str:
        return f"{self.origin}/{self.codebase}system/callbackkey/index.rails?companyName=acmemsp&id=k1"

    def writes(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET" and (method is None or r.method == method)]

    def authorized(self, headers: dict[str, str]) -> bool:
        expected = base64.b64encode(f"{cw.COMPANY_ID}+{cw.PUBLIC_KEY}:{cw.PRIVATE_KEY}".encode()).decode()
        return headers.get("authorization") == f"Basic {expected}" and headers.get("clientid") == cw.CLIENT_ID

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(url)
        path = parts.path
        payload = json.loads(body) if body else None
        with self._lock:
            self.requests.append(Recorded(method, path, parts.query, headers, payload))
            if path == f"/login/companyinfo/{cw.COMPANY_ID}":
                return 200, cw.company_info(self.codebase)
            if path.startswith(f"/{self.codebase}system/callbackkey"):
                return 200, {"signing_key": self.signing_key}
            prefix = f"/{self.codebase}apis/3.0"
            if not path.startswith(prefix):
                return 404, cw.error("NotFound", f"no route {path}")
            if not self.authorized(headers):
                return 401, cw.error("Unauthorized", "bad credentials")
            route = path[len(prefix) :]
            if any(route.lower().startswith(p.lower()) for p in self.forbidden):
                return 403, cw.error("Forbidden", f"You do not have access to {route}")
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            try:
                return self._api(method, route, query, payload)
            except ValueError as exc:
                return 400, cw.error("InvalidObject", str(exc))

    # -- routing ----------------------------------------------------------------------------------

    def _api(self, method: str, route: str, query: dict[str, str], payload: Any) -> Response:
        segments = [s.lower() for s in route.strip("/").split("/")]
        lists: dict[tuple[str, ...], Callable[[], list[dict[str, Any]]]] = {
            ("service", "tickets"): lambda: list(self.tickets.values()),
            ("service", "boards"): lambda: self.boards,
            ("service", "priorities"): lambda: self.priorities,
            ("system", "members"): lambda: self.members,
            ("system", "callbacks"): lambda: self.callbacks,
            ("system", "mysecurity"): lambda: self.security,
            ("time", "worktypes"): lambda: self.work_types,
            ("time", "entries"): lambda: self.time_entries,
            ("company", "contacts"): lambda: list(self.contacts.values()),
            ("company", "companies"): lambda: list(self.companies.values()),
        }
        key = tuple(segments)
        if method == "GET" and key in lists:
            return 200, self._page(lists[key](), query)
        if method == "POST" and key == ("time", "entries"):
            return self._create_time_entry(payload)
        if method == "POST" and key == ("system", "callbacks"):
            return self._create_callback(payload)
        if segments[:2] == ["service", "tickets"] and len(segments) >= 3 and segments[2].isdigit():
            return self._ticket(method, int(segments[2]), segments[3:], query, payload)
        if method == "GET" and segments[:2] == ["service", "boards"] and len(segments) == 4:
            per_board = {"statuses": self.statuses, "types": self.types}
            per_board |= {"subtypes": self.subtypes, "items": self.items}
            table = per_board.get(segments[3])
            if table is not None and segments[2].isdigit() and int(segments[2]) in table:
                return 200, self._page(table[int(segments[2])], query)
        if method == "GET" and len(segments) == 3 and segments[2].isdigit():
            records = {("company", "contacts"): self.contacts, ("company", "companies"): self.companies}
            table_by_id = records.get((segments[0], segments[1]))
            if table_by_id is not None:
                record = table_by_id.get(int(segments[2]))
                if record is None:
                    return 404, cw.error("NotFound", f"{segments[1]} {segments[2]} was not found")
                return 200, record
        return 404, cw.error("NotFound", f"no route {method} {route}")

    def _page(self, records: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        selected = records
        if query.get("conditions"):
            clauses = parse_conditions(query["conditions"])
            selected = [r for r in records if matches(r, clauses)]
        for name, descending in reversed(parse_order(query.get("orderBy", ""))):
            # Stable sorts, last key first; missing values sort first ascending, as SQL Server's NULLs do.
            selected = sorted(selected, key=lambda r: _sort_key(_field(r, name)), reverse=descending)
        size = int(query.get("pageSize", DEFAULT_PAGE_SIZE))
        if not 1 <= size <= 1000:
            raise ValueError("pageSize must be between 1 and 1000")
        start = (int(query.get("page", 1)) - 1) * size
        return selected[start : start + size]

    # -- tickets and notes ------------------------------------------------------------------------

    def _ticket(
        self, method: str, ticket_id: int, rest: list[str], query: dict[str, str], payload: Any
    ) -> Response:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return 404, cw.error("NotFound", f"Ticket with id {ticket_id} was not found.")
        if not rest and method == "GET":
            return 200, ticket
        if not rest and method == "PATCH":
            updated = self._patched(ticket, payload)
            ticket.clear()
            ticket.update(updated)
            return 200, ticket
        if rest == ["notes"] and method == "GET":
            return 200, self._page(self.notes.get(ticket_id, []), query)
        if rest == ["notes"] and method == "POST":
            self._next_note += 1
            note = cw.note(
                self._next_note,
                ticket_id,
                text=payload["text"],
                internal=payload.get("internalAnalysisFlag", False),
                member=(payload.get("member") or {}).get("identifier"),
                created_by=cw.API_MEMBER,
            )
            self.notes.setdefault(ticket_id, []).append(note)
            return 201, note
        return 404, cw.error("NotFound", f"no route {method} ticket {ticket_id}/{'/'.join(rest)}")

    def _patched(self, ticket: dict[str, Any], operations: Any) -> dict[str, Any]:
        """The ticket after a JSON-Patch, or ValueError as ConnectWise refuses an invalid ticket."""
        if not isinstance(operations, list) or not operations:
            raise ValueError("PATCH body must be a non-empty JSON-Patch array")
        updated = dict(ticket)
        for op in operations:
            if not isinstance(op, dict) or op.get("op") != "replace" or not isinstance(op.get("value"), dict):
                raise ValueError(f"unsupported patch operation {op!r}")
            path, value = str(op.get("path", "")).strip("/"), op["value"]
            board_id = updated["board"]["id"]
            if path == "owner":
                wanted = value.get("identifier")
                found = next((m for m in self.members if m["identifier"] == wanted), None)
                if found is None:
                    raise ValueError(f"member {wanted!r} does not exist")
                updated["owner"] = cw.member_ref(found["id"], found["identifier"], found["firstName"])
                continue
            tables: dict[str, list[dict[str, Any]]] = {
                "board": self.boards,
                "status": self.statuses.get(board_id, []),
                "type": self.types.get(board_id, []),
                "subType": self.subtypes.get(board_id, []),
                "item": self.items.get(board_id, []),
                "priority": self.priorities,
            }
            if path not in tables:
                raise ValueError(f"path {path!r} cannot be patched here")
            found = next((r for r in tables[path] if r["id"] == value.get("id")), None)
            if found is None and path in ("status", "type", "subType", "item"):
                raise ValueError(f"{path} {value.get('id')} is not valid for the ticket's board {board_id}")
            if found is None:
                raise ValueError(f"{path} {value.get('id')} does not exist")
            updated[path] = {"id": found["id"], "name": found["name"]}
            if path == "board":
                updated["board"] = cw.board_ref(found["id"])
        status_ids = {s["id"] for s in self.statuses.get(updated["board"]["id"], [])}
        if updated["status"]["id"] not in status_ids:
            raise ValueError("The status is not valid for the ticket's board")
        closed = next(s for s in self.statuses[updated["board"]["id"]] if s["id"] == updated["status"]["id"])
        if closed["closedStatus"] and not ticket.get("closedFlag"):
            updated["closedDate"], updated["closedBy"] = self.now, cw.API_MEMBER
        elif not closed["closedStatus"]:
            updated.pop("closedDate", None)
            updated.pop("closedBy", None)
        updated["closedFlag"] = closed["closedStatus"]
        return updated

    # -- creates ----------------------------------------------------------------------------------

    def _create_time_entry(self, body: Any) -> Response:
        if not isinstance(body, dict) or "timeStart" not in body:
            raise ValueError("timeStart is required")
        if body.get("chargeToType") != "ServiceTicket" or body.get("chargeToId") not in self.tickets:
            raise ValueError("chargeToId must be an existing service ticket")
        identifier = (body.get("member") or {}).get("identifier", cw.API_MEMBER)
        if not any(m["identifier"] == identifier for m in self.members):
            raise ValueError(f"member {identifier!r} does not exist")
        work_type_id = (body.get("workType") or {}).get("id")
        work_type = next((w for w in self.work_types if w["id"] == work_type_id), None)
        if work_type_id is not None and work_type is None:
            raise ValueError(f"work type {work_type_id} does not exist")
        self._next_id += 1
        entry = cw.time_entry(
            self._next_id,
            body["chargeToId"],
            member_identifier=identifier,
            time_start=body["timeStart"],
            time_end=str(body.get("timeEnd") or body["timeStart"]),
            work_type=(work_type["id"], work_type["name"]) if work_type else None,
            billable_option=body.get("billableOption", "Billable"),
            internal_notes=body.get("internalNotes", ""),
        )
        self.time_entries.append(entry)
        return 201, entry

    def _create_callback(self, body: Any) -> Response:
        missing = [name for name in ("url", "objectId", "type", "level") if not (body or {}).get(name)]
        if missing:
            raise ValueError(f"missing required fields: {', '.join(missing)}")
        self._next_id += 1
        entry = cw.callback_entry(
            self._next_id,
            body["url"],
            record_type=body["type"],
            level=body["level"],
            object_id=body["objectId"],
            inactive=body.get("inactiveFlag", False),
            description=body.get("description", ""),
        )
        entry["isSelfSuppressedFlag"] = body.get("isSelfSuppressedFlag", False)
        self.callbacks.append(entry)
        return 201, entry
