"""A stateful fake ConnectWise server at the HTTP boundary (respx side effect or a real local server)."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from evals.fakes import connectwise_payloads as cw


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeConnectWise:
    """Serves companyinfo, tickets, notes, board statuses and the callback signing key."""

    origin: str = cw.ORIGIN
    codebase: str = cw.CODEBASE
    signing_key: str = cw.SIGNING_KEY
    latency_seconds: float = 0.0
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _next_note: int = 9000
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

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
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
            return self._api(method, path[len(prefix) :], payload)

    def _api(self, method: str, path: str, payload: Any) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        if segments[:2] == ["service", "tickets"] and len(segments) >= 3:
            ticket_id = int(segments[2])
            ticket = self.tickets.get(ticket_id)
            if ticket is None:
                return 404, cw.error("NotFound", f"Ticket with id {ticket_id} was not found.")
            if len(segments) == 3 and method == "GET":
                return 200, ticket
            if len(segments) == 3 and method == "PATCH":
                for op in payload:
                    if op["path"].strip("/") == "status":
                        status_id = op["value"]["id"]
                        name = next(s["name"] for s in cw.board_statuses() if s["id"] == status_id)
                        ticket["status"] = {"id": status_id, "name": name}
                return 200, ticket
            if segments[3:] == ["notes"] and method == "GET":
                return 200, self.notes.get(ticket_id, [])
            if segments[3:] == ["notes"] and method == "POST":
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
        if segments[:2] == ["service", "boards"] and segments[3:] == ["statuses"]:
            return 200, cw.board_statuses(int(segments[2]))
        return 404, cw.error("NotFound", f"no route {method} {path}")
