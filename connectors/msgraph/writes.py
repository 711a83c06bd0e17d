"""Write calls of one tenant's directory, each in the body shape the Graph reference documents.

Retries: the SDK resends any method on 429/503/504 (Graph refused it before acting). Membership changes
are made idempotent here, so a resend or a repeated approval does not turn into an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import TypeVar

from msgraph.graph_service_client import GraphServiceClient
from pydantic import SecretStr

from connectors.msgraph import bodies, ids
from connectors.msgraph import permissions as need
from connectors.msgraph.errors import GraphError, graph_call
from connectors.msgraph.mapping import map_auto_reply, map_user
from connectors.msgraph.reads import GraphReads
from core.directory import AutoReply, DirectoryUser, GroupRef, NewUser, ProfileChanges

T = TypeVar("T")

UPN_TAKEN = "a user with that UPN already exists"
_ALREADY_EXISTS = "already exist"  # "...already exists." (users) / "...references already exist..." (members)
_NO_MAILBOX = "MailboxNotEnabledForRESTAPI"


class GraphWrites:
    def __init__(self, graph: GraphServiceClient, reads: GraphReads, secrets: Iterable[str] = ()) -> None:
        self._graph = graph
        self._reads = reads
        self._secrets = list(secrets)

    async def _call(
        self, awaitable: Awaitable[T], action: str, permission: str, *, secret: SecretStr | None = None
    ) -> T:
        secrets = [*self._secrets, secret.get_secret_value()] if secret is not None else self._secrets
        return await graph_call(awaitable, action=action, permission=permission, secrets=secrets)

    # -- users ----------------------------------------------------------------------------------------

    async def create_user(self, draft: NewUser) -> DirectoryUser:
        body = bodies.new_user_body(draft)
        upn = body.user_principal_name
        try:
            created = await self._call(
                self._graph.users.post(body), f"create user {upn}", need.USER_WRITE, secret=draft.password
            )
        except GraphError as exc:
            if exc.status == 400 and _ALREADY_EXISTS in exc.graph_message:
                raise GraphError(
                    f"Cannot create {upn}: {UPN_TAKEN} in this tenant.",
                    status=409,
                    graph_code=exc.graph_code,
                    graph_message=exc.graph_message,
                ) from exc
            raise
        if created is None or not created.id:
            raise GraphError(f"Microsoft Graph created {upn} but returned no user", status=None)
        return map_user(created)

    async def update_user(self, user_id: str, changes: ProfileChanges) -> None:
        ref = ids.user_ref(user_id)
        patch = bodies.profile_patch(changes)
        manager = changes.manager_id
        if manager is not None:
            ids.user_ref(manager)  # refuse a bad manager before changing anything
        if patch is not None:
            await self._call(
                self._graph.users.by_user_id(ref).patch(patch), f"update user {ref}", need.USER_WRITE
            )
        if manager is not None:
            reference = bodies.manager_reference(await self._reads.object_id(manager))
            await self._call(
                self._graph.users.by_user_id(ref).manager.ref.put(reference),
                f"set the manager of user {ref}",
                need.MANAGER_WRITE,
            )

    async def set_account_enabled(self, user_id: str, enabled: bool) -> None:
        ref = ids.user_ref(user_id)
        verb = "enable" if enabled else "disable"
        await self._call(
            self._graph.users.by_user_id(ref).patch(bodies.account_enabled_patch(enabled)),
            f"{verb} user {ref}",
            need.USER_ENABLE,
        )

    async def revoke_sessions(self, user_id: str) -> None:
        ref = ids.user_ref(user_id)
        await self._call(
            self._graph.users.by_user_id(ref).revoke_sign_in_sessions.post(),
            f"revoke the sign-in sessions of user {ref}",
            need.USER_REVOKE,
        )

    async def reset_password(self, user_id: str, password: SecretStr, *, force_change: bool) -> None:
        ref = ids.user_ref(user_id)
        # App-only reset is a PATCH of passwordProfile; the resetPassword method is delegated-only.
        await self._call(
            self._graph.users.by_user_id(ref).patch(
                bodies.password_patch(password, force_change=force_change)
            ),
            f"reset the password of user {ref}",
            need.PASSWORD_RESET,
            secret=password,
        )

    async def change_licenses(self, user_id: str, *, add: Sequence[str], remove: Sequence[str]) -> None:
        ref = ids.user_ref(user_id)
        body = bodies.license_change(add, remove)
        await self._call(
            self._graph.users.by_user_id(ref).assign_license.post(body),
            f"change the licences of user {ref}",
            need.LICENSE_WRITE,
        )

    # -- groups ---------------------------------------------------------------------------------------

    async def _changeable_group(self, group_id: str) -> GroupRef:
        group = await self._reads.get_group(group_id)
        if group.kind.exchange_managed:
            raise GraphError(
                f"{group.display_name} is a {group.kind.value.replace('_', ' ')} group: its members are "
                "managed in Exchange Online, Microsoft Graph cannot change them",
                status=400,
            )
        if group.dynamic:
            raise GraphError(
                f"{group.display_name} has dynamic membership: its rule decides the members, they cannot be "
                "added or removed by hand",
                status=400,
            )
        return group

    async def add_group_member(self, group_id: str, user_id: str) -> None:
        ids.guid(group_id, "group id")
        ids.user_ref(user_id)
        group = await self._changeable_group(group_id)
        member = await self._reads.object_id(user_id)
        try:
            await self._call(
                self._graph.groups.by_group_id(group.id).members.ref.post(bodies.member_reference(member)),
                f"add user {member} to group {group.display_name}",
                need.GROUP_WRITE,
            )
        except GraphError as exc:
            if exc.status == 400 and _ALREADY_EXISTS in exc.graph_message:
                return  # already a member: the outcome asked for
            raise

    async def remove_group_member(self, group_id: str, user_id: str) -> None:
        ids.guid(group_id, "group id")
        ids.user_ref(user_id)
        group = await self._changeable_group(group_id)
        member = await self._reads.object_id(user_id)
        try:
            await self._call(
                self._graph.groups.by_group_id(group.id).members.by_directory_object_id(member).ref.delete(),
                f"remove user {member} from group {group.display_name}",
                need.GROUP_WRITE,
            )
        except GraphError as exc:
            if exc.status == 404:  # group and user exist (checked above): the user is not a member
                return
            raise

    # -- mailbox --------------------------------------------------------------------------------------

    async def get_auto_reply(self, user_id: str) -> AutoReply:
        ref = ids.user_ref(user_id)
        settings = await self._mailbox_call(
            self._graph.users.by_user_id(ref).mailbox_settings.get(),
            f"read the automatic replies of user {ref}",
            need.MAILBOX_READ,
        )
        return map_auto_reply(settings.automatic_replies_setting if settings else None)

    async def set_auto_reply(self, user_id: str, reply: AutoReply) -> None:
        ref = ids.user_ref(user_id)
        await self._mailbox_call(
            self._graph.users.by_user_id(ref).mailbox_settings.patch(bodies.auto_reply_patch(reply)),
            f"set the automatic replies of user {ref}",
            need.MAILBOX_WRITE,
        )

    async def _mailbox_call(self, awaitable: Awaitable[T], action: str, permission: str) -> T:
        try:
            return await self._call(awaitable, action, permission)
        except GraphError as exc:
            if exc.graph_code == _NO_MAILBOX:
                raise GraphError(
                    f"{exc.detail} The user has no Exchange Online mailbox (no licence with Exchange, or "
                    "the mailbox is on-premises).",
                    status=exc.status,
                    graph_code=exc.graph_code,
                    graph_message=exc.graph_message,
                ) from exc
            raise
