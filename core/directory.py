"""Canonical Microsoft 365 directory types (users, groups, licences, sign-ins) shared by the Graph
connector, the sandbox directory and the agent's directory tools."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, SecretStr

from core.domain import Frozen

# Entra sign-in error code for an account locked by smart lockout.
LOCKED_OUT_ERROR = 50053


class GroupKind(StrEnum):
    SECURITY = "security"
    MICROSOFT_365 = "microsoft365"
    DISTRIBUTION = "distribution"  # an Exchange object: Graph cannot change its members
    MAIL_SECURITY = "mail_enabled_security"  # likewise Exchange-managed

    @property
    def exchange_managed(self) -> bool:
        return self in (GroupKind.DISTRIBUTION, GroupKind.MAIL_SECURITY)


class DirectoryUser(Frozen):
    id: str
    user_principal_name: str
    display_name: str
    mail: str | None = None
    account_enabled: bool | None = None
    job_title: str | None = None
    department: str | None = None
    office_location: str | None = None
    mobile_phone: str | None = None
    usage_location: str | None = None
    user_type: str | None = Field(default=None, description="Member or Guest")


class LicenseRef(Frozen):
    sku_id: str
    sku_part_number: str | None = None


class GroupRef(Frozen):
    id: str
    display_name: str
    kind: GroupKind
    mail: str | None = None
    dynamic: bool = Field(default=False, description="Dynamic membership: members cannot be added or removed")


class UserDetail(Frozen):
    user: DirectoryUser
    licenses: tuple[LicenseRef, ...] = ()
    groups: tuple[GroupRef, ...] = ()
    roles: tuple[str, ...] = Field(default=(), description="Entra directory roles the user holds")
    manager: str | None = Field(default=None, description="Manager's display name and UPN")
    last_sign_in: datetime | None = None
    mfa_methods: tuple[str, ...] = Field(
        default=(), description="Registered methods, e.g. microsoftAuthenticator"
    )


class Sku(Frozen):
    sku_id: str
    sku_part_number: str
    enabled_units: int = 0
    consumed_units: int = 0
    service_plans: tuple[str, ...] = ()

    @property
    def available(self) -> int:
        return max(0, self.enabled_units - self.consumed_units)


class SignIn(Frozen):
    created_at: datetime | None
    error_code: int = 0
    failure_reason: str | None = None
    ip_address: str | None = None
    location: str | None = None
    app: str | None = None
    risk_level: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0

    @property
    def locked_out(self) -> bool:
        return self.error_code == LOCKED_OUT_ERROR


class RiskyUser(Frozen):
    user_id: str
    user_principal_name: str | None = None
    risk_level: str | None = None
    risk_state: str | None = None
    risk_detail: str | None = None
    updated_at: datetime | None = None


class NewUser(Frozen):
    user_principal_name: str
    display_name: str
    mail_nickname: str
    password: SecretStr
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    usage_location: str | None = Field(default=None, description="ISO country code; licences need it")
    force_change_password: bool = True


class ProfileChanges(Frozen):
    """User profile fields to change; ``None`` leaves a field as it is."""

    display_name: str | None = None
    job_title: str | None = None
    department: str | None = None
    office_location: str | None = None
    mobile_phone: str | None = None
    usage_location: str | None = None
    manager_id: str | None = None

    def changed(self) -> dict[str, str]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class AutoReply(Frozen):
    enabled: bool
    internal_message: str = ""
    external_message: str = ""
    external_audience: str = Field(default="all", description="none, contactsOnly or all")


class TenantHealth(Frozen):
    """What Deskhand can do in one client tenant, from its token and the app's Entra roles there."""

    tenant_id: str
    token_ok: bool
    detail: str = ""
    permissions: tuple[str, ...] = Field(default=(), description="Application permissions granted")
    roles: tuple[str, ...] = Field(default=(), description="Entra roles assigned to the app there")
