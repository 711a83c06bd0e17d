"""The ConnectWise REST seam: auth headers, codebase discovery and page following over ``VendorHttp``."""

from __future__ import annotations

import asyncio
import base64
import random
from collections.abc import AsyncGenerator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.connectwise.config import ConnectWiseConfig, normalise_codebase
from connectors.http import SleepFn, VendorHttp
from core.errors import IntegrationError

MAX_PAGE_SIZE = 1000  # ConnectWise refuses larger pages


class ConnectWiseApi:
    """Authenticated calls to ``{origin}/{codebase}apis/3.0``; paths in labels never carry query values."""

    def __init__(
        self,
        config: ConnectWiseConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        token = f"{config.company_id}+{config.public_key}:{config.private_key.get_secret_value()}"
        self.http = VendorHttp(
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

    @property
    def discovered_codebase(self) -> str | None:
        """The codebase found through ``/login/companyinfo``; ``None`` when configured or not yet known."""
        if self._config.codebase is None:
            return self._codebase
        return None

    async def discover_codebase(self) -> str:
        """The path prefix of this company's API version, e.g. ``v2025_1/`` (cached after the first call)."""
        if self._codebase is not None:
            return self._codebase
        async with self._codebase_lock:
            if self._codebase is None:
                path = f"/login/companyinfo/{quote(self._config.company_id, safe='')}"
                # Unauthenticated by design: credentials are only sent to the API itself.
                info = await self.http.request("GET", self._config.origin + path, label=path)
                codebase = info.get("Codebase") if isinstance(info, Mapping) else None
                if not isinstance(codebase, str):
                    raise self.error("GET", path, "company info has no Codebase")
                try:
                    self._codebase = normalise_codebase(codebase)
                except ValueError:
                    raise self.error("GET", path, "company info has an invalid Codebase") from None
            return self._codebase

    async def call(
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
        return await self.http.request(
            method,
            url,
            label=path,
            params=params,
            json=json,
            headers=self._auth_headers,
            idempotent=idempotent,
        )

    async def get_object(self, path: str) -> Mapping[str, Any]:
        body = await self.call("GET", path)
        if not isinstance(body, Mapping):
            raise self.error("GET", path, "expected a JSON object")
        return body

    async def pages(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int,
    ) -> AsyncGenerator[list[Any], None]:
        """Pages ``page=1..max_pages``, ending after a short page (a page shorter than ``pageSize`` is
        the last one, so ConnectWise's ``Link`` header is not needed). The caller may stop early."""
        for page in range(1, max_pages + 1):
            query: dict[str, str | int] = {"pageSize": page_size, **(params or {})}
            if page > 1:
                query["page"] = page
            batch = await self.call("GET", path, params=query)
            if not isinstance(batch, list):
                raise self.error("GET", path, "expected a JSON list")
            yield batch
            if len(batch) < page_size:
                return

    async def get_list(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int,
    ) -> list[Any]:
        """Every item of up to ``max_pages`` pages."""
        items: list[Any] = []
        async for batch in self.pages(path, params=params, page_size=page_size, max_pages=max_pages):
            items.extend(batch)
        return items

    def error(self, method: str, path: str, message: str) -> IntegrationError:
        return self.http.error(method, path, None, message)

    async def aclose(self) -> None:
        await self.http.aclose()
