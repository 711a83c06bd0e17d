"""The fake Graph's tenants: ``FakeTenant`` (one directory as Graph serves it) and the two seeded tenants.

Contoso (tenant A) is fully consented, has Entra ID P1 and gave the app the Helpdesk Administrator role;
Fabrikam (tenant B) granted read permissions only and has no premium licence. The ids and builders are in
``msgraph_payloads``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.fakes.msgraph_payloads import (
    ALICE,
    ALL_STAFF,
    ALL_USERS_DYNAMIC,
    APP_SP_A,
    APP_SP_B,
    BOB,
    CAROL,
    DANA,
    DOMAIN_A,
    DOMAIN_B,
    FABRIKAM_STAFF,
    FINANCE,
    FULL_PERMISSIONS,
    INITIAL_DOMAIN_A,
    READ_ONLY_PERMISSIONS,
    ROLE_HELPDESK_ADMIN,
    ROLE_USER_ADMIN,
    SALES_DL,
    SCANNER,
    SEAN,
    SKU_BUSINESS_PREMIUM,
    SKU_BUSINESS_STANDARD,
    SKU_EXCHANGE_STANDARD,
    TEMPLATE_HELPDESK,
    TEMPLATE_USER_ADMIN,
    TENANT_A,
    TENANT_B,
    UNVERIFIED_DOMAIN_A,
    VPN_USERS,
    authenticator_method,
    automatic_replies,
    directory_role,
    domain,
    group,
    mailbox_settings,
    password_method,
    phone_method,
    risky_user,
    service_principal,
    sign_in,
    sign_in_activity,
    subscribed_sku,
    user,
)


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
        TENANT_A: FakeTenant(**contoso_seed()),
        TENANT_B: FakeTenant(**fabrikam_seed()),
    }


# -- seeds: FakeTenant keyword arguments for the two tenants --------------------------------------------

LOCKED_OUT = (
    "Account is locked because the user tried to sign in too many times with an incorrect user ID or "
    "password."
)
BAD_PASSWORD = "Error validating credentials due to invalid username or password."


def contoso_seed() -> dict[str, Any]:
    def upn(name: str) -> str:
        return f"{name}@{DOMAIN_A}"

    plans = ("EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "MCOSTANDARD", "AAD_PREMIUM", "INTUNE_A")
    people = (ALICE, BOB, SEAN, CAROL)
    # fmt: off
    users = [
        user(ALICE, upn("alice.smith"), "Alice Smith", givenName="Alice", surname="Smith",
             mail=upn("alice.smith"), jobTitle="Accountant", department="Finance", officeLocation="Seattle",
             mobilePhone="+1 206 555 0101", licenses=(SKU_BUSINESS_PREMIUM,)),
        user(BOB, upn("bob.jones"), "Bob Jones", givenName="Bob", surname="Jones", mail=upn("bob.jones"),
             jobTitle="IT Manager", department="IT", licenses=(SKU_BUSINESS_PREMIUM,)),
        user(SEAN, upn("sean.obrien"), "O'Brien, Sean", givenName="Sean", surname="O'Brien",
             mail=upn("sean.obrien"), department="Sales", licenses=(SKU_EXCHANGE_STANDARD,)),
        user(CAROL, upn("carol.white"), "Carol White", mail=upn("carol.white"), department="Sales",
             licenses=(SKU_BUSINESS_PREMIUM,)),
        user(SCANNER, upn("svc.scanner"), "Scanner Service", usageLocation=None),
    ]
    groups = [
        group(FINANCE, "Finance"),
        group(ALL_STAFF, "All Staff", kind="microsoft365", mail=upn("allstaff")),
        group(SALES_DL, "Sales", kind="distribution", mail=upn("sales")),
        group(ALL_USERS_DYNAMIC, "All Users", membership_rule='(user.userType -eq "Member")'),
        group(VPN_USERS, "VPN Users"),
    ]
    sign_ins = [
        sign_in("a0000000-0000-4000-8000-000000000001", CAROL, upn("carol.white"), "2026-03-02T09:01:00Z",
                error_code=50053, failure_reason=LOCKED_OUT, city="Lagos", country="NG", risk="medium"),
        sign_in("a0000000-0000-4000-8000-000000000002", CAROL, upn("carol.white"), "2026-03-02T09:05:00Z",
                error_code=50126, failure_reason=BAD_PASSWORD, city="Lagos", country="NG", risk="medium"),
        sign_in("a0000000-0000-4000-8000-000000000003", CAROL, upn("carol.white"), "2026-03-01T17:30:00Z"),
        sign_in("a0000000-0000-4000-8000-000000000004", ALICE, upn("alice.smith"), "2026-03-02T08:14:00Z"),
    ]
    # fmt: on
    return {
        "tenant_id": TENANT_A,
        "premium": True,
        "granted": FULL_PERMISSIONS,
        "domains": [
            domain(DOMAIN_A, default=True),
            domain(INITIAL_DOMAIN_A, initial=True),
            domain(UNVERIFIED_DOMAIN_A, verified=False),
        ],
        "users": {record["id"]: record for record in users},
        "sign_in_activity": {ALICE: sign_in_activity("2026-03-02T08:14:00Z")},
        "managers": {ALICE: BOB},
        "groups": {record["id"]: record for record in groups},
        "members": {
            FINANCE: [ALICE],
            ALL_STAFF: list(people),
            SALES_DL: [SEAN, CAROL],
            ALL_USERS_DYNAMIC: list(people),
            VPN_USERS: [BOB],
        },
        "roles": {
            ROLE_USER_ADMIN: directory_role(ROLE_USER_ADMIN, "User Administrator", TEMPLATE_USER_ADMIN),
            ROLE_HELPDESK_ADMIN: directory_role(
                ROLE_HELPDESK_ADMIN, "Helpdesk Administrator", TEMPLATE_HELPDESK
            ),
        },
        "role_members": {ROLE_USER_ADMIN: [BOB], ROLE_HELPDESK_ADMIN: [APP_SP_A]},
        "skus": [
            subscribed_sku(SKU_BUSINESS_PREMIUM, "SPB", enabled=25, consumed=3, plans=plans),
            subscribed_sku(SKU_EXCHANGE_STANDARD, "EXCHANGESTANDARD", enabled=1, consumed=1, plans=plans[:1]),
        ],
        "auth_methods": {
            ALICE: [password_method(), authenticator_method(), phone_method()],
            CAROL: [password_method()],
        },
        "mailboxes": {uid: mailbox_settings(automatic_replies()) for uid in people},
        "sign_ins": sign_ins,
        "risky_users": [risky_user(CAROL, upn("carol.white"))],
        "service_principal": service_principal(APP_SP_A),
    }


def fabrikam_seed() -> dict[str, Any]:
    dana = f"dana.lee@{DOMAIN_B}"
    plans = ("EXCHANGE_S_STANDARD", "TEAMS1")
    return {
        "tenant_id": TENANT_B,
        "premium": False,
        "granted": READ_ONLY_PERMISSIONS,
        "domains": [domain(DOMAIN_B, default=True), domain("fabrikam.onmicrosoft.com", initial=True)],
        "users": {
            DANA: user(
                DANA, dana, "Dana Lee", mail=dana, usageLocation="GB", licenses=(SKU_BUSINESS_STANDARD,)
            )
        },
        "groups": {FABRIKAM_STAFF: group(FABRIKAM_STAFF, "Fabrikam Staff")},
        "members": {FABRIKAM_STAFF: [DANA]},
        "skus": [
            subscribed_sku(
                SKU_BUSINESS_STANDARD, "O365_BUSINESS_PREMIUM", enabled=10, consumed=1, plans=plans
            )
        ],
        "auth_methods": {DANA: [password_method()]},
        "mailboxes": {DANA: mailbox_settings(automatic_replies())},
        "sign_ins": [sign_in("b0000000-0000-4000-8000-000000000001", DANA, dana, "2026-03-02T07:00:00Z")],
        "service_principal": service_principal(APP_SP_B),
    }
