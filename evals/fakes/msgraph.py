"""A stateful fake Microsoft Graph (and Entra token issuer) at the HTTP boundary.

``FakeCredential`` issues a JWT-shaped token per tenant whose payload carries ``tid`` and ``roles`` (the
granted application permissions), signed with a key only this module knows. ``FakeGraph.handle`` picks
the tenant from that token and answers as Graph does: ``$select``/``$filter``/``$top``, 403 for a missing
permission or licence, OData error bodies, 429 with ``Retry-After`` when told to throttle. Use
``FakeGraph.respond`` as a respx side effect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from azure.core.credentials import AccessToken

from evals.fakes import msgraph_payloads as gp

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
class FakeTenant:
    """One client tenant's directory, as Graph would serve it."""

    tenant_id: str
    granted: tuple[str, ...] = ()
    premium: bool = True  # Entra ID P1: sign-in logs and signInActivity
    domains: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    sign_in_activity: dict[str, dict[str, Any]] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    role_members: dict[str, list[str]] = field(default_factory=dict)
    skus: list[dict[str, Any]] = field(default_factory=list)
    auth_methods: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mailboxes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sign_ins: list[dict[str, Any]] = field(default_factory=list)
    risky_users: list[dict[str, Any]] = field(default_factory=list)
    service_principal: dict[str, Any] | None = None
    revoked: list[str] = field(default_factory=list)  # user ids whose sessions were revoked
    passwords: dict[str, dict[str, Any]] = field(default_factory=dict)  # last passwordProfile set per user

    def user_by_ref(self, ref: str) -> dict[str, Any] | None:
        if ref in self.users:
            return self.users[ref]
        folded = ref.casefold()
        return next((u for u in self.users.values() if u["userPrincipalName"].casefold() == folded), None)

    def verified_domains(self) -> set[str]:
        return {d["id"].lower() for d in self.domains if d["isVerified"]}

    def roles_of(self, object_id: str) -> list[dict[str, Any]]:
        return [self.roles[rid] for rid, ids in self.role_members.items() if object_id in ids]


def default_tenants() -> dict[str, FakeTenant]:
    return {
        gp.TENANT_A: FakeTenant(**gp.contoso_seed()),
        gp.TENANT_B: FakeTenant(**gp.fabrikam_seed()),
    }


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
        api = _TenantApi(self.tenants[tenant_id], frozenset(claims.get("roles") or ()), self.page_size)
        try:
            return api.dispatch(method, route, query, payload)
        except FilterError as exc:
            return 400, gp.odata_error("BadRequest", f"Invalid filter clause: {exc}")
        except _Answer as answer:
            return answer.response

    def _openid(self, path: str) -> Response:
        segments = path.strip("/").split("/")
        name = segments[0].lower() if segments else ""
        for tenant in self.tenants.values():
            if name == tenant.tenant_id or name in tenant.verified_domains():
                return 200, gp.openid_configuration(tenant.tenant_id)
        return 400, gp.unknown_tenant_error(name)


# -- OData $filter: the subset Deskhand writes (or/and, startswith, eq) -----------------------------------


class FilterError(ValueError):
    pass


Predicate = Callable[[dict[str, Any]], bool]
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_STARTSWITH = re.compile(r"startswith\(([\w/]+),\s*#(\d+)\)", re.IGNORECASE)
_EQUALS = re.compile(r"([\w/]+) eq (?:#(\d+)|(true|false))")


def _field(record: dict[str, Any], path: str) -> str:
    value: Any = record
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return str(value).casefold() if value is not None else ""


def _compare(path: str, wanted: str, *, prefix_only: bool) -> Predicate:
    if prefix_only:
        return lambda record: _field(record, path).startswith(wanted)
    return lambda record: _field(record, path) == wanted


