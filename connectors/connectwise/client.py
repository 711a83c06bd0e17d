"""Typed async calls to the ConnectWise PSA REST API (``/apis/3.0``)."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from connectors.connectwise.config import ConnectWiseConfig, normalise_codebase
from connectors.connectwise.mapping import KIND, map_note, map_statuses, map_ticket, note_body, status_patch
from core.domain import Note, StatusOption, Ticket
from core.errors import IntegrationError, ValidationFailed

logger = logging.getLogger(__name__)

SleepFn = Callable[[float], Awaitable[None]]
ClockFn = Callable[[], float]

MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.5
# A longer Retry-After is not slept through: the caller (a durable workflow) retries later instead.
MAX_RETRY_AFTER_SECONDS = 60.0
STATUS_CACHE_SECONDS = 600.0
NOTES_PAGE_SIZE = 100
MAX_NOTE_PAGES = 10
STATUS_PAGE_SIZE = 1000  # ConnectWise's maximum page size
RETRY_WITH_RETRY_AFTER = frozenset({429, 503})
RETRY_ON_SERVER_ERROR = frozenset({500, 502, 504})
_VENDOR_MESSAGE_LIMIT = 300


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); ``None`` when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _digits(value: str, what: str) -> int:
    # Ids go into URL paths: only plain positive integers, so a model argument cannot steer the path.
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        raise ValidationFailed(f"{what} must be a positive integer, got {value[:40]!r}")
    return int(text)


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
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(config.timeout_seconds),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )
        self._codebase: str | None = config.codebase
        self._codebase_lock = asyncio.Lock()
        self._status_cache: dict[str, tuple[float, list[StatusOption]]] = {}
        token = f"{config.company_id}+{config.public_key}:{config.private_key.get_secret_value()}"
        self._auth_headers = {
            "Authorization": "Basic " + base64.b64encode(token.encode()).decode("ascii"),
            "clientId": config.client_id,
        }
        self._secrets = tuple(
            s for s in (config.private_key.get_secret_value(), config.public_key, token) if len(s) >= 4
        )

    def __repr__(self) -> str:
        return f"ConnectWiseClient(origin={self._config.origin!r}, company_id={self._config.company_id!r})"

    @property
    def own_identity(self) -> str | None:
        return self._config.api_member_identifier

    # -- PsaConnector ---------------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: str) -> Ticket:
        ticket_num = _digits(ticket_id, "ticket id")
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
        ticket_num = _digits(ticket_id, "ticket id")
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
        board_num = _digits(ticket.board_id, "board id")
        cache_key = str(board_num)
        cached = self._status_cache.get(cache_key)
        now = self._clock()
        if cached is not None and cached[0] > now:
            return list(cached[1])
        raw = await self._api(
            "GET", f"/service/boards/{board_num}/statuses", params={"pageSize": STATUS_PAGE_SIZE}
        )
        options = map_statuses(raw)
        self._status_cache[cache_key] = (now + STATUS_CACHE_SECONDS, options)
        return list(options)

    async def set_status(self, ticket: Ticket, status: StatusOption) -> None:
        ticket_num = _digits(ticket.external_id, "ticket id")
        status_num = _digits(status.external_id, "status id")
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
                info = await self._send("GET", self._config.origin + path, path, authenticated=False)
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
        if params:
            # %20 rather than '+' for spaces: '+' is not a space everywhere ConnectWise is hosted.
            url += "?" + urlencode(params, quote_via=quote)
        return await self._send(method, url, path, json=json, idempotent=idempotent)

    async def _send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool = True,
        authenticated: bool = True,
    ) -> Any:
        headers = dict(self._auth_headers) if authenticated else {}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            try:
                response = await self._http.request(method, url, json=json, headers=headers)
            except httpx.TimeoutException:
                # Retried only when resending cannot duplicate a write the server may have made.
                if last or not idempotent:
                    raise self._error(method, path, None, "timed out", retryable=True) from None
                await self._backoff(method, path, attempt, None, "timeout")
                continue
            except httpx.TransportError as exc:
                # A connect failure never reached the server, so even a POST may be resent.
                if last or not (idempotent or isinstance(exc, httpx.ConnectError)):
                    raise self._error(
                        method, path, None, "could not reach ConnectWise", retryable=True
                    ) from None
                await self._backoff(method, path, attempt, None, type(exc).__name__)
                continue

            status = response.status_code
            if status < 300:
                return self._json(response, method, path)
            retryable = status in RETRY_WITH_RETRY_AFTER or status in RETRY_ON_SERVER_ERROR
            may_resend = status in RETRY_WITH_RETRY_AFTER or (idempotent and status in RETRY_ON_SERVER_ERROR)
            if last or not may_resend:
                raise self._error(method, path, status, self._vendor_message(response), retryable=retryable)
            delay = None
            if status in RETRY_WITH_RETRY_AFTER:
                delay = parse_retry_after(response.headers.get("Retry-After"))
                if delay is not None and delay > MAX_RETRY_AFTER_SECONDS:
                    raise self._error(method, path, status, self._vendor_message(response), retryable=True)
            await self._backoff(method, path, attempt, delay, f"HTTP {status}")
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    async def _backoff(self, method: str, path: str, attempt: int, delay: float | None, why: str) -> None:
        if delay is None:
            # Exponential with jitter, so many workers hitting one rate limit do not retry in lockstep.
            ceiling = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
            delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        logger.warning(
            "ConnectWise %s %s: %s, retrying in %.2fs (attempt %d/%d)",
            method, path, why, delay, attempt + 1, MAX_ATTEMPTS,
        )  # fmt: skip
        await self._sleep(delay)

    def _json(self, response: httpx.Response, method: str, path: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._error(method, path, response.status_code, "response is not JSON") from None

    @staticmethod
    def _vendor_message(response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return response.reason_phrase or "error"
        if not isinstance(payload, Mapping):
            return response.reason_phrase or "error"
        parts: list[str] = []
        if isinstance(payload.get("message"), str):
            parts.append(payload["message"])
        errors = payload.get("errors")
        if isinstance(errors, list):
            # Validation failures name the offending field here, which the top-level message does not.
            for item in errors[:3]:
                if isinstance(item, Mapping) and isinstance(item.get("message"), str):
                    parts.append(item["message"])
        return "; ".join(parts) or response.reason_phrase or "error"

    def _error(
        self, method: str, path: str, status: int | None, message: str, *, retryable: bool = False
    ) -> IntegrationError:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        message = " ".join(message.split())[:_VENDOR_MESSAGE_LIMIT]
        where = f"ConnectWise {method} {path}"
        detail = f"{where} failed with HTTP {status}: {message}" if status else f"{where} failed: {message}"
        return IntegrationError(detail, status=status, retryable=retryable)
