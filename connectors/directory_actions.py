"""Microsoft 365 tools that read, written once over ``DirectoryConnector``.

The directory in the ``ActionContext`` is bound to the ticket's client tenant; a user or group the model
names is resolved inside that tenant or refused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.base import Action, ActionContext, ActionResult, DirectoryConnector, Risk
from core.directory import DirectoryUser, Sku, UserDetail
from core.errors import IntegrationError, ValidationFailed
from core.fencing import fence

M365 = "m365"  # satisfied when the ticket's client has a connected Microsoft 365 tenant

# Any one of these Graph application permissions makes the tool available (least privileged first).
READ_USERS = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
READ_SKUS = ("LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All")
READ_GROUPS = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All")
READ_SIGN_INS = ("AuditLog.Read.All",)
READ_RISK = ("IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All")

# Features a ticket may ask for -> the service plans that provide them.
FEATURE_PLANS: dict[str, tuple[str, ...]] = {
    "email": ("EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"),
    "desktop_office_apps": ("OFFICESUBSCRIPTION",),
    "teams": ("TEAMS1",),
    "device_management": ("INTUNE_A",),
    "conditional_access": ("AAD_PREMIUM", "AAD_PREMIUM_P2"),
    "advanced_threat_protection": ("ATP_ENTERPRISE", "MDE_SMB", "WINDEFATP"),
    "email_archiving": ("EXCHANGE_S_ARCHIVE_ADDON", "EXCHANGE_S_ENTERPRISE"),
    "teams_phone": ("MCOEV",),
}
Feature = Literal[
    "email",
    "desktop_office_apps",
    "teams",
    "device_management",
    "conditional_access",
    "advanced_threat_protection",
    "email_archiving",
    "teams_phone",
]


class UserInput(BaseModel):
    user: str = Field(min_length=3, max_length=256, description="The user's UPN, email address or object id")


class FindUserInput(BaseModel):
    query: str = Field(min_length=2, max_length=120, description="UPN, email, or the start of a display name")


class GroupQueryInput(BaseModel):
    query: str | None = Field(default=None, max_length=120, description="Start of the group's name")


class SignInsInput(UserInput):
    limit: int = Field(default=10, ge=1, le=50)


class NoInput(BaseModel):
    pass


class RecommendInput(UserInput):
    features: list[Feature] = Field(min_length=1, description="What the ticket says the user needs")


def directory_of(ctx: ActionContext) -> DirectoryConnector:
    if ctx.directory is None:
        raise ValidationFailed("this client has no Microsoft 365 tenant connected")
    return ctx.directory


async def resolve_user(directory: DirectoryConnector, user: str) -> DirectoryUser:
    """The user inside this tenant, or a refusal the model can act on."""
    try:
        return await directory.get_user(user.strip())
    except IntegrationError as exc:
        if exc.status == 404:
            raise ValidationFailed(
                f"no user '{user}' in this client's tenant; use m365_find_user to look them up"
            ) from exc
        raise


def user_view(user: DirectoryUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "upn": user.user_principal_name,
        "display_name": fence("display name", user.display_name),
        "enabled": user.account_enabled,
        "job_title": user.job_title,
        "department": user.department,
        "usage_location": user.usage_location,
        "type": user.user_type,
    }


def detail_view(detail: UserDetail, skus: dict[str, Sku]) -> dict[str, Any]:
    return {
        **user_view(detail.user),
        "licenses": [
            lic.sku_part_number or (skus[lic.sku_id].sku_part_number if lic.sku_id in skus else lic.sku_id)
            for lic in detail.licenses
        ],
        "groups": [{"name": g.display_name, "kind": g.kind.value} for g in detail.groups],
        "admin_roles": list(detail.roles),
        "manager": detail.manager,
        "last_sign_in": detail.last_sign_in.isoformat() if detail.last_sign_in else None,
        "mfa_methods": list(detail.mfa_methods),
    }


def sku_view(sku: Sku) -> dict[str, Any]:
    return {
        "sku": sku.sku_part_number,
        "sku_id": sku.sku_id,
        "seats": sku.enabled_units,
        "used": sku.consumed_units,
        "free": sku.available,
    }


async def find_user(ctx: ActionContext, args: FindUserInput) -> ActionResult:
    users = await directory_of(ctx).find_users(args.query.strip(), limit=10)
    return ActionResult(
        ok=True,
        summary=f"{len(users)} user(s) match '{args.query}'",
        data={"users": [user_view(u) for u in users]},
    )


async def user_details(ctx: ActionContext, args: UserInput) -> ActionResult:
    directory = directory_of(ctx)
    user = await resolve_user(directory, args.user)
    detail = await directory.user_detail(user.id)
    skus = {sku.sku_id: sku for sku in await directory.list_skus()} if detail.licenses else {}
    return ActionResult(ok=True, summary=f"Loaded {user.user_principal_name}", data=detail_view(detail, skus))


async def list_licenses(ctx: ActionContext, _: NoInput) -> ActionResult:
    skus = await directory_of(ctx).list_skus()
    return ActionResult(
        ok=True,
        summary=f"{len(skus)} subscription(s) in this tenant",
        data={"skus": [sku_view(s) for s in skus]},
    )


async def list_groups(ctx: ActionContext, args: GroupQueryInput) -> ActionResult:
    groups = await directory_of(ctx).list_groups(args.query.strip() if args.query else None, limit=50)
    return ActionResult(
        ok=True,
        summary=f"{len(groups)} group(s)",
        data={
            "groups": [
                {
                    "id": g.id,
                    "name": g.display_name,
                    "kind": g.kind.value,
                    "mail": g.mail,
                    "dynamic": g.dynamic,
                }
                for g in groups
            ]
        },
    )


async def recent_sign_ins(ctx: ActionContext, args: SignInsInput) -> ActionResult:
    directory = directory_of(ctx)
    user = await resolve_user(directory, args.user)
    sign_ins = await directory.sign_ins(user.id, limit=args.limit)
    locked = sum(1 for s in sign_ins if s.locked_out)
    rows = [
        {
            "at": s.created_at.isoformat() if s.created_at else None,
            "ok": s.succeeded,
            "error_code": s.error_code,
            "failure": s.failure_reason,
            "locked_out": s.locked_out,
            "ip": s.ip_address,
            "location": s.location,
            "app": s.app,
            "risk": s.risk_level,
        }
        for s in sign_ins
    ]
    note = (
        f"; {locked} locked out (50053): smart lockout, clears by itself or after a reset" if locked else ""
    )
    return ActionResult(
        ok=True,
        summary=f"{len(rows)} recent sign-in(s) for {user.user_principal_name}{note}",
        data={"sign_ins": rows},
    )


async def risky_users(ctx: ActionContext, _: NoInput) -> ActionResult:
    risky = await directory_of(ctx).risky_users(limit=25)
    return ActionResult(
        ok=True,
        summary=f"{len(risky)} risky user(s)",
        data={
            "users": [
                {
                    "upn": r.user_principal_name,
                    "level": r.risk_level,
                    "state": r.risk_state,
                    "detail": r.risk_detail,
                }
                for r in risky
            ]
        },
    )


def recommend(current: list[Sku], candidates: list[Sku], features: list[str]) -> tuple[Sku | None, str]:
    """The SKU that covers every wanted feature, preferring one with a free seat and the fewest plans."""

    def covers(sku: Sku) -> bool:
        plans = set(sku.service_plans)
        return all(plans & set(FEATURE_PLANS[f]) for f in features)

    if any(covers(sku) for sku in current):
        return None, "the user's current licence already includes " + ", ".join(features)
    fitting = sorted(
        (s for s in candidates if covers(s)), key=lambda s: (s.available == 0, len(s.service_plans))
    )
    if not fitting:
        return None, "no subscription in this tenant includes " + ", ".join(
            features
        ) + "; the MSP must buy one"
    best = fitting[0]
    seats = f"{best.available} free seat(s)" if best.available else "no free seat (buy one more first)"
    return best, f"{best.sku_part_number} includes {', '.join(features)}; {seats}"


async def recommend_license(ctx: ActionContext, args: RecommendInput) -> ActionResult:
    directory = directory_of(ctx)
    user = await resolve_user(directory, args.user)
    detail = await directory.user_detail(user.id)
    skus = await directory.list_skus()
    held = {lic.sku_id for lic in detail.licenses}
    best, reason = recommend([s for s in skus if s.sku_id in held], skus, list(args.features))
    return ActionResult(
        ok=True,
        summary=f"Recommendation for {user.user_principal_name}: {reason}",
        data={
            "current": [s.sku_part_number for s in skus if s.sku_id in held],
            "recommended": sku_view(best) if best else None,
            "reason": reason,
        },
    )


DIRECTORY_READ_ACTIONS: tuple[Action, ...] = (
    Action(
        name="m365_find_user",
        description="Find Microsoft 365 users of this client by UPN, email or the start of their name. Use "
        "it first to turn a name from the ticket into the user's UPN.",
        input_model=FindUserInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=find_user,
        requires=READ_USERS,
    ),
    Action(
        name="m365_user_details",
        description="A Microsoft 365 user's account state: enabled, licences, groups, admin roles, manager, "
        "last sign-in and registered MFA methods.",
        input_model=UserInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=user_details,
        requires=READ_USERS,
    ),
    Action(
        name="m365_list_licenses",
        description="The client's Microsoft 365 subscriptions with seats bought, used and free.",
        input_model=NoInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=list_licenses,
        requires=READ_SKUS,
    ),
    Action(
        name="m365_list_groups",
        description="The client's groups (security, Microsoft 365, distribution lists), optionally by the "
        "start of the name, with whether members can be changed here.",
        input_model=GroupQueryInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=list_groups,
        requires=READ_GROUPS,
    ),
    Action(
        name="m365_recent_sign_ins",
        description="A user's recent sign-ins: success or failure reason, IP, location, app, risk. Error "
        "50053 means the account is locked by smart lockout (there is no unlock call: it clears, or reset "
        "the password).",
        input_model=SignInsInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=recent_sign_ins,
        requires=READ_SIGN_INS,
    ),
    Action(
        name="m365_risky_users",
        description="Users Entra ID Protection currently flags as risky, with level, state and detail.",
        input_model=NoInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=risky_users,
        requires=READ_RISK,
    ),
    Action(
        name="m365_recommend_license",
        description="Recommend the licence a user should move to for the features the ticket asks for, "
        "from the subscriptions this client has, with the reason and free seats. Changes nothing.",
        input_model=RecommendInput,
        risk=Risk.READ,
        reversible=True,
        integration_kind=M365,
        handler=recommend_license,
        requires=READ_SKUS,
    ),
)
