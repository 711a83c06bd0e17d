"""Typed async calls to the ConnectWise PSA REST API (``/apis/3.0``)."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.connectwise.config import ConnectWiseConfig, normalise_codebase
from connectors.connectwise.mapping import KIND, map_note, map_statuses, map_ticket, note_body, status_patch
from connectors.http import SleepFn, TtlCache, VendorHttp, positive_int
from core.domain import Note, StatusOption, Ticket
from core.errors import IntegrationError, ValidationFailed

logger = logging.getLogger(__name__)

ClockFn = Callable[[], float]

STATUS_CACHE_SECONDS = 600.0
NOTES_PAGE_SIZE = 100
MAX_NOTE_PAGES = 10
STATUS_PAGE_SIZE = 1000  # ConnectWise's maximum page size


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
        token = f"{config.company_id}+{config.public_key}:{config.private_key.get_secret_value()}"
        self._http = VendorHttp(
            vendor="ConnectWise",
            timeout_seconds=config.timeout_seconds,
            transport=transport,
            sleep=sleep,
            rng=rng,
            secrets=(config.private_key.get_secret_value(), config.public_key, token),
        )
        self._auth_headers = {
            "Authorization": "Basic " + base64.b64encode(token.encode()).decode("ascii"),
            "clientId": config.client_id,
        }
        self._codebase: str | None = config.codebase
        self._codebase_lock = asyncio.Lock()
        self._cache = TtlCache(STATUS_CACHE_SECONDS, clock)

    def __repr__(self) -> str:
        return f"ConnectWiseClient(origin={self._config.origin!r}, company_id={self._config.company_id!r})"

    @property
    def own_identity(self) -> str | None:
        return self._config.api_member_identifier

    # -- PsaConnector ---------------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: str) -> Ticket:
        ticket_num = positive_int(ticket_id, "ticket id")
        raw = await self._api("GET", f"/service/tickets/{ticket_num}")
        notes: list[Any] = []
        for page in range(1, MAX_NOTE_PAGES + 1):
            params: dict[str, str | int] = {"pageSize": NOTES_PAGE_SIZE, "orderBy": "id asc"}
            if page > 1:
                params["page"] = page
            batch = await self._api("GET", f"/service/tickets/{ticket_num}/notes", params=params)
            if not isinstance(batch, list):
                raise self._error("GET", f"/service/tickets/{ticket_num}/notes", None, "expected a JSON list")
            notes.extend(batch)
            if len(batch) < NOTES_PAGE_SIZE:
                break
        return map_ticket(raw, notes)

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note:
        ticket_num = positive_int(ticket_id, "ticket id")
        if not text.strip():
            raise ValidationFailed("note text must not be empty")
        body = note_body(text, internal=internal, member_identifier=self._config.api_member_identifier)
        # POST is not idempotent: never resent after the server may have acted on it (duplicate notes).
        created = await self._api("POST", f"/service/tickets/{ticket_num}/notes", json=body, idempotent=False)
        if not isinstance(created, Mapping):
            raise self._error("POST", f"/service/tickets/{ticket_num}/notes", None, "expected a JSON object")
        return map_note(created)

    async def list_statuses(self, ticket: Ticket) -> list[StatusOption]:
        if ticket.board_id is None:
            raise ValidationFailed(f"ticket {ticket.external_id} has no board, so it has no statuses")
        board_num = positive_int(ticket.board_id, "board id")
        cache_key = str(board_num)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return list(cached)
        raw = await self._api(
            "GET", f"/service/boards/{board_num}/statuses", params={"pageSize": STATUS_PAGE_SIZE}
        )
        options = map_statuses(raw)
        self._cache.put(cache_key, options)
        return list(options)

    async def set_status(self, ticket: Ticket, status: StatusOption) -> None:
        ticket_num = positive_int(ticket.external_id, "ticket id")
        status_num = positive_int(status.external_id, "status id")
        # A JSON-Patch "replace" is idempotent, so it is safe to resend after a 5xx or timeout.
        await self._api("PATCH", f"/service/tickets/{ticket_num}", json=status_patch(status_num))

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- Codebase -------------------------------------------------------------------------------------

    async def discover_codebase(self) -> str:
        """The path prefix of this company's API version, e.g. ``v2025_1/`` (cached after the first call)."""
        if self._codebase is not None:
            return self._codebase
        async with self._codebase_lock:
            if self._codebase is None:
                path = f"/login/companyinfo/{quote(self._config.company_id, safe='')}"
                # Unauthenticated by design: credentials are only sent to the API itself.
                info = await self._http.request("GET", self._config.origin + path, label=path)
                codebase = info.get("Codebase") if isinstance(info, Mapping) else None
                if not isinstance(codebase, str):
                    raise self._error("GET", path, None, "company info has no Codebase")
                try:
                    self._codebase = normalise_codebase(codebase)
                except ValueError:
                    raise self._error("GET", path, None, "company info has an invalid Codebase") from None
            return self._codebase

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
        codebase = await self.discover_codebase()
        url = f"{self._config.origin}/{codebase}apis/3.0{path}"
        return await self._http.request(
            method,
            url,
            label=path,
            params=params,
            json=json,
            headers=self._auth_headers,
            idempotent=idempotent,
        )

    def _error(self, method: str, path: str, status: int | None, message: str) -> IntegrationError:
        return self._http.error(method, path, status, message)
