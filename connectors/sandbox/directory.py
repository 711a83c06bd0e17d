"""``connectors.base.DirectoryConnector`` over an in-process ``SandboxDirectoryStore``.

It refuses what Microsoft Graph refuses, with Graph's error codes and wording: objects outside the tenant
(404), UPNs on unverified domains, licences without a free seat or usage location, membership changes on
Exchange-managed or dynamic groups (400), a duplicate UPN (409), and calls the app has no permission or
Entra role for (403). Every request that reaches the "tenant" is appended to ``store.calls``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from pydantic import SecretStr

from connectors.sandbox.directory_rules import (
    AUTH_METHODS_READ,
    DEFAULT_PERMISSIONS,
    DEFAULT_ROLES,
    PASSWORD_RESET_ROLES,
    PRIVILEGED_ROLES,
    REQUIRED_PERMISSIONS,
    SIGN_IN_ACTIVITY_READ,
)
from connectors.sandbox.directory_store import (
    GroupRecord,
    SandboxDirectoryStore,
    TenantRecord,
    UserRecord,
    as_group_ref,
    as_risky_user,
    as_sku,
    as_user,
    hash_password,
    meets_password_policy,
)
from core.directory import (
    AutoReply,
    DirectoryUser,
    GroupRef,
    LicenseRef,
    NewUser,
    ProfileChanges,
    RiskyUser,
    SignIn,
    Sku,
    TenantHealth,
    UserDetail,
)
from core.errors import IntegrationError, ValidationFailed

__all__ = [
    "AUTO_REPLY_AUDIENCES",
    "DEFAULT_PERMISSIONS",
    "DEFAULT_ROLES",
    "PASSWORD_RESET_ROLES",
    "PRIVILEGED_ROLES",
    "REQUIRED_PERMISSIONS",
    "VENDOR",
    "SandboxDirectory",
]

VENDOR = "Sandbox Microsoft 365"
AUTO_REPLY_AUDIENCES = ("none", "contactsOnly", "all")
_USAGE_LOCATION = re.compile(r"[A-Z]{2}")


def _error(status: int, code: str, message: str) -> IntegrationError:
    return IntegrationError(f"{VENDOR}: {code}: {message}", status=status)


def _not_found(ref: str) -> IntegrationError:
    return _error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{ref}' does not exist or one of its queried reference-property objects are not present.",
    )


def _bad_request(message: str) -> IntegrationError:
    return _error(400, "Request_BadRequest", message)


def _denied(message: str) -> IntegrationError:
    return _error(
        403, "Authorization_RequestDenied", f"Insufficient privileges to complete the operation; {message}"
    )


def _limit(limit: int) -> int:
    if limit < 1:
        raise ValidationFailed(f"limit must be at least 1, got {limit}")
    return limit


class SandboxDirectory:
    """The Microsoft 365 directory of one sandbox tenant. Instances with the same ``store`` share state."""

    def __init__(
        self,
        tenant_id: str,
        *,
        store: str = "default",
        permissions: Iterable[str] | None = None,
        roles: Iterable[str] = DEFAULT_ROLES,
    ) -> None:
        self._tenant_id = tenant_id.strip().casefold()
        self._store = SandboxDirectoryStore.named(store)
        self._permissions = tuple(dict.fromkeys(DEFAULT_PERMISSIONS if permissions is None else permissions))
        self._roles = tuple(dict.fromkeys(roles))

    def __repr__(self) -> str:
        return f"SandboxDirectory(tenant_id={self._tenant_id!r}, store={self._store.name!r})"

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    @property
    def store(self) -> SandboxDirectoryStore:
        return self._store

    # -- Reads ----------------------------------------------------------------------------------------

    async def find_users(self, query: str, *, limit: int = 10) -> list[DirectoryUser]:
        key = query.strip().casefold()
        if not key:
            raise ValidationFailed("user search needs a UPN, mail or name")
        _limit(limit)
        with self._request("find_users") as tenant:
            return [as_user(u) for u in tenant.search_users(key)[:limit]]

    async def get_user(self, user: str) -> DirectoryUser:
        with self._request("get_user") as tenant:
            return as_user(self._user(tenant, user))

    async def user_detail(self, user_id: str) -> UserDetail:
        with self._request("user_detail") as tenant:
            record = self._user(tenant, user_id)
            manager = tenant.users.get(record.manager_id) if record.manager_id else None
            attempts = tenant.sign_ins.get(record.id, [])
            last = max((s.created_at for s in attempts if s.created_at), default=None)
            licenses = sorted(
                (
                    LicenseRef(sku_id=s, sku_part_number=tenant.skus[s].part_number)
                    for s in record.license_sku_ids
                ),
                key=lambda ref: ref.sku_part_number or "",
            )
            return UserDetail(
                user=as_user(record),
                licenses=tuple(licenses),
                groups=tuple(as_group_ref(g) for g in tenant.groups_of(record.id)),
                roles=record.roles,
                manager=f"{manager.display_name} ({manager.user_principal_name})" if manager else None,
                last_sign_in=last if self._granted(SIGN_IN_ACTIVITY_READ) else None,
                mfa_methods=record.mfa_methods if self._granted(AUTH_METHODS_READ) else (),
            )

    async def list_skus(self) -> list[Sku]:
        with self._request("list_skus") as tenant:
            return [as_sku(s) for s in sorted(tenant.skus.values(), key=lambda s: s.part_number)]

    async def list_groups(self, query: str | None = None, *, limit: int = 25) -> list[GroupRef]:
        _limit(limit)
        key = (query or "").strip().casefold()
        with self._request("list_groups") as tenant:
            return [as_group_ref(g) for g in tenant.search_groups(key)[:limit]]

    async def get_group(self, group_id: str) -> GroupRef:
        with self._request("get_group") as tenant:
            return as_group_ref(self._group(tenant, group_id))

    async def sign_ins(self, user_id: str, *, limit: int = 20) -> list[SignIn]:
        _limit(limit)
        with self._request("sign_ins") as tenant:
            record = self._user(tenant, user_id)
            attempts = sorted(
                tenant.sign_ins.get(record.id, []),
                key=lambda s: s.created_at or record.created_at,
                reverse=True,
            )
            return attempts[:limit]

    async def risky_users(self, *, limit: int = 20) -> list[RiskyUser]:
        _limit(limit)
        with self._request("risky_users") as tenant:
            risks = sorted(tenant.risky_users.values(), key=lambda r: r.updated_at, reverse=True)
            return [as_risky_user(r, tenant.users[r.user_id]) for r in risks[:limit]]

    async def verified_domains(self) -> list[str]:
        with self._request("verified_domains") as tenant:
            return list(tenant.verified_domains)

    # -- Writes ---------------------------------------------------------------------------------------

    async def create_user(self, draft: NewUser) -> DirectoryUser:
        upn = draft.user_principal_name.strip()
        with self._request("create_user") as tenant:
            local, _, domain = upn.rpartition("@")
            if not local or domain.casefold() not in tenant.verified_domains:
                raise _bad_request(
                    f"The domain portion of the userPrincipalName property is invalid ('{upn}'). You must "
                    "use one of the verified domain names in your organization: "
                    f"{', '.join(tenant.verified_domains)}."
                )
            if tenant.address_taken(upn):
                raise _error(
                    409,
                    "Request_BadRequest",
                    "Another object with the same value for property userPrincipalName already exists "
                    f"('{upn}').",
                )
            if (
                not draft.display_name.strip()
                or not draft.mail_nickname.strip()
                or " " in draft.mail_nickname
            ):
                raise _bad_request("displayName and a mailNickname without spaces are required.")
            self._check_usage_location(draft.usage_location)
            self._check_password(draft.password)
            now = self._store.clock()
            record = UserRecord(
                id=self._store.new_object_id(),
                user_principal_name=upn,
                display_name=draft.display_name.strip(),
                mail_nickname=draft.mail_nickname.strip(),
                created_at=now,
                given_name=draft.given_name,
                surname=draft.surname,
                job_title=draft.job_title,
                department=draft.department,
                usage_location=draft.usage_location,
                password_hash=hash_password(draft.password.get_secret_value()),
                password_changed_at=now,
                must_change_password=draft.force_change_password,
            )
            tenant.users[record.id] = record
            tenant.sign_ins[record.id] = []
            return as_user(record)

    async def update_user(self, user_id: str, changes: ProfileChanges) -> None:
        wanted = changes.changed()
        if not wanted:
            raise ValidationFailed("no profile fields to change")
        with self._request("update_user") as tenant:
            record = self._user(tenant, user_id)
            if "mobile_phone" in wanted:
                self._check_sensitive(record, "changing the mobile phone of")
            if "display_name" in wanted and not wanted["display_name"].strip():
                raise _bad_request("Invalid value specified for property 'displayName' of resource 'User'.")
            self._check_usage_location(changes.usage_location)
            manager_id = record.manager_id
            if changes.manager_id is not None:
                manager = self._user(tenant, changes.manager_id)
                if manager.id == record.id:
                    raise _bad_request("A user cannot be their own manager.")
                manager_id = manager.id
            # Applied only after every field passed, so a refused update changes nothing (one request).
            for name in ("display_name", "job_title", "department", "office_location", "mobile_phone"):
                if name in wanted:
                    setattr(record, name, wanted[name].strip() if name == "display_name" else wanted[name])
            record.usage_location = changes.usage_location or record.usage_location
            record.manager_id = manager_id

    async def set_account_enabled(self, user_id: str, enabled: bool) -> None:
        with self._request("set_account_enabled") as tenant:
            record = self._user(tenant, user_id)
            self._check_sensitive(record, "enabling or disabling")
            record.account_enabled = enabled
            record.account_enabled_changed_at = self._store.clock()

    async def revoke_sessions(self, user_id: str) -> None:
        with self._request("revoke_sessions") as tenant:
            self._user(tenant, user_id).sessions_revoked_at = self._store.clock()

    async def reset_password(self, user_id: str, password: SecretStr, *, force_change: bool) -> None:
        with self._request("reset_password") as tenant:
            record = self._user(tenant, user_id)
            if not PASSWORD_RESET_ROLES.intersection(self._roles):
                raise _denied(
                    "an app-only password reset needs an Entra role on the app in this tenant "
                    "(User Administrator, Helpdesk Administrator or higher)"
                )
            self._check_sensitive(record, "resetting the password of")
            self._check_password(password)
            now = self._store.clock()
            record.password_hash = hash_password(password.get_secret_value())
            record.password_changed_at = now
            record.must_change_password = force_change
            risk = tenant.risky_users.get(record.id)
            if risk is not None and risk.risk_state == "atRisk":
                # Identity Protection closes user risk when an admin sets a temporary password.
                risk.risk_state, risk.risk_detail = "remediated", "adminGeneratedTemporaryPassword"
                risk.updated_at = now

    async def change_licenses(self, user_id: str, *, add: Sequence[str], remove: Sequence[str]) -> None:
        adding = list(dict.fromkeys(s.strip().casefold() for s in add))
        removing = list(dict.fromkeys(s.strip().casefold() for s in remove))
        if not adding and not removing:
            raise ValidationFailed("no licences to add or remove")
        with self._request("change_licenses") as tenant:
            record = self._user(tenant, user_id)
            for sku_id in [*adding, *removing]:
                if sku_id not in tenant.skus:
                    raise _bad_request(f"License {sku_id} does not correspond to a valid company License.")
            both = set(adding) & set(removing)
            if both:
                raise _bad_request(f"License {sorted(both)[0]} is both added and removed in one request.")
            for sku_id in removing:
                if sku_id not in record.license_sku_ids:
                    raise _bad_request(
                        f"User does not have a corresponding license ({tenant.skus[sku_id].part_number})."
                    )
            new = [sku_id for sku_id in adding if sku_id not in record.license_sku_ids]
            if new and not record.usage_location:
                raise _bad_request("License assignment cannot be done for user with invalid usage location.")
            for sku_id in new:
                sku = tenant.skus[sku_id]
                if sku.available < 1:
                    raise _bad_request(
                        f"Subscription with SKU {sku_id} does not have any available licenses: no free "
                        f"seat on {sku.part_number} ({sku.consumed_units} of {sku.enabled_units} used)."
                    )
            for sku_id in new:
                record.license_sku_ids.append(sku_id)
                tenant.skus[sku_id].consumed_units += 1
            for sku_id in removing:
                record.license_sku_ids.remove(sku_id)
                tenant.skus[sku_id].consumed_units -= 1
            if record.mail is None and tenant.holds_mailbox_plan(record):
                record.mail = record.user_principal_name

    async def add_group_member(self, group_id: str, user_id: str) -> None:
        with self._request("add_group_member") as tenant:
            group, record = self._changeable_group(tenant, group_id), self._user(tenant, user_id)
            if record.id in group.member_ids:
                raise _bad_request(
                    "One or more added object references already exist for the following modified "
                    f"properties: 'members' ({record.user_principal_name} is already in "
                    f"'{group.display_name}')."
                )
            group.member_ids.add(record.id)

    async def remove_group_member(self, group_id: str, user_id: str) -> None:
        with self._request("remove_group_member") as tenant:
            group, record = self._changeable_group(tenant, group_id), self._user(tenant, user_id)
            if record.id not in group.member_ids:
                raise _not_found(f"{group.id}/members/{record.id}")
            group.member_ids.discard(record.id)

    async def get_auto_reply(self, user_id: str) -> AutoReply:
        with self._request("get_auto_reply") as tenant:
            return self._user(tenant, user_id).auto_reply

    async def set_auto_reply(self, user_id: str, reply: AutoReply) -> None:
        with self._request("set_auto_reply") as tenant:
            record = self._user(tenant, user_id)
            if reply.external_audience not in AUTO_REPLY_AUDIENCES:
                raise _bad_request(
                    f"externalAudience must be one of {', '.join(AUTO_REPLY_AUDIENCES)}, "
                    f"got '{reply.external_audience}'."
                )
            record.auto_reply = reply

    # -- Connection -----------------------------------------------------------------------------------

    async def health(self) -> TenantHealth:
        self._store.record_call("health")
        with self._store.lock:
            tenant = self._store.tenants.get(self._tenant_id)
            if tenant is None:
                return TenantHealth(
                    tenant_id=self._tenant_id, token_ok=False, detail=self._unknown_tenant().detail
                )
            detail = f"{VENDOR} tenant '{tenant.display_name}' ({tenant.domain}), store '{self._store.name}'"
        return TenantHealth(
            tenant_id=self._tenant_id,
            token_ok=True,
            detail=detail,
            permissions=self._permissions,
            roles=self._roles,
        )

    async def aclose(self) -> None:
        """Nothing to close: the store outlives clients and is shared by name."""

    # -- Helpers --------------------------------------------------------------------------------------

    @contextmanager
    def _request(self, method: str) -> Iterator[TenantRecord]:
        """One Graph request: recorded, authorised, then run under the store lock against this tenant."""
        self._store.record_call(method)
        with self._store.lock:
            tenant = self._store.tenants.get(self._tenant_id)
            if tenant is None:
                raise self._unknown_tenant()
            needed = REQUIRED_PERMISSIONS[method]
            if not self._granted(needed):
                raise _denied(f"{method} needs {needed[0]}")
            yield tenant

    def _granted(self, any_of: Iterable[str]) -> bool:
        return any(p in self._permissions for p in any_of)

    def _unknown_tenant(self) -> IntegrationError:
        return _error(400, "AADSTS90002", f"Tenant '{self._tenant_id}' not found.")

    @staticmethod
    def _user(tenant: TenantRecord, ref: str) -> UserRecord:
        if not ref.strip():
            raise ValidationFailed("user id must not be empty")
        record = tenant.resolve_user(ref)
        if record is None:
            raise _not_found(ref.strip())
        return record

    @staticmethod
    def _group(tenant: TenantRecord, ref: str) -> GroupRecord:
        if not ref.strip():
            raise ValidationFailed("group id must not be empty")
        group = tenant.resolve_group(ref)
        if group is None:
            raise _not_found(ref.strip())
        return group

    def _changeable_group(self, tenant: TenantRecord, ref: str) -> GroupRecord:
        group = self._group(tenant, ref)
        if group.kind.exchange_managed:
            raise _bad_request(
                "Cannot Update a mail-enabled security groups and or distribution list. "
                f"'{group.display_name}' is managed in Exchange Online; change its members there."
            )
        if group.dynamic:
            raise _bad_request(
                f"'{group.display_name}' has dynamic membership (rule: {group.membership_rule}); members "
                "follow the rule and cannot be added or removed."
            )
        return group

    def _check_sensitive(self, target: UserRecord, action: str) -> None:
        if target.roles and not PRIVILEGED_ROLES.intersection(self._roles):
            raise _denied(
                f"{target.user_principal_name} holds {', '.join(target.roles)}; {action} a privileged "
                "administrator needs the Privileged Authentication Administrator role on the app"
            )

    @staticmethod
    def _check_password(password: SecretStr) -> None:
        if not meets_password_policy(password.get_secret_value()):
            raise _bad_request(
                "The specified password does not comply with password complexity requirements. Please "
                "provide a different password."
            )

    @staticmethod
    def _check_usage_location(value: str | None) -> None:
        if value is not None and not _USAGE_LOCATION.fullmatch(value):
            raise _bad_request(
                f"Invalid value specified for property 'usageLocation' ('{value}'): use a 2-letter "
                "country code."
            )
