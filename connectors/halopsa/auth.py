"""OAuth2 client credentials for the Halo API: one cached bearer token per client, refreshed early.

The token request is form-encoded (``grant_type=client_credentials``, ``client_id``, ``client_secret``,
``scope=all``) to ``{auth server}/token``, with ``?tenant=`` for hosted tenants.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from connectors.halopsa.config import HaloConfig
from connectors.http import VendorHttp
from core.errors import IntegrationError

ClockFn = Callable[[], float]

TOKEN_LABEL = "/auth/token"  # noqa: S105 - a path, not a secret
TOKEN_SCOPE = "all"  # noqa: S105 - the OAuth scope name
DEFAULT_EXPIRES_IN_SECONDS = 3600.0  # what Halo issues; used when a response leaves it out
REFRESH_MARGIN_SECONDS = 60.0  # renew this long before expiry, so a request never carries a dying token


class HaloTokens:
    """Fetches and caches the access token; at most one refresh runs at a time."""

    def __init__(self, config: HaloConfig, http: VendorHttp, clock: ClockFn) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _valid(self) -> str | None:
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        return None

    async def token(self) -> str:
        current = self._valid()
        if current is not None:
            return current
        async with self._lock:
            # Another caller may have refreshed while this one waited for the lock.
            current = self._valid()
            if current is None:
                current = await self._fetch()
            return current

    def invalidate(self, token: str) -> None:
        """Drop ``token`` after the API refused it; a newer token fetched meanwhile is kept."""
        if self._token == token:
            self._token = None
            self._expires_at = 0.0

    async def _fetch(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._config.client_id,
            "client_secret": self._config.client_secret.get_secret_value(),
            "scope": TOKEN_SCOPE,
        }
        params = {"tenant": self._config.tenant} if self._config.tenant else None
        started = self._clock()
        # Asking for another token has no side effect, so it may be resent after a timeout or 5xx.
        payload = await self._http.request(
            "POST", self._config.token_url, label=TOKEN_LABEL, params=params, data=form
        )
        token, expires_in = self._read(payload)
        self._http.add_secret(token)
        self._token = token
        lifetime = max(expires_in - REFRESH_MARGIN_SECONDS, expires_in / 2)
        self._expires_at = started + lifetime
        return token

    def _read(self, payload: Any) -> tuple[str, float]:
        body = payload if isinstance(payload, Mapping) else {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise self._error("token response has no access_token")
        token_type = body.get("token_type")
        if isinstance(token_type, str) and token_type.lower() != "bearer":
            raise self._error(f"token type {token_type[:20]!r} is not Bearer")
        raw_expiry = body.get("expires_in", DEFAULT_EXPIRES_IN_SECONDS)
        try:
            expires_in = float(raw_expiry)
        except (TypeError, ValueError):
            expires_in = DEFAULT_EXPIRES_IN_SECONDS
        if expires_in <= 0:
            expires_in = DEFAULT_EXPIRES_IN_SECONDS
        return token.strip(), expires_in

    def _error(self, message: str) -> IntegrationError:
        return self._http.error("POST", TOKEN_LABEL, None, message)
