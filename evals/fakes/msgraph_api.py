"""The fake Graph's per-tenant API: the route and permission table and one handler per route.

``serve`` answers one authenticated request against one ``FakeTenant`` as Graph v1.0 does, given the
application permissions (``roles``) its token carries.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph_filter import FilterError, parse_filter
from evals.fakes.msgraph_tenants import FakeTenant

Response = tuple[int, Any]

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


def serve(
    tenant: FakeTenant,
    roles: frozenset[str],
    page_size: int,
    method: str,
    route: str,
    query: dict[str, str],
    body: Any,
) -> Response:
    """Graph's answer to ``method route`` (path after /v1.0) for a token carrying ``roles`` in ``tenant``."""
    api = _TenantApi(tenant, roles, page_size)
    try:
        return api.dispatch(method, route, query, body)
    except FilterError as exc:
        return 400, gp.odata_error("BadRequest", f"Invalid filter clause: {exc}")
    except _Answer as answer:
        return answer.response


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
