"""The sandbox directory's state: process-wide named stores, each holding every sandbox tenant.

Like ``SandboxStore``, several event loops and threads share one store, so every read and write of the
tenants happens under ``lock``. Passwords are kept only as salted PBKDF2 hashes, never in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from connectors.sandbox.directory_seed import TENANTS, SeedTenant, seeded_object_id
from core.directory import AutoReply, DirectoryUser, GroupKind, GroupRef, RiskyUser, SignIn, Sku

PASSWORD_HASH_ITERATIONS = 100_000
MEMBER = "Member"
# Exchange provisions a mailbox (and so ``mail``) once the user holds one of these service plans.
MAILBOX_PLANS = frozenset({"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"})
_PASSWORD_CLASSES = tuple(re.compile(p) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))


def utc_now() -> datetime:
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PASSWORD_HASH_ITERATIONS)
    return f"pbkdf2_sha256${PASSWORD_HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


def meets_password_policy(password: str) -> bool:
    """Entra's rule: 8 to 256 characters with three of lower case, upper case, digits and symbols."""
    classes = sum(1 for pattern in _PASSWORD_CLASSES if pattern.search(password))
    return 8 <= len(password) <= 256 and classes >= 3


@dataclass
class UserRecord:
    id: str
    user_principal_name: str
    display_name: str
    mail_nickname: str
    created_at: datetime
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    office_location: str | None = None
    mobile_phone: str | None = None
    mail: str | None = None
    account_enabled: bool = True
    usage_location: str | None = None
    user_type: str = MEMBER
    license_sku_ids: list[str] = field(default_factory=list)
    manager_id: str | None = None
    roles: tuple[str, ...] = ()
    mfa_methods: tuple[str, ...] = ()
    auto_reply: AutoReply = field(default_factory=lambda: AutoReply(enabled=False))
    password_hash: str | None = field(default=None, repr=False)
    password_changed_at: datetime | None = None
    must_change_password: bool = False
    sessions_revoked_at: datetime | None = None
    account_enabled_changed_at: datetime | None = None


@dataclass
class GroupRecord:
    id: str
    display_name: str
    kind: GroupKind
    mail: str | None = None
    description: str = ""
    member_ids: set[str] = field(default_factory=set)  # assigned members; unused when dynamic
    dynamic_department: str | None = None

    @property
    def dynamic(self) -> bool:
        return self.dynamic_department is not None

    @property
    def membership_rule(self) -> str | None:
        if self.dynamic_department is None:
            return None
        return f'(user.department -eq "{self.dynamic_department}") and (user.accountEnabled -eq true)'


@dataclass
class SkuRecord:
    sku_id: str
    part_number: str
    enabled_units: int
    consumed_units: int
    service_plans: tuple[str, ...]

    @property
    def available(self) -> int:
        return max(0, self.enabled_units - self.consumed_units)


@dataclass
class RiskRecord:
    user_id: str
    risk_level: str
    risk_state: str
    risk_detail: str
    updated_at: datetime


