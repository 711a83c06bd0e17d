"""A stateful fake Microsoft Graph (and Entra token issuer) at the HTTP boundary.

``FakeCredential`` issues a JWT-shaped token per tenant whose payload carries ``tid`` and ``roles`` (the
granted application permissions), signed with a key only this module knows. ``FakeGraph.handle`` picks
the tenant from that token and answers as Graph does: ``$select``/``$filter``/``$top``, 403 for a missing
permission or licence, OData error bodies, 429 with ``Retry-After`` when told to throttle. Use
``FakeGraph.respond`` as a respx side effect. The per-tenant routes and permissions are in ``msgraph_api``,
the ``$filter`` parser in ``msgraph_filter``, the tenants and their seeds in ``msgraph_tenants``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from azure.core.credentials import AccessToken

from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph_api import (
    DEFAULT_USER_FIELDS,
    DIRECTORY_READ,
    GROUPS_READ,
    GROUPS_WRITE,
    MAILBOX_DENIED,
    MIN_PASSWORD_LENGTH,
    PASSWORD_ROLES,
    PASSWORD_WRITE,
    PATCHABLE,
    PRIVILEGED_RESET_ROLES,
    ROUTES,
    USERS_READ,
    USERS_WRITE,
    WEAK_PASSWORD,
    serve,
)
from evals.fakes.msgraph_filter import FilterError, Predicate, parse_filter
from evals.fakes.msgraph_tenants import FakeTenant, default_tenants

__all__ = [
    "DEFAULT_USER_FIELDS",
    "DIRECTORY_READ",
    "GROUPS_READ",
    "GROUPS_WRITE",
    "MAILBOX_DENIED",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_ROLES",
    "PASSWORD_WRITE",
    "PATCHABLE",
    "PRIVILEGED_RESET_ROLES",
    "ROUTES",
    "TOKEN_LIFETIME_SECONDS",
    "USERS_READ",
    "USERS_WRITE",
    "WEAK_PASSWORD",
    "FakeCredential",
    "FakeGraph",
    "FakeTenant",
    "FilterError",
    "Predicate",
    "Recorded",
    "Response",
    "Throttle",
    "default_tenants",
    "mint_token",
    "parse_filter",
    "verify_token",
]

Response = tuple[int, Any]
_SIGNING_KEY = b"deskhand-fake-entra-signing-key"
TOKEN_LIFETIME_SECONDS = 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_token(tenant_id: str, roles: tuple[str, ...], client_id: str = gp.CLIENT_ID) -> str:
    """The app-only access token Entra would issue for ``tenant_id`` (same inputs, same token)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims: dict[str, Any] = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{tenant_id}/",
    }
    claims |= {"tid": tenant_id, "appid": client_id, "idtyp": "app", "roles": list(roles)}
    payload = _b64(json.dumps(claims, sort_keys=True).encode())
    signature = _b64(hmac.new(_SIGNING_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def verify_token(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = _b64(hmac.new(_SIGNING_KEY, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return claims if isinstance(claims, dict) else None


class FakeCredential:
    """``azure.core.credentials_async.AsyncTokenCredential`` for one tenant; records every call.

    ``error`` makes ``get_token`` fail as azure-identity does (e.g. a ``ClientAuthenticationError``)."""

    def __init__(
        self,
        tenant_id: str,
        *,
        roles: tuple[str, ...] = (),
        client_id: str = gp.CLIENT_ID,
        error: Exception | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.roles = roles
        self.client_id = client_id
        self.error = error
        self.scopes_requested: list[tuple[str, ...]] = []
        self.closed = False

    @property
    def token(self) -> str:
        return mint_token(self.tenant_id, self.roles, self.client_id)

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.scopes_requested.append(scopes)
        if self.error is not None:
            raise self.error
        if tenant_id is not None and tenant_id != self.tenant_id:
            raise ValueError("this credential only issues tokens for its own tenant")
        return AccessToken(self.token, int(time.time()) + TOKEN_LIFETIME_SECONDS)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()


@dataclass
class Recorded:
    method: str
    path: str  # after /v1.0, percent-decoded per segment, e.g. "/users/alice@contoso.com"
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    tenant_id: str | None

    @property
    def token(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Bearer ")


@dataclass
class Throttle:
    method: str
    path: str
    status: int
    retry_after: str | None
    remaining: int


@dataclass
class FakeGraph:
    tenants: dict[str, FakeTenant] = field(default_factory=default_tenants)
    page_size: int = 100  # memberOf page size (Graph's default)
    requests: list[Recorded] = field(default_factory=list)
    throttles: list[Throttle] = field(default_factory=list)
    _retry_after: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def tenant(self, tenant_id: str) -> FakeTenant:
        return self.tenants[tenant_id]

    def credential(self, tenant_id: str, *, roles: tuple[str, ...] | None = None) -> FakeCredential:
        """A credential for ``tenant_id`` whose tokens carry what that tenant consented (or ``roles``)."""
        granted = self.tenants[tenant_id].granted if roles is None else roles
        return FakeCredential(tenant_id, roles=granted)

    def throttle(
        self, method: str, path: str, *, status: int = 429, retry_after: str | None = "0", times: int = 1
    ) -> None:
        """Answer the next ``times`` requests to ``method path`` (path after /v1.0) with ``status``."""
        self.throttles.append(Throttle(method, path, status, retry_after, times))

    def writes(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET" and (method is None or r.method == method)]

    def respond(self, request: httpx.Request) -> httpx.Response:
        """respx side effect: ``handle`` plus the ``Retry-After`` header of a throttled answer."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            status, payload = self._handle(request.method, str(request.url), headers, request.content)
            retry_after, self._retry_after = self._retry_after, None
        extra = {"Retry-After": retry_after} if retry_after is not None else {}
        if payload is None:
            return httpx.Response(status, headers=extra)
        return httpx.Response(status, json=payload, headers=extra)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        with self._lock:
            return self._handle(method, url, {k.lower(): v for k, v in headers.items()}, body)

    def _handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        payload = json.loads(body) if body else None
        if parts.hostname == gp.LOGIN_HOST:
            self.requests.append(Recorded(method, parts.path, query, headers, payload, None))
            return self._openid(parts.path)
        raw_path = parts.path
        path = "/".join(unquote(segment) for segment in raw_path.split("/"))
        if parts.hostname != gp.GRAPH_HOST or not path.startswith("/v1.0/") or "//" in raw_path:
            self.requests.append(Recorded(method, path, query, headers, payload, None))
            return 400, gp.odata_error("BadRequest", f"Resource not found for the segment in '{raw_path}'.")
        route = path[len("/v1.0") :]
        claims = verify_token(headers.get("authorization", "").removeprefix("Bearer "))
        tenant_id = str(claims["tid"]) if claims else None
        self.requests.append(Recorded(method, route, query, headers, payload, tenant_id))
        if claims is None or tenant_id not in self.tenants:
            return 401, gp.odata_error("InvalidAuthenticationToken", "Access token validation failure.")
        for throttle in self.throttles:
            if throttle.remaining > 0 and throttle.method == method and throttle.path == route:
                throttle.remaining -= 1
                self._retry_after = throttle.retry_after
                code = "TooManyRequests" if throttle.status == 429 else "serviceNotAvailable"
                return throttle.status, gp.odata_error(code, "Too many requests. Please retry after a while.")
        roles = frozenset(claims.get("roles") or ())
        return serve(self.tenants[tenant_id], roles, self.page_size, method, route, query, payload)

    def _openid(self, path: str) -> Response:
        segments = path.strip("/").split("/")
        name = segments[0].lower() if segments else ""
        for tenant in self.tenants.values():
            if name == tenant.tenant_id or name in tenant.verified_domains():
                return 200, gp.openid_configuration(tenant.tenant_id)
        return 400, gp.unknown_tenant_error(name)