def parse_filter(text: str) -> Predicate:
    """A predicate for ``text``; ``FilterError`` where Graph would refuse it (an unescaped quote...)."""
    literals = [m.group(0)[1:-1].replace("''", "'").casefold() for m in _LITERAL.finditer(text)]
    counter = iter(range(len(literals)))
    masked = _LITERAL.sub(lambda _m: f"#{next(counter)}", text)
    if "'" in masked:
        raise FilterError("unterminated string literal")
    alternatives: list[list[Predicate]] = []
    for alternative in re.split(r"\s+or\s+", masked.strip()):
        clauses: list[Predicate] = []
        for clause in re.split(r"\s+and\s+", alternative):
            if match := _STARTSWITH.fullmatch(clause):
                path, prefix = match.group(1), literals[int(match.group(2))]
                clauses.append(_compare(path, prefix, prefix_only=True))
            elif match := _EQUALS.fullmatch(clause):
                path, index, flag = match.groups()
                wanted = literals[int(index)] if index is not None else str(flag == "true").casefold()
                clauses.append(_compare(path, wanted, prefix_only=False))
            else:
                raise FilterError(f"cannot parse {clause!r}")
        alternatives.append(clauses)
    return lambda record: any(all(clause(record) for clause in group) for group in alternatives)


# -- the per-tenant API ------------------------------------------------------------------------------------