@dataclass
class TenantRecord:
    tenant_id: str
    company_id: str
    display_name: str
    initial_domain: str
    domain: str
    users: dict[str, UserRecord] = field(default_factory=dict)
    groups: dict[str, GroupRecord] = field(default_factory=dict)
    skus: dict[str, SkuRecord] = field(default_factory=dict)
    sign_ins: dict[str, list[SignIn]] = field(default_factory=dict)  # by user id, in any order
    risky_users: dict[str, RiskRecord] = field(default_factory=dict)

    @property
    def verified_domains(self) -> tuple[str, ...]:
        return (self.domain, self.initial_domain)

    def resolve_user(self, ref: str) -> UserRecord | None:
        """By object id or UPN, case-insensitively, as ``/users/{id | userPrincipalName}`` does."""
        key = ref.strip().casefold()
        by_id = self.users.get(key)
        if by_id is not None:
            return by_id
        return next((u for u in self.users.values() if u.user_principal_name.casefold() == key), None)

    def search_users(self, key: str) -> list[UserRecord]:
        """Exact UPN or mail matches first, then users whose name, UPN or mail starts with ``key``."""
        key = key.casefold()
        exact = [
            u
            for u in self.users.values()
            if key in (u.user_principal_name.casefold(), (u.mail or "").casefold())
        ]
        prefix = [
            u
            for u in self.users.values()
            if u not in exact
            and any(
                value.casefold().startswith(key)
                for value in (u.display_name, u.given_name, u.surname, u.user_principal_name, u.mail)
                if value
            )
        ]
        return exact + sorted(prefix, key=lambda u: u.display_name.casefold())

    def address_taken(self, address: str) -> bool:
        key = address.casefold()
        return any(
            key in (u.user_principal_name.casefold(), (u.mail or "").casefold()) for u in self.users.values()
        )

    def search_groups(self, key: str) -> list[GroupRecord]:
        """Like Graph's $search on displayName: any word of the name, or the mail, starts with ``key``."""
        key = key.casefold()
        found = [
            g
            for g in self.groups.values()
            if not key
            or g.display_name.casefold().startswith(key)
            or any(word.startswith(key) for word in re.split(r"[\s\-_&]+", g.display_name.casefold()))
            or (g.mail or "").casefold().startswith(key)
        ]
        return sorted(found, key=lambda g: g.display_name.casefold())

    def resolve_group(self, ref: str) -> GroupRecord | None:
        return self.groups.get(ref.strip().casefold())

    def member_ids(self, group: GroupRecord) -> set[str]:
        """Assigned members, or for a dynamic group the users its rule matches now."""
        if group.dynamic_department is None:
            return set(group.member_ids)
        wanted = group.dynamic_department.casefold()
        return {
            u.id
            for u in self.users.values()
            if u.account_enabled and u.department is not None and u.department.casefold() == wanted
        }

    def groups_of(self, user_id: str) -> list[GroupRecord]:
        found = [g for g in self.groups.values() if user_id in self.member_ids(g)]
        return sorted(found, key=lambda g: g.display_name.casefold())

    def holds_mailbox_plan(self, user: UserRecord) -> bool:
        plans = {p for sku_id in user.license_sku_ids for p in self.skus[sku_id].service_plans}
        return bool(plans & MAILBOX_PLANS)


def as_user(record: UserRecord) -> DirectoryUser:
    return DirectoryUser(
        id=record.id,
        user_principal_name=record.user_principal_name,
        display_name=record.display_name,
        mail=record.mail,
        account_enabled=record.account_enabled,
        job_title=record.job_title,
        department=record.department,
        office_location=record.office_location,
        mobile_phone=record.mobile_phone,
        usage_location=record.usage_location,
        user_type=record.user_type,
    )


def as_group_ref(record: GroupRecord) -> GroupRef:
    return GroupRef(
        id=record.id,
        display_name=record.display_name,
        kind=record.kind,
        mail=record.mail,
        dynamic=record.dynamic,
    )


def as_sku(record: SkuRecord) -> Sku:
    return Sku(
        sku_id=record.sku_id,
        sku_part_number=record.part_number,
        enabled_units=record.enabled_units,
        consumed_units=record.consumed_units,
        service_plans=record.service_plans,
    )


def as_risky_user(record: RiskRecord, user: UserRecord) -> RiskyUser:
    return RiskyUser(
        user_id=record.user_id,
        user_principal_name=user.user_principal_name,
        risk_level=record.risk_level,
        risk_state=record.risk_state,
        risk_detail=record.risk_detail,
        updated_at=record.updated_at,
    )


