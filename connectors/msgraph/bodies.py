"""Request bodies in Graph's documented shapes, built as msgraph-sdk models.

Only the properties being set are passed to a model: with the SDK's backing store, a property changed to
``None`` is sent as ``null`` (under its Python name). ``User`` bodies therefore also carry the SDK's
default ``"@odata.type": "#microsoft.graph.user"``, which Graph accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.automatic_replies_setting import AutomaticRepliesSetting
from msgraph.generated.models.automatic_replies_status import AutomaticRepliesStatus
from msgraph.generated.models.external_audience_scope import ExternalAudienceScope
from msgraph.generated.models.mailbox_settings import MailboxSettings
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.reference_update import ReferenceUpdate
from msgraph.generated.models.user import User
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import (
    AssignLicensePostRequestBody,
)
from pydantic import SecretStr

from connectors.msgraph import ids
from connectors.msgraph.transport import GRAPH_BASE_URL
from core.directory import AutoReply, NewUser, ProfileChanges
from core.errors import ValidationFailed

_AUDIENCES = {
    "none": ExternalAudienceScope.None_,
    "contactsOnly": ExternalAudienceScope.ContactsOnly,
    "all": ExternalAudienceScope.All,
}
_COUNTRY_LENGTH = 2


def _usage_location(value: str) -> str:
    code = value.strip().upper()
    if len(code) != _COUNTRY_LENGTH or not code.isascii() or not code.isalpha():
        raise ValidationFailed(f"usage location must be a two-letter country code, got {value[:20]!r}")
    return code


def _user_with(**properties: object) -> User:
    """A ``User`` with only the non-``None`` properties set (their names are ``User``'s attributes)."""
    user = User()
    for name, value in properties.items():
        if value is not None:
            setattr(user, name, value)
    return user


def new_user_body(draft: NewUser) -> User:
    """``POST /users``: the four required properties, the password profile, then what the draft sets."""
    if not draft.display_name.strip():
        raise ValidationFailed("display name must not be empty")
    optional = {
        "usage_location": _usage_location(draft.usage_location) if draft.usage_location else None,
        "job_title": draft.job_title,
        "department": draft.department,
        "given_name": draft.given_name,
        "surname": draft.surname,
    }
    return _user_with(
        account_enabled=True,
        display_name=draft.display_name.strip(),
        mail_nickname=ids.mail_nickname(draft.mail_nickname),
        user_principal_name=ids.upn(draft.user_principal_name),
        password_profile=password_profile(draft.password, force_change=draft.force_change_password),
        **optional,
    )


def password_profile(password: SecretStr, *, force_change: bool) -> PasswordProfile:
    if not password.get_secret_value():
        raise ValidationFailed("password must not be empty")
    return PasswordProfile(
        password=password.get_secret_value(),
        force_change_password_next_sign_in=force_change,
    )


def profile_patch(changes: ProfileChanges) -> User | None:
    """``PATCH /users/{id}`` with only the changed profile fields; the manager is a separate reference."""
    fields = changes.changed()
    fields.pop("manager_id", None)
    if not fields:
        return None
    if "usage_location" in fields:
        fields["usage_location"] = _usage_location(fields["usage_location"])
    # ProfileChanges field names are User's attribute names (display_name, job_title, ...).
    return _user_with(**fields)


def account_enabled_patch(enabled: bool) -> User:
    return User(account_enabled=enabled)


def password_patch(password: SecretStr, *, force_change: bool) -> User:
    return User(password_profile=password_profile(password, force_change=force_change))


def manager_reference(manager_id: str) -> ReferenceUpdate:
    return ReferenceUpdate(odata_id=f"{GRAPH_BASE_URL}/users/{ids.guid(manager_id, 'manager id')}")


def member_reference(user_id: str) -> ReferenceCreate:
    return ReferenceCreate(odata_id=f"{GRAPH_BASE_URL}/directoryObjects/{ids.guid(user_id, 'user id')}")


def license_change(add: Sequence[str], remove: Sequence[str]) -> AssignLicensePostRequestBody:
    adding, removing = ids.guids(add, "SKU id"), ids.guids(remove, "SKU id")
    if not adding and not removing:
        raise ValidationFailed("give at least one SKU to add or remove")
    if set(adding) & set(removing):
        raise ValidationFailed("a SKU cannot be added and removed in the same change")
    return AssignLicensePostRequestBody(
        add_licenses=[AssignedLicense(sku_id=UUID(sku), disabled_plans=[]) for sku in adding],
        remove_licenses=[UUID(sku) for sku in removing],
    )


def auto_reply_patch(reply: AutoReply) -> MailboxSettings:
    audience = _AUDIENCES.get(reply.external_audience)
    if audience is None:
        raise ValidationFailed(f"external audience must be one of {', '.join(_AUDIENCES)}")
    status = AutomaticRepliesStatus.AlwaysEnabled if reply.enabled else AutomaticRepliesStatus.Disabled
    return MailboxSettings(
        automatic_replies_setting=AutomaticRepliesSetting(
            status=status,
            internal_reply_message=reply.internal_message,
            external_reply_message=reply.external_message,
            external_audience=audience,
        ),
    )
