"""The Autotask REST seam: zone discovery, auth headers, request limits and page following over
``VendorHttp``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.autotask.config import AutotaskConfig, normalise_zone_url
from connectors.autotask.limits import PROCESS_LIMITS, UNLIMITED_ENDPOINTS, AutotaskLimits, endpoint_of
from connectors.autotask.values import fold
from connectors.http import SleepFn, TtlCache, VendorHttp
from core.errors import IntegrationError

ClockFn = Callable[[], float]

# Zone lookup is answered by this fixed host for every Autotask user (swagger: /V1.0/ZoneInformation).
ZONE_DISCOVERY_URL = "https://webservices.autotask.net/ATServicesRest/V1.0/ZoneInformation"
# A discovered zone is only trusted on Autotask's own hosts: credentials are sent to it.
ZONE_HOST_SUFFIX = ".autotask.net"
API_VERSION = "V1.0"
MAX_PAGE_SIZE = 500  # Autotask returns at most 500 items per query page
METADATA_CACHE_SECONDS = 600.0


class AutotaskApi:
    """Authenticated calls to ``{zone}V1.0/...``. Labels are paths without query values or secrets."""

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
        self._clock = clock
        self._limits = limits if limits is not None else PROCESS_LIMITS
        self._integration_code = config.integration_code.get_secret_value()
        self.http = VendorHttp(
            vendor="Autotask",
            timeout_seconds=config.timeout_seconds,
            transport=transport,
            sleep=sleep,
            rng=rng,
            secrets=(
                config.secret.get_secret_value(),
                self._integration_code,
                config.webhook_secret.get_secret_value(),
            ),
            gate=self._gate,
        )
        self._headers = {
            "ApiIntegrationCode": self._integration_code,
            "UserName": config.username,
            "Secret": config.secret.get_secret_value(),
        }
        if config.impersonation_resource_id is not None:
            self._headers["ImpersonationResourceId"] = str(config.impersonation_resource_id)
        self._zone_url: str | None = config.zone_url
        self._zone_lock = asyncio.Lock()
        self.cache = TtlCache(METADATA_CACHE_SECONDS, clock)

    @property
    def discovered_zone_url(self) -> str | None:
        """The zone found through ZoneInformation; ``None`` when configured or not yet known."""
        return self._zone_url if self._config.zone_url is None else None

    # -- limits ---------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _gate(self, method: str, label: str) -> AsyncIterator[None]:
        """Around every attempt: a free thread on the endpoint, then one request from the hourly budget."""
        endpoint = endpoint_of(label)
        if endpoint in UNLIMITED_ENDPOINTS or self._zone_url is None:
            yield
            return
        async with self._limits.semaphore(self._integration_code, endpoint):
            budget = self._limits.budget(self._zone_url, self._config.username)
            wait = budget.try_spend(self._clock(), self._config.hourly_request_limit)
            if wait is not None:
                raise IntegrationError(
                    f"Autotask {method} {label} not sent: the hourly budget of "
                    f"{self._config.hourly_request_limit} requests is used up; a slot frees in {wait:.0f}s",
                    retryable=True,
                )
            yield

    # -- zone -----------------------------------------------------------------------------------------

    async def zone(self) -> str:
        """The REST base of the zone, e.g. ``https://webservices15.autotask.net/ATServicesRest/``."""
        if self._zone_url is not None:
            return self._zone_url
        async with self._zone_lock:
            if self._zone_url is None:
                label = f"/ATServicesRest/{API_VERSION}/ZoneInformation"
                info = await self.http.request(
                    "GET", ZONE_DISCOVERY_URL, label=label, params={"user": self._config.username},
                    headers=self._headers,
                )  # fmt: skip
                self._zone_url = self._trusted_zone(fold(info).get("url"), label)
            return self._zone_url

    def _trusted_zone(self, url: Any, label: str) -> str:
        if not isinstance(url, str) or not url.strip():
            raise self.http.error("GET", label, None, "zone information has no url (is the user name right?)")
        try:
            zone = normalise_zone_url(url)
        except ValueError:
            raise self.http.error("GET", label, None, "zone information has an invalid url") from None
        parts = urlsplit(zone)
        if parts.scheme != "https" or not (parts.hostname or "").endswith(ZONE_HOST_SUFFIX):
            raise self.http.error("GET", label, None, "zone url is not an https Autotask host")
        return zone

    # -- requests -------------------------------------------------------------------------------------

    async def call(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> Any:
        """``path`` is relative to ``V1.0``, e.g. ``/Tickets/4711``."""
        zone = await self.zone()
        label = f"/{API_VERSION}{path}"
        return await self.http.request(
            method, f"{zone}{API_VERSION}{path}", label=label, json=json, headers=self._headers,
            idempotent=idempotent,
        )  # fmt: skip

    async def get_item(self, path: str) -> dict[str, Any] | None:
        """``GET`` of one entity: ``{"item": {...}}``; ``None`` when Autotask answers ``{"item": null}``."""
        payload = await self.call("GET", path)
        if not isinstance(payload, Mapping) or "item" not in fold(payload):
            raise self.http.error("GET", f"/{API_VERSION}{path}", None, "expected an {item} object")
        item = fold(payload)["item"]
        if item is None:
            return None
        if not isinstance(item, Mapping):
            raise self.http.error("GET", f"/{API_VERSION}{path}", None, "item is not an object")
        return dict(item)

    async def require_item(self, path: str, what: str) -> dict[str, Any]:
        item = await self.get_item(path)
        if item is None:
            raise IntegrationError(f"Autotask GET /{API_VERSION}{path} failed: {what} not found", status=404)
        return item

    async def created_id(self, method: str, path: str, body: Mapping[str, Any], *, idempotent: bool) -> int:
        """A write answered with ``{"itemId": n}`` (Autotask's real answer; the swagger's is wrong)."""
        payload = await self.call(method, path, json=body, idempotent=idempotent)
        item_id = fold(payload).get("itemid")
        if isinstance(item_id, bool) or not isinstance(item_id, int):
            raise self.http.error(method, f"/{API_VERSION}{path}", None, "response has no itemId")
        return item_id

    async def query_page(
        self,
        entity: str,
        filters: list[dict[str, Any]],
        *,
        max_records: int = MAX_PAGE_SIZE,
        page_url: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of ``POST /V1.0/{entity}/query`` and its ``pageDetails.nextPageUrl`` (``None`` on the
        last page). ``page_url`` asks for a later page: it is POSTed with the same body (a GET of a POST
        query's ``nextPageUrl`` is refused), and only on this zone, since the request carries our
        credentials."""
        body = {"filter": filters, "MaxRecords": min(max_records, MAX_PAGE_SIZE)}
        label = f"/{API_VERSION}/{entity}/query"
        if page_url is None:
            payload = await self.call("POST", f"/{entity}/query", json=body)
        else:
            if not self.on_zone(page_url, await self.zone()):
                raise self.http.error("POST", label, None, "nextPageUrl is off this zone")
            payload = await self.http.request(
                "POST", page_url, label=urlsplit(page_url).path, json=body, headers=self._headers
            )
        page_body = fold(payload)
        raw_items = page_body.get("items")
        if not isinstance(raw_items, list):
            raise self.http.error("POST", label, None, "expected an items list")
        next_url = fold(page_body.get("pagedetails")).get("nextpageurl")
        next_url = next_url.strip() if isinstance(next_url, str) and next_url.strip() else None
        return [dict(i) for i in raw_items if isinstance(i, Mapping)], next_url

    async def query(
        self,
        entity: str,
        filters: list[dict[str, Any]],
        *,
        max_records: int = MAX_PAGE_SIZE,
        max_pages: int = 1,
    ) -> tuple[list[dict[str, Any]], bool]:
        """``query_page`` following ``nextPageUrl`` up to ``max_pages``; returns the items and whether
        more pages were left unread."""
        items, next_url = await self.query_page(entity, filters, max_records=max_records)
        for _ in range(1, max_pages):
            if next_url is None:
                break
            more, next_url = await self.query_page(
                entity, filters, max_records=max_records, page_url=next_url
            )
            items.extend(more)
        return items, next_url is not None

    @staticmethod
    def on_zone(url: str, zone: str) -> bool:
        """Whether ``url`` is on the zone's origin and under its REST path (nothing else gets our
        credentials); the netloc comparison also refuses any user-info a forged URL might carry."""
        try:
            parts, base = urlsplit(url), urlsplit(zone)
            same_origin = (parts.scheme, parts.netloc.lower()) == (base.scheme, base.netloc.lower())
        except ValueError:
            return False
        return same_origin and parts.path.lower().startswith(base.path.lower())

    async def entity_fields(self, entity: str) -> Any:
        """``GET /V1.0/{entity}/entityInformation/fields`` (picklists), cached for ten minutes."""
        key = f"fields:{entity}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        fields = await self.call("GET", f"/{entity}/entityInformation/fields")
        self.cache.put(key, fields)
        return fields

    async def aclose(self) -> None:
        await self.http.aclose()