class SandboxDirectoryStore:
    """Every sandbox tenant in memory. ``named(name)`` returns the same object for the same name."""

    _registry: ClassVar[dict[str, SandboxDirectoryStore]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.name = name
        self.clock = clock
        self.lock = threading.Lock()
        self._seed()

    def __repr__(self) -> str:
        return f"SandboxDirectoryStore(name={self.name!r}, tenants={len(self.tenants)})"

    @classmethod
    def named(cls, name: str) -> SandboxDirectoryStore:
        with cls._registry_lock:
            store = cls._registry.get(name)
            if store is None:
                store = cls(name)
                cls._registry[name] = store
            return store

    @classmethod
    def reset(cls, name: str) -> SandboxDirectoryStore:
        """Back to the seed data, in place, so clients already holding the store see the reset too."""
        store = cls.named(name)
        with store.lock:
            store._seed()
        return store

    # -- Seeding (caller holds ``lock`` or owns the store exclusively) -------------------------------

    def _seed(self) -> None:
        now = self.clock()
        self.tenants: dict[str, TenantRecord] = {t.tenant_id: _seed_tenant(t, now) for t in TENANTS}
        self.calls: list[str] = []

    # -- Building blocks for ``SandboxDirectory`` ------------------------------------------------------

    def record_call(self, method: str) -> None:
        with self.lock:
            self.calls.append(method)

    @staticmethod
    def new_object_id() -> str:
        return str(uuid.uuid4())

    # -- Helpers for tests and the demo (each takes ``lock``) ------------------------------------------

    def tenant(self, tenant_id: str) -> TenantRecord:
        with self.lock:
            return self._tenant(tenant_id)

    def user(self, tenant_id: str, user: str) -> UserRecord:
        """A user record by id or UPN (the live record: read it, do not change it)."""
        with self.lock:
            record = self._tenant(tenant_id).resolve_user(user)
            if record is None:
                raise KeyError(f"no user {user!r} in tenant {tenant_id}")
            return record

    def password_matches(self, tenant_id: str, user: str, password: str) -> bool:
        """Whether ``password`` is the user's current password (seeded users have none on record)."""
        stored = self.user(tenant_id, user).password_hash
        return stored is not None and verify_password(password, stored)

    def add_sign_in(
        self,
        tenant_id: str,
        user: str,
        *,
        error_code: int = 0,
        failure_reason: str | None = None,
        ip_address: str = "198.51.100.1",
        location: str = "London, GB",
        app: str = "Microsoft Office",
        risk_level: str = "none",
    ) -> SignIn:
        """A sign-in attempt happening now, e.g. a fresh lockout (50053) for a demo or an eval."""
        with self.lock:
            tenant = self._tenant(tenant_id)
            record = tenant.resolve_user(user)
            if record is None:
                raise KeyError(f"no user {user!r} in tenant {tenant_id}")
            sign_in = SignIn(
                created_at=self.clock(),
                error_code=error_code,
                failure_reason=failure_reason,
                ip_address=ip_address,
                location=location,
                app=app,
                risk_level=risk_level,
            )
            tenant.sign_ins.setdefault(record.id, []).append(sign_in)
            return sign_in

    def _tenant(self, tenant_id: str) -> TenantRecord:
        tenant = self.tenants.get(tenant_id.strip().casefold())
        if tenant is None:
            raise KeyError(f"no tenant {tenant_id} in the sandbox directory")
        return tenant


def _seed_tenant(seed: SeedTenant, now: datetime) -> TenantRecord:
    tenant = TenantRecord(
        tenant_id=seed.tenant_id,
        company_id=seed.company_id,
        display_name=seed.display_name,
        initial_domain=seed.initial_domain,
        domain=seed.domain,
    )
    for sku in seed.skus:
        tenant.skus[sku.sku_id] = SkuRecord(
            sku.sku_id, sku.part_number, sku.enabled_units, sku.consumed_units, sku.service_plans
        )
    sku_ids = {sku.part_number: sku.sku_id for sku in seed.skus}
    ids = {u.upn.casefold(): seeded_object_id(seed.tenant_id, f"user/{u.upn}") for u in seed.users}
    for user in seed.users:
        reply = (
            AutoReply(enabled=True, internal_message=user.auto_reply, external_message=user.auto_reply)
            if user.auto_reply
            else AutoReply(enabled=False)
        )
        record = UserRecord(
            id=ids[user.upn.casefold()],
            user_principal_name=user.upn,
            display_name=user.display_name,
            mail_nickname=user.upn.split("@")[0],
            created_at=now - timedelta(days=400),
            given_name=user.given_name,
            surname=user.surname,
            job_title=user.job_title,
            department=user.department,
            office_location=user.office_location,
            mobile_phone=user.mobile_phone,
            mail=user.mail,
            account_enabled=user.enabled,
            usage_location=user.usage_location,
            license_sku_ids=[sku_ids[part] for part in user.licenses],
            manager_id=ids[user.manager.casefold()] if user.manager else None,
            roles=user.roles,
            mfa_methods=user.mfa_methods,
            auto_reply=reply,
        )
        tenant.users[record.id] = record
        tenant.sign_ins[record.id] = []
    for group in seed.groups:
        group_id = seeded_object_id(seed.tenant_id, f"group/{group.display_name}")
        tenant.groups[group_id] = GroupRecord(
            id=group_id,
            display_name=group.display_name,
            kind=group.kind,
            mail=group.mail,
            description=group.description,
            member_ids={ids[upn.casefold()] for upn in group.members},
            dynamic_department=group.dynamic_department,
        )
    for attempt in seed.sign_ins:
        tenant.sign_ins[ids[attempt.upn.casefold()]].append(
            SignIn(
                created_at=now - timedelta(hours=attempt.hours_ago),
                error_code=attempt.error_code,
                failure_reason=attempt.failure_reason,
                ip_address=attempt.ip_address,
                location=attempt.location,
                app=attempt.app,
                risk_level=attempt.risk_level,
            )
        )
    for risk in seed.risky_users:
        user_id = ids[risk.upn.casefold()]
        tenant.risky_users[user_id] = RiskRecord(
            user_id, risk.risk_level, risk.risk_state, risk.risk_detail, now - timedelta(hours=risk.hours_ago)
        )
    return tenant
