"""Pure mapping from msgraph-sdk models (Graph's JSON, parsed by kiota) to ``core.directory`` types."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from msgraph.generated.models.authentication_method import AuthenticationMethod
from msgraph.generated.models.automatic_replies_setting import AutomaticRepliesSetting
from msgraph.generated.models.automatic_replies_status import AutomaticRepliesStatus
from msgraph.generated.models.group import Group
from msgraph.generated.models.risky_user import RiskyUser as GraphRiskyUser
from msgraph.generated.models.sign_in import SignIn as GraphSignIn
from msgraph.generated.models.subscribed_sku import SubscribedSku
from msgraph.generated.models.user import User

from core.directory import AutoReply, DirectoryUser, GroupKind, GroupRef, RiskyUser, SignIn, Sku

KIND = "msgraph"
USER_FIELDS = (
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "accountEnabled",
    "jobTitle",
    "department",
    "officeLocation",
    "mobilePhone",
    "usageLocation",
    "userType",
)
GROUP_FIELDS = ("id", "displayName", "mail", "groupTypes", "mailEnabled", "securityEnabled", "membershipRule")
SKU_FIELDS = ("skuId", "skuPartNumber", "prepaidUnits", "consumedUnits", "servicePlans")
MANAGER_FIELDS = ("id", "displayName", "userPrincipalName")
UNIFIED_GROUP = "Unified"
DYNAMIC_GROUP = "DynamicMembership"
_METHOD_PREFIX = "#microsoft.graph."
_METHOD_SUFFIX = "AuthenticationMethod"
# The password is a sign-in method every account has; it says nothing about MFA.
_NOT_MFA_METHODS = frozenset({"password"})
_REPLY_ON = frozenset({AutomaticRepliesStatus.AlwaysEnabled, AutomaticRepliesStatus.Scheduled})


def _enum_text(value: Enum | None) -> str | None:
    if value is None:
        return None
    text = str(value.value)
    return None if text == "unknownFutureValue" else text


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def map_user(user: User) -> DirectoryUser:
    upn = user.user_principal_name or ""
    return DirectoryUser(
        id=user.id or "",
        user_principal_name=upn,
        display_name=user.display_name or upn,
        mail=_text(user.mail),
        account_enabled=user.account_enabled,
        job_title=_text(user.job_title),
        department=_text(user.department),
        office_location=_text(user.office_location),
        mobile_phone=_text(user.mobile_phone),
        usage_location=_text(user.usage_location),
        user_type=_text(user.user_type),
    )


def rank_users(users: Iterable[DirectoryUser], query: str) -> list[DirectoryUser]:
    """Exact UPN/mail matches first; otherwise Graph's order (stable sort)."""
    wanted = query.casefold()

    def exact(user: DirectoryUser) -> bool:
        return user.user_principal_name.casefold() == wanted or (user.mail or "").casefold() == wanted

    return sorted(users, key=lambda user: 0 if exact(user) else 1)


def group_kind(group: Group) -> GroupKind:
    """Graph's documented combinations: Unified -> Microsoft 365; mail-enabled without security ->
    distribution list; mail-enabled with security -> mail-enabled security group; else security."""
    if UNIFIED_GROUP in (group.group_types or []):
        return GroupKind.MICROSOFT_365
    if group.mail_enabled and group.security_enabled:
        return GroupKind.MAIL_SECURITY
    if group.mail_enabled:
        return GroupKind.DISTRIBUTION
    return GroupKind.SECURITY


def map_group(group: Group) -> GroupRef:
    dynamic = DYNAMIC_GROUP in (group.group_types or []) or bool(_text(group.membership_rule))
    return GroupRef(
        id=group.id or "",
        # Without permission to read a group, Graph returns it with only id and @odata.type.
        display_name=group.display_name or group.id or "",
        kind=group_kind(group),
        mail=_text(group.mail),
        dynamic=dynamic,
    )


def map_sku(sku: SubscribedSku) -> Sku:
    plans = tuple(plan.service_plan_name for plan in sku.service_plans or [] if plan.service_plan_name)
    return Sku(
        sku_id=str(sku.sku_id) if sku.sku_id else "",
        sku_part_number=sku.sku_part_number or "",
        enabled_units=(sku.prepaid_units.enabled or 0) if sku.prepaid_units else 0,
        consumed_units=sku.consumed_units or 0,
        service_plans=plans,
    )


def _place(city: str | None, country: str | None) -> str | None:
    parts = [part for part in (_text(city), _text(country)) if part]
    return ", ".join(parts) or None


def map_sign_in(sign_in: GraphSignIn) -> SignIn:
    status = sign_in.status
    location = sign_in.location
    return SignIn(
        created_at=_utc(sign_in.created_date_time),
        error_code=(status.error_code or 0) if status else 0,
        failure_reason=_text(status.failure_reason) if status else None,
        ip_address=_text(sign_in.ip_address),
        location=_place(location.city, location.country_or_region) if location else None,
        app=_text(sign_in.app_display_name),
        risk_level=_enum_text(sign_in.risk_level_aggregated),
    )


def newest_first_sign_ins(sign_ins: Iterable[SignIn]) -> list[SignIn]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(sign_ins, key=lambda item: item.created_at or oldest, reverse=True)


def map_risky_user(risky: GraphRiskyUser) -> RiskyUser:
    return RiskyUser(
        user_id=risky.id or "",
        user_principal_name=_text(risky.user_principal_name),
        risk_level=_enum_text(risky.risk_level),
        risk_state=_enum_text(risky.risk_state),
        risk_detail=_enum_text(risky.risk_detail),
        updated_at=_utc(risky.risk_last_updated_date_time),
    )


def method_name(odata_type: str | None) -> str | None:
    """``#microsoft.graph.microsoftAuthenticatorAuthenticationMethod`` -> ``microsoftAuthenticator``."""
    if not odata_type or not odata_type.startswith(_METHOD_PREFIX):
        return None
    name = odata_type[len(_METHOD_PREFIX) :]
    if name.endswith(_METHOD_SUFFIX):
        name = name[: -len(_METHOD_SUFFIX)]
    return name or None


def mfa_method_names(methods: Iterable[AuthenticationMethod]) -> tuple[str, ...]:
    names: list[str] = []
    for method in methods:
        name = method_name(method.odata_type)
        if name and name not in _NOT_MFA_METHODS and name not in names:
            names.append(name)
    return tuple(names)


def manager_label(display_name: str | None, upn: str | None) -> str | None:
    name, principal = _text(display_name), _text(upn)
    if name and principal:
        return f"{name} ({principal})"
    return name or principal


def map_auto_reply(setting: AutomaticRepliesSetting | None) -> AutoReply:
    if setting is None:
        return AutoReply(enabled=False)
    audience = _enum_text(setting.external_audience)
    return AutoReply(
        # "scheduled" replies are switched on (within their window), so they count as enabled.
        enabled=setting.status in _REPLY_ON,
        internal_message=setting.internal_reply_message or "",
        external_message=setting.external_reply_message or "",
        external_audience=audience or "all",
    )


def jwt_claims(token: str) -> Mapping[str, Any]:
    """The payload of a JWT, unverified: it is our own token, straight from Entra."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, Mapping) else {}


def roles_claim(claims: Mapping[str, Any]) -> tuple[str, ...]:
    roles = claims.get("roles")
    if not isinstance(roles, list):
        return ()
    return tuple(sorted(role for role in roles if isinstance(role, str)))
