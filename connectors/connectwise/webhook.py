"""Authenticate and parse ConnectWise callbacks.

ConnectWise signs each delivery with a key that must be fetched from ``Metadata.key_url`` inside the
(untrusted) body, so the URL is allow-listed before any request is made: otherwise a forged callback could
make us fetch arbitrary URLs (SSRF) or supply its own signing key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.connectwise.config import ConnectWiseConfig
from connectors.connectwise.mapping import map_callback
from connectors.json_values import json_object
from core.domain import ParsedWebhook
from core.errors import AuthenticationError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-content-signature"
CLOUD_KEY_HOSTS = frozenset(
    f"{prefix}.myconnectwise.net"
    for prefix in (
        "na", "eu", "au", "api-na", "api-eu", "api-au",
        "sandbox-na", "sandbox-eu", "sandbox-au", "staging",
    )
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_KEY_RESPONSE_BYTES = 16 * 1024


def sign_body(signing_key: str, body: bytes) -> str:
    """ConnectWise's ``x-content-signature``: base64(HMAC-SHA256(key=SHA256(signing_key), body))."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


class SigningKeyCache:
    """Signing keys per ``key_url`` with a TTL and a bounded size (least recently used goes first)."""

    def __init__(
        self,
        *,
        ttl_seconds: float = 3600.0,
        max_entries: int = 256,
        min_refetch_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.min_refetch_seconds = min_refetch_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, key_url: str) -> str | None:
        entry = self._entries.get(key_url)
        if entry is None:
            return None
        fetched_at, key = entry
        if self._clock() - fetched_at >= self.ttl_seconds:
            del self._entries[key_url]
            return None
        self._entries.move_to_end(key_url)
        return key

    def put(self, key_url: str, key: str) -> None:
        self._entries[key_url] = (self._clock(), key)
        self._entries.move_to_end(key_url)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def may_refetch(self, key_url: str) -> bool:
        """Rate-limits rotation refetches, so forged deliveries cannot make us hammer ConnectWise."""
        entry = self._entries.get(key_url)
        return entry is None or self._clock() - entry[0] >= self.min_refetch_seconds

    def __len__(self) -> int:
        return len(self._entries)


def _origin_tuple(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return scheme.lower(), host.lower().strip("[]"), port if port is not None else _DEFAULT_PORTS[scheme]


class ConnectWiseWebhookReceiver:
    """``connectors.base.WebhookReceiver`` for ConnectWise callbacks."""

    def __init__(
        self,
        config: ConnectWiseConfig,
        *,
        http: httpx.AsyncClient,
        key_cache: SigningKeyCache | None = None,
    ) -> None:
        self._config = config
        self._http = http
        self._cache = key_cache if key_cache is not None else SigningKeyCache()
        own = urlsplit(config.origin)
        self._own_origin = _origin_tuple(own.scheme, own.hostname or "", own.port)

    async def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        if signature is None or not signature.strip():
            raise AuthenticationError(f"missing {SIGNATURE_HEADER} header")
        provided = signature.strip().encode("utf-8", "replace")
        key_url = self._key_url(body)
        self._check_allowed(key_url)

        cached = self._cache.get(key_url)
        if cached is not None:
            if self._matches(cached, body, provided):
                return
            if not self._cache.may_refetch(key_url):
                raise AuthenticationError("signature does not match")
            logger.info("ConnectWise signature mismatch with a cached key; refetching once (rotation)")
        key = await self._fetch_key(key_url)
        self._cache.put(key_url, key)
        if not self._matches(key, body, provided):
            raise AuthenticationError("signature does not match")

    def parse(self, body: bytes) -> ParsedWebhook:
        return map_callback(json_object(body, "ConnectWise callback body"))

    # -- helpers --------------------------------------------------------------------------------------

    @staticmethod
    def _matches(signing_key: str, body: bytes, provided: bytes) -> bool:
        return hmac.compare_digest(sign_body(signing_key, body).encode("ascii"), provided)

    @staticmethod
    def _key_url(body: bytes) -> str:
        # Decoded only to find the key URL; nothing else from the body is trusted before verification.
        try:
            envelope: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise AuthenticationError("body is not JSON, cannot verify the signature") from None
        metadata = envelope.get("Metadata") if isinstance(envelope, Mapping) else None
        key_url = metadata.get("key_url") if isinstance(metadata, Mapping) else None
        if not isinstance(key_url, str) or not key_url.strip():
            raise AuthenticationError("callback has no Metadata.key_url, cannot verify the signature")
        return key_url.strip()

    def _check_allowed(self, key_url: str) -> None:
        if any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in key_url):
            raise AuthenticationError("key_url is not allowed")
        try:
            parts = urlsplit(key_url)
            port = parts.port
            # A second parser must agree on the host: URL parser differentials are a classic SSRF bypass.
            httpx_host = httpx.URL(key_url).host.lower()
        except (ValueError, httpx.InvalidURL):
            raise AuthenticationError("key_url is not a valid URL") from None
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        if (
            scheme not in _DEFAULT_PORTS
            or not host
            or parts.username is not None
            or parts.password is not None
            or httpx_host.strip("[]") != host
        ):
            raise AuthenticationError("key_url is not allowed")
        if scheme == "https" and host in CLOUD_KEY_HOSTS and port in (None, 443):
            return
        if _origin_tuple(scheme, host, port) == self._own_origin:
            return
        raise AuthenticationError("key_url host is not an allowed ConnectWise host")

    async def _fetch_key(self, key_url: str) -> str:
        try:
            async with self._http.stream(
                "GET",
                key_url,
                follow_redirects=False,
                timeout=self._config.timeout_seconds,
                headers={"Accept": "application/json", "clientId": self._config.client_id},
            ) as response:
                if 300 <= response.status_code < 400:
                    raise AuthenticationError("signing key URL redirected")
                if response.status_code != 200:
                    raise AuthenticationError(f"signing key URL answered HTTP {response.status_code}")
                content = bytearray()
                # Read with a cap: the URL's server is allow-listed but its answer is still untrusted.
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_KEY_RESPONSE_BYTES:
                        raise AuthenticationError("signing key response is too large")
        except httpx.HTTPError:
            raise AuthenticationError("could not fetch the ConnectWise signing key") from None
        try:
            payload = json.loads(bytes(content))
        except (ValueError, UnicodeDecodeError):
            raise AuthenticationError("signing key response is not JSON") from None
        key = payload.get("signing_key") if isinstance(payload, Mapping) else None
        if not isinstance(key, str) or not key:
            raise AuthenticationError("signing key response has no signing_key")
        return key