USERS_READ = frozenset(
    {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
USERS_WRITE = frozenset({"User.ReadWrite.All", "Directory.ReadWrite.All"})
DIRECTORY_READ = frozenset({"Directory.Read.All", "Directory.ReadWrite.All"})
GROUPS_WRITE = frozenset({"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"})
GROUPS_READ = GROUPS_WRITE | {"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"}
MAILBOX_DENIED = gp.graph_error(
    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
)
# (method, route shape) -> (any one of these application permissions, Graph's answer without them).
# PATCH /users/{id} is checked per property in ``_patch_user``.
# fmt: off
ROUTES: dict[tuple[str, str], tuple[frozenset[str], Response]] = {
    ("GET", "users"): (USERS_READ, gp.DENIED),
    ("POST", "users"): (USERS_WRITE, gp.DENIED),
    ("GET", "users/{id}"): (USERS_READ, gp.DENIED),
    ("PATCH", "users/{id}"): (USERS_READ | USERS_WRITE | {"User.EnableDisableAccount.All"}, gp.DENIED),
    ("GET", "users/{id}/memberOf"): (DIRECTORY_READ, gp.DENIED),
    ("GET", "users/{id}/manager"): (USERS_READ, gp.DENIED),
    ("PUT", "users/{id}/manager/$ref"): (USERS_WRITE, gp.DENIED),
    ("GET", "users/{id}/authentication/methods"):
        (frozenset({"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}),
         gp.DENIED),
    ("POST", "users/{id}/revokeSignInSessions"): (USERS_WRITE | {"User.RevokeSessions.All"}, gp.DENIED),
    ("POST", "users/{id}/assignLicense"): (USERS_WRITE | {"LicenseAssignment.ReadWrite.All"}, gp.DENIED),
    ("GET", "users/{id}/mailboxSettings"):
        (frozenset({"MailboxSettings.Read", "MailboxSettings.ReadWrite"}), MAILBOX_DENIED),
    ("PATCH", "users/{id}/mailboxSettings"): (frozenset({"MailboxSettings.ReadWrite"}), MAILBOX_DENIED),
    ("GET", "groups"): (GROUPS_READ, gp.DENIED),
    ("GET", "groups/{id}"): (GROUPS_READ, gp.DENIED),
    ("POST", "groups/{id}/members/$ref"): (GROUPS_WRITE, gp.DENIED),
    ("DELETE", "groups/{id}/members/{id}/$ref"): (GROUPS_WRITE, gp.DENIED),
    ("GET", "subscribedSkus"):
        (DIRECTORY_READ | {"LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All"}, gp.DENIED),
    ("GET", "auditLogs/signIns"): (frozenset({"AuditLog.Read.All"}), gp.AUDIT_DENIED),
    ("GET", "identityProtection/riskyUsers"): (frozenset({"IdentityRiskyUser.Read.All"}), gp.DENIED),
    ("GET", "domains"): (DIRECTORY_READ | {"Domain.Read.All"}, gp.DENIED),
    ("GET", "servicePrincipals(appId)"): (DIRECTORY_READ | {"Application.Read.All"}, gp.DENIED),
    ("GET", "servicePrincipals/{id}/memberOf"): (DIRECTORY_READ | {"Application.Read.All"}, gp.DENIED),
}
# fmt: on
PASSWORD_WRITE = USERS_WRITE | {"User-PasswordProfile.ReadWrite.All"}
PRIVILEGED_RESET_ROLES = frozenset({"Privileged Authentication Administrator", "Global Administrator"})
PASSWORD_ROLES = PRIVILEGED_RESET_ROLES | {
    "Helpdesk Administrator",
    "Password Administrator",
    "User Administrator",
}
DEFAULT_USER_FIELDS: tuple[str, ...] = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
)
DEFAULT_USER_FIELDS += ("officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id")
PATCHABLE = frozenset({"accountEnabled", "displayName", "givenName", "surname", "jobTitle", "department"})
PATCHABLE |= {"officeLocation", "mobilePhone", "usageLocation", "passwordProfile"}
MIN_PASSWORD_LENGTH = 8
WEAK_PASSWORD = "The specified password does not comply with password complexity requirements."
_APP_ID_RE = re.compile(r"servicePrincipals\(appId='([^']*)'\)")


def _collection(entity: str, items: list[dict[str, Any]], next_link: str | None = None) -> Response:
    body: dict[str, Any] = {"@odata.context": f"{gp.GRAPH}/$metadata#{entity}", "value": items}
    if next_link:
        body["@odata.nextLink"] = next_link
    return 200, body


def _entity(entity: str, record: dict[str, Any]) -> Response:
    return 200, {"@odata.context": f"{gp.GRAPH}/$metadata#{entity}", **record}


def _project(record: dict[str, Any], query: dict[str, str], default: tuple[str, ...] = ()) -> dict[str, Any]:
    fields = query["$select"].split(",") if query.get("$select") else list(default or record)
    projected = {name: record.get(name) for name in fields}
    if "@odata.type" in record:
        projected["@odata.type"] = record["@odata.type"]
    return projected


def _user_body(body: Any) -> dict[str, Any]:
    """A user body without the ``@odata.type`` the SDKs send (Graph accepts the matching type only)."""
    properties: dict[str, Any] = dict(body or {})
    if properties.pop("@odata.type", "#microsoft.graph.user") != "#microsoft.graph.user":
        raise _Answer(gp.bad_request("The @odata.type of a user must be #microsoft.graph.user."))
    return properties


def _ref_id(body: Any) -> str:
    return str((body or {}).get("@odata.id", "")).rstrip("/").rsplit("/", 1)[-1]


def _shape(segments: list[str]) -> tuple[str, list[str]]:
    """``users/alice@x/manager`` -> (``users/{id}/manager``, [``alice@x``])."""
    if _APP_ID_RE.fullmatch(segments[0]):
        return "servicePrincipals(appId)", [_APP_ID_RE.fullmatch(segments[0]).group(1)]  # type: ignore[union-attr]
    keyed = {"users": (1,), "groups": (1, 3), "servicePrincipals": (1,)}.get(segments[0], ())
    args = [segments[i] for i in keyed if i < len(segments) and segments[i] != "$ref"]
    shape = ["{id}" if i in keyed and segments[i] != "$ref" else part for i, part in enumerate(segments)]
    return "/".join(shape), args


@dataclass
class _TenantApi:
    tenant: FakeTenant
    roles: frozenset[str]  # the token's application permissions
    page_size: int

    def dispatch(self, method: str, route: str, query: dict[str, str], body: Any) -> Response:
        shape, args = _shape(route.strip("/").split("/"))
        needed, denial = ROUTES.get((method, shape), (None, None))
        if needed is None or denial is None:
            return gp.bad_request(f"Unsupported request {method} {route}")
        if not self.roles & needed:
            return denial
        handler = getattr(self, "_" + re.sub(r"[^a-z]+", "_", f"{method} {shape}".lower()).strip("_"))
        return handler(*args, query=query, body=body)  # type: ignore[no-any-return]

    def _user(self, ref: str) -> dict[str, Any]:
        record = self.tenant.user_by_ref(ref)
        if record is None:
            raise _Answer(gp.not_found(ref))
        return record

    def _filtered(
        self, records: list[dict[str, Any]], query: dict[str, str], top: int
    ) -> list[dict[str, Any]]:
        matches = parse_filter(query["$filter"]) if query.get("$filter") else (lambda _r: True)
        return [r for r in records if matches(r)][: int(query.get("$top", top))]

    # -- users ------------------------------------------------------------------------------------------

    def _get_users(self, *, query: dict[str, str], body: Any) -> Response:
        found = self._filtered(list(self.tenant.users.values()), query, 100)
        return _collection("users", [_project(u, query, DEFAULT_USER_FIELDS) for u in found])

    def _get_users_id(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        view = dict(self._user(ref))
        if "signInActivity" in query.get("$select", "").split(","):
            if ref != view["id"]:
                return gp.bad_request("Get By Key only supports UserId and the key has to be a valid Guid")
            if "AuditLog.Read.All" not in self.roles:
                return gp.AUDIT_DENIED
            if not self.tenant.premium:
                return gp.NOT_PREMIUM
            view["signInActivity"] = self.tenant.sign_in_activity.get(view["id"])
        return _entity("users/$entity", _project(view, query, DEFAULT_USER_FIELDS))

    def _post_users(self, *, query: dict[str, str], body: Any) -> Response:
        body, profile = _user_body(body), (body or {}).get("passwordProfile") or {}
        for name in ("accountEnabled", "displayName", "mailNickname", "userPrincipalName"):
            if body.get(name) in (None, ""):
                return gp.bad_request(f"Invalid value specified for property '{name}' of resource 'User'.")
        upn = str(body["userPrincipalName"])
        if upn.rsplit("@", 1)[-1].lower() not in self.tenant.verified_domains():
            return gp.bad_request(
                "The domain portion of the userPrincipalName property is invalid. You must use one of the "
                "verified domain names in your organization."
            )
        if self.tenant.user_by_ref(upn) is not None:
            return gp.bad_request(
                "Another object with the same value for property userPrincipalName already exists."
            )
        if len(str(profile.get("password", ""))) < MIN_PASSWORD_LENGTH:
            return gp.bad_request(WEAK_PASSWORD)
        uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.tenant.tenant_id}/{upn.lower()}"))
        record = gp.user(uid, upn, str(body["displayName"]), usageLocation=body.get("usageLocation"))
        record.update({k: v for k, v in body.items() if k in PATCHABLE - {"passwordProfile"}})
        self.tenant.users[uid], self.tenant.passwords[uid] = record, profile
        return 201, _entity("users/$entity", record)[1]

    def _patch_users_id(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        record, body = self._user(ref), _user_body(body)
        if set(body) - PATCHABLE:
            return gp.bad_request(f"Invalid property '{sorted(set(body) - PATCHABLE)[0]}'.")
        if set(body) - {"passwordProfile", "accountEnabled"} and not self.roles & USERS_WRITE:
            return gp.DENIED
        if "accountEnabled" in body and not self.roles & (USERS_WRITE | {"User.EnableDisableAccount.All"}):
            return gp.DENIED
        if "passwordProfile" in body:
            sp_id = str((self.tenant.service_principal or {}).get("id", ""))
            app_roles = {role["displayName"] for role in self.tenant.roles_of(sp_id)}
            if not self.roles & PASSWORD_WRITE or not app_roles & PASSWORD_ROLES:
                return gp.DENIED
            if self.tenant.roles_of(record["id"]) and not app_roles & PRIVILEGED_RESET_ROLES:
                return gp.DENIED  # resetting an admin needs a privileged role
            if len(str(body["passwordProfile"].get("password", ""))) < MIN_PASSWORD_LENGTH:
                return gp.bad_request(WEAK_PASSWORD)
            self.tenant.passwords[record["id"]] = body["passwordProfile"]
        record.update({k: v for k, v in body.items() if k != "passwordProfile"})
        return 204, None

    def _get_users_id_memberof(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        uid = self._user(ref)["id"]
        groups = [g for gid, g in self.tenant.groups.items() if uid in self.tenant.members.get(gid, [])]
        objects = groups + self.tenant.roles_of(uid)
        start = int(query.get("$skiptoken", 0))
        end = start + self.page_size
        link = f"{gp.GRAPH}/users/{uid}/memberOf?$skiptoken={end}" if end < len(objects) else None
        return _collection("directoryObjects", objects[start:end], link)

    def _get_users_id_manager(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        manager = self.tenant.users.get(self.tenant.managers.get(self._user(ref)["id"], ""))
        if manager is None:
            return gp.not_found("manager")
        return 200, {"@odata.type": "#microsoft.graph.user", **_project(manager, query)}

    def _put_users_id_manager_ref(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        uid, manager_id = self._user(ref)["id"], _ref_id(body)
        if manager_id not in self.tenant.users or manager_id == uid:
            return gp.bad_request(f"Invalid object identifier '{manager_id}'.")
        self.tenant.managers[uid] = manager_id
        return 204, None

    def _get_users_id_authentication_methods(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        uid = self._user(ref)["id"]
        return _collection(f"users('{uid}')/authentication/methods", self.tenant.auth_methods.get(uid, []))

    def _post_users_id_revokesigninsessions(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        self.tenant.revoked.append(self._user(ref)["id"])
        return _entity("Edm.Boolean", {"value": True})

    def _post_users_id_assignlicense(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        record, body = self._user(ref), body or {}
        skus = {sku["skuId"]: sku for sku in self.tenant.skus}
        adding = [str(item.get("skuId")) for item in body.get("addLicenses") or []]
        removing = [str(sku) for sku in body.get("removeLicenses") or []]
        if adding and not record.get("usageLocation"):
            return gp.bad_request("License assignment cannot be done for user with invalid usage location.")
        unknown = [sku for sku in adding + removing if sku not in skus]
        if unknown:
            return gp.bad_request(f"License {unknown[0]} does not correspond to a valid company License.")
        held = {item["skuId"] for item in record["assignedLicenses"]}
        full = [
            skus[s]
            for s in adding
            if s not in held and skus[s]["consumedUnits"] >= skus[s]["prepaidUnits"]["enabled"]
        ]
        if full:
            return gp.bad_request(
                f"Subscription for {full[0]['skuPartNumber']} has no more available licenses."
            )
        for sku_id in (s for s in adding if s not in held):
            record["assignedLicenses"].append({"disabledPlans": [], "skuId": sku_id})
            skus[sku_id]["consumedUnits"] += 1
        for sku_id in (s for s in removing if s in held):
            record["assignedLicenses"] = [i for i in record["assignedLicenses"] if i["skuId"] != sku_id]
            skus[sku_id]["consumedUnits"] -= 1
        return _entity("users/$entity", record)

    def _mailbox(self, ref: str) -> dict[str, Any]:
        settings = self.tenant.mailboxes.get(self._user(ref)["id"])
        if settings is None:
            message = "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
            raise _Answer(gp.graph_error(404, "MailboxNotEnabledForRESTAPI", message))
        return settings

    def _get_users_id_mailboxsettings(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        return _entity("mailboxSettings", self._mailbox(ref))

    def _patch_users_id_mailboxsettings(self, ref: str, *, query: dict[str, str], body: Any) -> Response:
        settings, replies = self._mailbox(ref), (body or {}).get("automaticRepliesSetting") or {}
        status_ok = replies.get("status", "disabled") in ("disabled", "alwaysEnabled", "scheduled")
        if not status_ok or replies.get("externalAudience", "all") not in ("none", "contactsOnly", "all"):
            return gp.graph_error(400, "ErrorInvalidArgument", "The request is invalid.")
        settings["automaticRepliesSetting"].update(replies)
        return _entity("mailboxSettings", settings)

    # -- groups, licences, logs, domains, the app's service principal -------------------------------------

    def _get_groups(self, *, query: dict[str, str], body: Any) -> Response:
        found = self._filtered(list(self.tenant.groups.values()), query, 100)
        return _collection("groups", [_project(g, query) for g in found])

    def _group(self, gid: str, *, changing: bool) -> dict[str, Any]:
        record = self.tenant.groups.get(gid)
        if record is None:
            raise _Answer(gp.not_found(gid))
        if changing and record["membershipRule"]:
            raise _Answer(gp.bad_request("Insufficient privileges to complete the operation."))
        if changing and record["mailEnabled"] and "Unified" not in record["groupTypes"]:
            raise _Answer(
                gp.bad_request("Cannot Update a mail-enabled security groups and or distribution list.")
            )
        return record

    def _get_groups_id(self, gid: str, *, query: dict[str, str], body: Any) -> Response:
        return _entity("groups/$entity", _project(self._group(gid, changing=False), query))

    def _post_groups_id_members_ref(self, gid: str, *, query: dict[str, str], body: Any) -> Response:
        self._group(gid, changing=True)
        members, member = self.tenant.members.setdefault(gid, []), _ref_id(body)
        if member not in self.tenant.users:
            return gp.not_found(member)
        if member in members:
            return gp.bad_request(
                "One or more added object references already exist for the following modified properties: "
                "'members'."
            )
        members.append(member)
        return 204, None

    def _delete_groups_id_members_id_ref(
        self, gid: str, member: str, *, query: dict[str, str], body: Any
    ) -> Response:
        self._group(gid, changing=True)
        members = self.tenant.members.setdefault(gid, [])
        if member not in members:
            return gp.not_found(member)
        members.remove(member)
        return 204, None

    def _get_subscribedskus(self, *, query: dict[str, str], body: Any) -> Response:
        return _collection("subscribedSkus", [_project(sku, query) for sku in self.tenant.skus])

    def _get_auditlogs_signins(self, *, query: dict[str, str], body: Any) -> Response:
        if not self.tenant.premium:
            return gp.NOT_PREMIUM
        newest = sorted(self.tenant.sign_ins, key=lambda s: s["createdDateTime"], reverse=True)
        return _collection("auditLogs/signIns", self._filtered(newest, query, 1000))

    def _get_identityprotection_riskyusers(self, *, query: dict[str, str], body: Any) -> Response:
        return _collection("riskyUsers", self._filtered(self.tenant.risky_users, query, 20))

    def _get_domains(self, *, query: dict[str, str], body: Any) -> Response:
        return _collection("domains", [_project(d, query) for d in self.tenant.domains])

    def _get_serviceprincipals_appid(self, app_id: str, *, query: dict[str, str], body: Any) -> Response:
        sp = self.tenant.service_principal
        if sp is None or sp["appId"] != app_id:
            return gp.not_found(app_id)
        return _entity("servicePrincipals/$entity", _project(sp, query))

    def _get_serviceprincipals_id_memberof(self, sp_id: str, *, query: dict[str, str], body: Any) -> Response:
        if self.tenant.service_principal is None or sp_id != self.tenant.service_principal["id"]:
            return gp.not_found(sp_id)
        return _collection("directoryObjects", self.tenant.roles_of(sp_id))


class _Answer(Exception):
    """Ends a handler early with Graph's answer (a 404 for an unknown id...)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response[0])
        self.response = response
