"""Microsoft 365 tools that lock a user out or strip access (offboarding, compromise response).

Destructive: they always need a technician's approval unless a person set otherwise, and, like every
directory write, never touch an admin-role holder without an approved call.
"""

from __future__ import annotations

from connectors.base import Action, ActionContext, ActionResult, Risk
from connectors.directory_actions import M365, UserInput
from connectors.directory_write_actions import (
    DISABLE_USERS,
    RESET_PASSWORDS,
    REVOKE_SESSIONS,
    WRITE_LICENSES,
    WRITE_MEMBERS,
    changeable,
    guarded_user,
    temporary_password,
)


class ResetPasswordInput(UserInput):
    force_change: bool = True


async def disable_sign_in(ctx: ActionContext, args: UserInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    if user.account_enabled is False:
        return ActionResult(ok=True, summary=f"{user.user_principal_name} is already blocked from signing in")
    await directory.set_account_enabled(user.id, False)
    return ActionResult(
        ok=True,
        summary=f"Blocked sign-in for {user.user_principal_name} (revoke sessions too to end current ones)",
        before={"user_id": user.id, "account_enabled": True},
        after={"user_id": user.id, "account_enabled": False},
    )


async def revoke_sessions(ctx: ActionContext, args: UserInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    await directory.revoke_sessions(user.id)
    return ActionResult(
        ok=True,
        summary=f"Revoked sign-in sessions of {user.user_principal_name}; it can take a few minutes to apply",
        after={"user_id": user.id, "sessions_revoked": True},
    )


async def reset_password(ctx: ActionContext, args: ResetPasswordInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    password = temporary_password()
    await directory.reset_password(user.id, password, force_change=args.force_change)
    return ActionResult(
        ok=True,
        summary=f"Reset the password of {user.user_principal_name}; the temporary password is held for the "
        "technician in Deskhand and is not shown here",
        after={"user_id": user.id, "password_reset": True, "force_change": args.force_change},
        secret=password,
    )


async def remove_all_licenses(ctx: ActionContext, args: UserInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    held = [lic.sku_id for lic in (await directory.user_detail(user.id)).licenses]
    if not held:
        return ActionResult(ok=True, summary=f"{user.user_principal_name} has no licences")
    await directory.change_licenses(user.id, add=[], remove=held)
    return ActionResult(
        ok=True,
        summary=f"Removed {len(held)} licence(s) from {user.user_principal_name}",
        before={"user_id": user.id, "sku_ids": held},
        after={"user_id": user.id, "sku_ids": []},
    )


async def remove_from_all_groups(ctx: ActionContext, args: UserInput) -> ActionResult:
    directory, user = await guarded_user(ctx, args.user)
    groups = (await directory.user_detail(user.id)).groups
    removed: list[str] = []
    kept: list[str] = []
    for group in groups:
        if changeable(group):
            kept.append(group.display_name)
            continue
        await directory.remove_group_member(group.id, user.id)
        removed.append(group.id)
    note = f"; left in {', '.join(kept)} (Exchange-managed or dynamic: needs Exchange)" if kept else ""
    return ActionResult(
        ok=True,
        summary=f"Removed {user.user_principal_name} from {len(removed)} group(s){note}",
        data={"kept": kept},
        before={"user_id": user.id, "group_ids": removed},
        after={"user_id": user.id, "group_ids": []},
    )


DESTRUCTIVE_ACTIONS: tuple[Action, ...] = (
    Action(
        name="m365_disable_sign_in",
        description="Block a user from signing in to Microsoft 365 (account disabled), e.g. for a leaver or "
        "a compromised account.",
        input_model=UserInput,
        risk=Risk.DESTRUCTIVE,
        reversible=False,  # Deskhand has no tool that puts it back (the approval card says so)
        integration_kind=M365,
        handler=disable_sign_in,
        requires=DISABLE_USERS,
    ),
    Action(
        name="m365_revoke_sessions",
        description="Sign a user out everywhere by revoking their refresh tokens and sessions.",
        input_model=UserInput,
        risk=Risk.DESTRUCTIVE,
        reversible=False,
        integration_kind=M365,
        handler=revoke_sessions,
        requires=REVOKE_SESSIONS,
    ),
    Action(
        name="m365_reset_password",
        description="Reset a user's password to a generated temporary one they must change at next sign-in. "
        "The password is held for the technician; never ask for it or put one in a note.",
        input_model=ResetPasswordInput,
        risk=Risk.DESTRUCTIVE,
        reversible=False,
        integration_kind=M365,
        handler=reset_password,
        requires=RESET_PASSWORDS,
    ),
    Action(
        name="m365_remove_all_licenses",
        description="Remove every licence from a user (offboarding); the licences are recorded for undo.",
        input_model=UserInput,
        risk=Risk.DESTRUCTIVE,
        reversible=False,  # Deskhand has no tool that puts it back (the approval card says so)
        integration_kind=M365,
        handler=remove_all_licenses,
        requires=WRITE_LICENSES,
    ),
    Action(
        name="m365_remove_from_all_groups",
        description="Remove a user from every security and Microsoft 365 group (offboarding); Exchange "
        "distribution lists are listed as needing Exchange.",
        input_model=UserInput,
        risk=Risk.DESTRUCTIVE,
        reversible=False,  # Deskhand has no tool that puts it back (the approval card says so)
        integration_kind=M365,
        handler=remove_from_all_groups,
        requires=WRITE_MEMBERS,
    ),
)
