"""The HTTP seam every vendor client shares: timeouts, retries with ``Retry-After`` and jittered
backoff, a per-request concurrency gate, vendor error text with secrets scrubbed.

Retry rules (why): a 429/503 was refused before anything happened, so any method may be resent; a
500/502/504 or a timeout may have acted, so only idempotent requests are resent (a resent POST makes a
duplicate note); a connect error never reached the server, so anything may be resent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from core.errors import IntegrationError, ValidationFailed

logger = logging.getLogger(__name__)

SleepFn = Callable[[float], Awaitable[None]]
# Called around each attempt with (method, label); e.g. Autotask's per-endpoint thread limit.
GateFn = Callable[[str, str], AbstractAsyncContextManager[None]]
MessageFn = Callable[[Any], str | None]

DEFAULT_MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.5
# A longer Retry-After is not slept through: the caller (a durable workflow) retries later instead.
MAX_RETRY_AFTER_SECONDS = 60.0
RETRY_WITH_RETRY_AFTER = frozenset({429, 503})
RETRY_ON_SERVER_ERROR = frozenset({500, 502, 504})
VENDOR_MESSAGE_LIMIT = 300


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


def default_vendor_message(payload: Any) -> str | None:
    """The human part of a vendor error body: ``message``, ``errors[]``, or OAuth's ``error_description``."""
    if isinstance(payload, str):
        return payload or None
    if not isinstance(payload, Mapping):
        return None
    parts: list[str] = []
    for key in ("message", "Message", "error_description"):
        if isinstance(payload.get(key), str):
            parts.append(payload[key])
    errors = payload.get("errors")
    if isinstance(errors, list):
        # Validation failures name the offending field here, which the top-level message does not.
        for item in errors[:3]:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, Mapping) and isinstance(item.get("message"), str):
                parts.append(item["message"])
    if not parts and isinstance(payload.get("error"), str):
        parts.append(payload["error"])
    return "; ".join(parts) or None


@contextlib.asynccontextmanager
async def _no_gate(_method: str, _label: str) -> AsyncIterator[None]:
    yield


class VendorHttp:
    """One ``httpx.AsyncClient`` plus the retry policy; vendor clients build URLs and bodies on top."""

    def __init__(
        self,
        *,
        vendor: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        rng: random.Random | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        message_of: MessageFn = default_vendor_message,
        gate: GateFn | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.vendor = vendor
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._message_of = message_of
        self._gate = gate or _no_gate
        self._max_attempts = max_attempts
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add_secret(secret)
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            headers={"Accept": "application/json", **(headers or {})},
        )

    def add_secret(self, secret: str) -> None:
        """Never let this value reach an error message (tokens obtained at runtime, too)."""
        if len(secret) >= 4:
            self._secrets.add(secret)

    async def request(
        self,
        method: str,
        url: str,
        *,
        label: str,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """The parsed JSON body (``None`` when empty). ``label`` names the call in errors and logs;
        it must not contain secrets or query values."""
        if params:
            # %20 rather than '+' for spaces: '+' is not a space on every vendor's server.
            url += ("&" if "?" in url else "?") + urlencode(params, quote_via=quote)
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            try:
                async with self._gate(method, label):
                    response = await self.client.request(method, url, json=json, data=data, headers=headers)
            except httpx.TimeoutException:
                if last or not idempotent:
                    raise self.error(method, label, None, "timed out", retryable=True) from None
                await self._backoff(method, label, attempt, None, "timeout")
                continue
            except httpx.TransportError as exc:
                if last or not (idempotent or isinstance(exc, httpx.ConnectError)):
                    raise self.error(
                        method, label, None, f"could not reach {self.vendor}", retryable=True
                    ) from None
                await self._backoff(method, label, attempt, None, type(exc).__name__)
                continue

            status = response.status_code
            if status < 300:
                return self._json(response, method, label)
            retryable = status in RETRY_WITH_RETRY_AFTER or status in RETRY_ON_SERVER_ERROR
            may_resend = status in RETRY_WITH_RETRY_AFTER or (idempotent and status in RETRY_ON_SERVER_ERROR)
            if last or not may_resend:
                raise self.error(method, label, status, self.vendor_message(response), retryable=retryable)
            delay = None
            if status in RETRY_WITH_RETRY_AFTER:
                delay = parse_retry_after(response.headers.get("Retry-After"))
                if delay is not None and delay > MAX_RETRY_AFTER_SECONDS:
                    raise self.error(method, label, status, self.vendor_message(response), retryable=True)
            await self._backoff(method, label, attempt, delay, f"HTTP {status}")
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    async def _backoff(self, method: str, label: str, attempt: int, delay: float | None, why: str) -> None:
        if delay is None:
            # Exponential with jitter, so many workers hitting one rate limit do not retry in lockstep.
            ceiling = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
            delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        logger.warning(
            "%s %s %s: %s, retrying in %.2fs (attempt %d/%d)",
            self.vendor, method, label, why, delay, attempt + 1, self._max_attempts,
        )  # fmt: skip
        await self._sleep(delay)

    def _json(self, response: httpx.Response, method: str, label: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self.error(method, label, response.status_code, "response is not JSON") from None

    def vendor_message(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return self._message_of(payload) or response.reason_phrase or "error"

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def error(
        self, method: str, label: str, status: int | None, message: str, *, retryable: bool = False
    ) -> IntegrationError:
        message = " ".join(self.scrub(message).split())[:VENDOR_MESSAGE_LIMIT]
        where = f"{self.vendor} {method} {label}"
        detail = f"{where} failed with HTTP {status}: {message}" if status else f"{where} failed: {message}"
        return IntegrationError(detail, status=status, retryable=retryable)

    async def aclose(self) -> None:
        await self.client.aclose()


def positive_int(value: str, what: str) -> int:
    """Ids go into URL paths: only plain positive integers, so a model argument cannot steer the path."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        raise ValidationFailed(f"{what} must be a positive integer, got {value[:40]!r}")
    return int(text)


class TtlCache:
    """A small per-client cache for picklists (they change rarely; a stale one costs one failed write)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        hit = self._items.get(key)
        if hit is None or hit[0] <= self._clock():
            return None
        return hit[1]

    def put(self, key: str, value: Any) -> None:
        self._items[key] = (self._clock() + self._ttl, value)
