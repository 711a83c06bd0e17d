"""Microsoft 365 tools that change the client's tenant, written once over ``DirectoryConnector``.

Rules every tool here keeps:
- users and groups are resolved inside the ticket's tenant before anything is written;
- an account holding any Entra admin role is only touched on a call a technician approved
  (``ActionContext.approved``), whatever the tool policy says;
- ``before`` records what a change replaced, so it can be reviewed and undone;
- generated passwords travel only in ``ActionResult.secret``: never to the model, Activity or a note.
"""

from __future__ import annotations

import re
import secrets
import string

from pydantic import BaseModel, Field, SecretStr, model_validator

from connectors.base import Action, ActionContext, ActionResult, DirectoryConnector, Risk
from connectors.directory_actions import M365, UserInput, directory_of, resolve_user
from core.directory import AutoReply, DirectoryUser, GroupRef, NewUser, ProfileChanges, Sku
from core.errors import IntegrationError, ValidationFailed

WRITE_USERS = ("User.ReadWrite.All", "Directory.ReadWrite.All")
WRITE_LICENSES = ("LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
WRITE_MEMBERS = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
WRITE_MAILBOX = ("MailboxSettings.ReadWrite",)
DISABLE_USERS = ("User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
REVOKE_SESSIONS = ("User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
RESET_PASSWORDS = ("User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All")

PASSWORD_LENGTH = 16
_PASSWORD_SYMBOLS = "!@#$%*-_+="  # noqa: S105 - a character set, not a password
_NICKNAME_RE = re.compile(r"[^A-Za-z0-9._-]")
_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
NEEDS_EXCHANGE = (
    "{group} is an Exchange-managed {kind}; Microsoft Graph cannot change its members. A technician must "
    "do it in the Exchange admin center (or Exchange Online PowerShell: Add-DistributionGroupMember)."
)


def temporary_password() -> SecretStr:
    """16 characters from every class, so it meets Entra's complexity rule on the first try."""
    alphabet = string.ascii_letters + string.digits + _PASSWORD_SYMBOLS
    while True:
        chars = [secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH)]
        classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _PASSWORD_SYMBOLS)
        if all(any(c in cls for c in chars) for cls in classes):
            return SecretStr("".join(chars))


async def guarded_user(ctx: ActionContext, user: str) -> tuple[DirectoryConnector, DirectoryUser]:
    """The target user, refused if it holds an admin role and no technician approved this call."""
    directory = directory_of(ctx)
    target = await resolve_user(directory, user)
    roles = (await directory.user_detail(target.id)).roles
    if roles and not ctx.approved:
        raise ValidationFailed(
            f"{target.user_principal_name} holds {', '.join(roles)}; Deskhand changes privileged accounts "
            "only on a call a technician has approved"
        )
    return directory, target


async def resolve_group(directory: DirectoryConnector, group: str) -> GroupRef:
    """A group of this tenant by object id, or by its exact (case-insensitive) name."""
    wanted = group.strip()
    if _GUID_RE.fullmatch(wanted):
        try:
            return await directory.get_group(wanted)
        except IntegrationError as exc:
            if exc.status != 404:
                raise
            raise ValidationFailed(f"no group {wanted} in this client's tenant") from exc
    candidates = await directory.list_groups(wanted, limit=50)
    matches = [g for g in candidates if g.display_name.casefold() == wanted.casefold()]
    if len(matches) != 1:
        raise ValidationFailed(f"no single group called '{group}' in this tenant; use m365_list_groups")
    return matches[0]


def changeable(group: GroupRef) -> str | None:
    if group.kind.exchange_managed:
        return NEEDS_EXCHANGE.format(group=group.display_name, kind=group.kind.value.replace("_", " "))
    if group.dynamic:
        return f"{group.display_name} has dynamic membership: change the user's attributes instead"
    return None


class CreateUserInput(BaseModel):
    given_name: str = Field(min_length=1, max_length=64)
    surname: str = Field(min_length=1, max_length=64)
    username: str = Field(
        min_length=1,
        max_length=64,
        description="The part before @, e.g. 'emily.clarke'; follow the client's pattern",
    )
    domain: str = Field(min_length=3, max_length=253, description="One of the tenant's verified domains")
    usage_location: str = Field(min_length=2, max_length=2, description="ISO country code, e.g. GB or US")
    job_title: str | None = Field(default=None, max_length=128)
    department: str | None = Field(default=None, max_length=64)
    manager: str | None = Field(default=None, max_length=256, description="Manager's UPN or email")


class LicenseInput(UserInput):
    sku: str = Field(
        min_length=3, max_length=80, description="SKU part number (e.g. O365_BUSINESS_PREMIUM) or id"
    )


class GroupMemberInput(UserInput):
    group: str = Field(min_length=1, max_length=256, description="Group name or object id")


class AutoReplyInput(UserInput):
    enabled: bool
    internal_message: str = Field(default="", max_length=4000)
    external_message: str = Field(default="", max_length=4000)
    external_audience: str = Field(default="all", pattern="^(none|contactsOnly|all)$")


class ProfileInput(UserInput):
    display_name: str | None = Field(default=None, max_length=256)
    job_title: str | None = Field(default=None, max_length=128)
    department: str | None = Field(default=None, max_length=64)
    office_location: str | None = Field(default=None, max_length=128)
    mobile_phone: str | None = Field(default=None, max_length=64)
    usage_location: str | None = Field(default=None, min_length=2, max_length=2)
    manager: str | None = Field(default=None, max_length=256, description="New manager's UPN or email")

    @model_validator(mode="after")
    def _something(self) -> ProfileInput:
        fields = (
            "display_name",
            "job_title",
            "department",
            "office_location",
            "mobile_phone",
            "usage_location",
        )
        if not any(getattr(self, f) for f in fields) and not self.manager:
            raise ValueError("give at least one field to change")
        return self


async def create_user(ctx: ActionContext, args: CreateUserInput) -> ActionResult:
    directory = directory_of(ctx)
    domain = args.domain.strip().lower()
    verified = [d.lower() for d in await directory.verified_domains()]
    if domain not in verified:
        raise ValidationFailed(
            f"'{domain}' is not a verified domain of this tenant; use one of: {', '.join(verified)}"
        )
    nickname = _NICKNAME_RE.sub("", args.username.strip())
    if not nickname:
        raise ValidationFailed("the username has no usable characters")
    manager = await resolve_user(directory, args.manager) if args.manager else None
    password = temporary_password()
    created = await directory.create_user(
        NewUser(
            user_principal_name=f"{nickname}@{domain}",
            display_name=f"{args.given_name.strip()} {args.surname.strip()}",
            mail_nickname=nickname,
            password=password,
            given_name=args.given_name.strip(),
            surname=args.surname.strip(),
            job_title=args.job_title,
            department=args.department,
            usage_location=args.usage_location.upper(),
        )
    )
    if manager is not None:
        await directory.update_user(created.id, ProfileChanges(manager_id=manager.id))
    return ActionResult(
        ok=True,
        summary=f"Created {created.user_principal_name}; a temporary password (change at first sign-in) is "
        "held for the technician in Deskhand, not shown here",
        data={"id": created.id, "upn": created.user_principal_name},
        after={"user_id": created.id, "upn": created.user_principal_name},
        secret=password,
    )


async def _sku(directory: DirectoryConnector, wanted: str) -> Sku:
    key = wanted.strip().casefold()
    skus = await directory.list_skus()
    for sku in skus:
        if key in (sku.sku_id.casefold(), sku.sku_part_number.casefold()):
            return sku
    names = ", ".join(s.sku_part_number for s in skus) or "none"
    raise ValidationFailed(f"no subscription '{wanted}' in this tenant; it has: {names}")


async def assign_license(ctx: ActionContext, args: LicenseInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    sku = await _sku(directory, args.sku)
    held = {lic.sku_id for lic in (await directory.user_detail(user.id)).licenses}
    if sku.sku_id in held:
        return ActionResult(ok=True, summary=f"{user.user_principal_name} already has {sku.sku_part_number}")
    if sku.available <= 0:
        return ActionResult(
            ok=False,
            summary=f"No free {sku.sku_part_number} seat ({sku.consumed_units} of {sku.enabled_units} used); "
            "the client must buy another seat or free one first",
        )
    await directory.change_licenses(user.id, add=[sku.sku_id], remove=[])
    return ActionResult(
        ok=True,
        summary=f"Assigned {sku.sku_part_number} to {user.user_principal_name}",
        before={"user_id": user.id, "had_sku": False},
        after={"user_id": user.id, "sku_id": sku.sku_id, "sku": sku.sku_part_number},
    )


async def remove_license(ctx: ActionContext, args: LicenseInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    sku = await _sku(directory, args.sku)
    held = {lic.sku_id for lic in (await directory.user_detail(user.id)).licenses}
    if sku.sku_id not in held:
        return ActionResult(
            ok=True, summary=f"{user.user_principal_name} does not have {sku.sku_part_number}"
        )
    await directory.change_licenses(user.id, add=[], remove=[sku.sku_id])
    return ActionResult(
        ok=True,
        summary=f"Removed {sku.sku_part_number} from {user.user_principal_name}",
        before={"user_id": user.id, "sku_id": sku.sku_id, "sku": sku.sku_part_number},
        after={"user_id": user.id, "had_sku": False},
    )


async def add_to_group(ctx: ActionContext, args: GroupMemberInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    group = await resolve_group(directory, args.group)
    refusal = changeable(group)
    if refusal:
        return ActionResult(ok=False, summary=refusal, data={"needs_exchange": group.kind.exchange_managed})
    await directory.add_group_member(group.id, user.id)
    return ActionResult(
        ok=True,
        summary=f"Added {user.user_principal_name} to {group.display_name}",
        before={"user_id": user.id, "group_id": group.id, "member": False},
        after={"user_id": user.id, "group_id": group.id, "member": True},
    )


async def remove_from_group(ctx: ActionContext, args: GroupMemberInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    group = await resolve_group(directory, args.group)
    refusal = changeable(group)
    if refusal:
        return ActionResult(ok=False, summary=refusal, data={"needs_exchange": group.kind.exchange_managed})
    await directory.remove_group_member(group.id, user.id)
    return ActionResult(
        ok=True,
        summary=f"Removed {user.user_principal_name} from {group.display_name}",
        before={"user_id": user.id, "group_id": group.id, "member": True},
        after={"user_id": user.id, "group_id": group.id, "member": False},
    )


async def set_out_of_office(ctx: ActionContext, args: AutoReplyInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    previous = await directory.get_auto_reply(user.id)
    reply = AutoReply(
        enabled=args.enabled,
        internal_message=args.internal_message,
        external_message=args.external_message,
        external_audience=args.external_audience,
    )
    await directory.set_auto_reply(user.id, reply)
    state = "on" if args.enabled else "off"
    return ActionResult(
        ok=True,
        summary=f"Out-of-office reply {state} for {user.user_principal_name}",
        before={"user_id": user.id, **previous.model_dump()},
        after={"user_id": user.id, **reply.model_dump()},
    )


async def update_profile(ctx: ActionContext, args: ProfileInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    manager = await resolve_user(directory, args.manager) if args.manager else None
    changes = ProfileChanges(
        display_name=args.display_name,
        job_title=args.job_title,
        department=args.department,
        office_location=args.office_location,
        mobile_phone=args.mobile_phone,
        usage_location=args.usage_location.upper() if args.usage_location else None,
        manager_id=manager.id if manager else None,
    )
    current = user.model_dump()
    before = {name: current.get(name) for name in changes.changed() if name != "manager_id"}
    if manager is not None:
        before["manager"] = (await directory.user_detail(user.id)).manager
    await directory.update_user(user.id, changes)
    return ActionResult(
        ok=True,
        summary=f"Updated {', '.join(changes.changed())} of {user.user_principal_name}",
        before={"user_id": user.id, **before},
        after={"user_id": user.id, **changes.changed()},
    )


WRITE_ACTIONS: tuple[Action, ...] = (
    Action(
        name="m365_create_user",
        description="Create a Microsoft 365 user for a new starter: name, username on a verified domain, "
        "usage location, job title, department, manager. A strong temporary password that must be changed "
        "at first sign-in is generated and held for the technician; you never see it.",
        input_model=CreateUserInput,
        risk=Risk.WRITE,
        reversible=False,  # Deskhand has no tool that puts it back (the approval card says so)
        integration_kind=M365,
        handler=create_user,
        requires=WRITE_USERS,
    ),
    Action(
        name="m365_assign_license",
        description="Assign a licence (SKU part number, e.g. O365_BUSINESS_PREMIUM) to a user; refused when "
        "no seat is free. The user needs a usage location first.",
        input_model=LicenseInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=M365,
        handler=assign_license,
        requires=WRITE_LICENSES,
    ),
    Action(
        name="m365_remove_license",
        description="Remove one licence from a user.",
        input_model=LicenseInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=M365,
        handler=remove_license,
        requires=WRITE_LICENSES,
    ),
    Action(
        name="m365_add_to_group",
        description="Add a user to a security or Microsoft 365 group. Distribution lists and mail-enabled "
        "security groups are Exchange objects and are reported as needing Exchange.",
        input_model=GroupMemberInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=M365,
        handler=add_to_group,
        requires=WRITE_MEMBERS,
    ),
    Action(
        name="m365_remove_from_group",
        description="Remove a user from a security or Microsoft 365 group.",
        input_model=GroupMemberInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=M365,
        handler=remove_from_group,
        requires=WRITE_MEMBERS,
    ),
    Action(
        name="m365_set_out_of_office",
        description="Turn a user's automatic (out-of-office) reply on with internal and external messages, "
        "or off.",
        input_model=AutoReplyInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=M365,
        handler=set_out_of_office,
        requires=WRITE_MAILBOX,
    ),
    Action(
        name="m365_update_profile",
        description="Change a user's profile: display name, job title, department, office, mobile phone, "
        "usage location or manager. Give only the fields to change.",
        input_model=ProfileInput,
        risk=Risk.WRITE,
        reversible=True,
        integration_kind=M365,
        handler=update_profile,
        requires=WRITE_USERS,
    ),
)
