"""Read calls of one tenant's directory. Every id is checked (``ids``) before a request is built."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.audit_logs.sign_ins.sign_ins_request_builder import SignInsRequestBuilder
from msgraph.generated.domains.domains_request_builder import DomainsRequestBuilder
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder,
)
from msgraph.generated.models.directory_object import DirectoryObject
from msgraph.generated.models.directory_role import DirectoryRole
from msgraph.generated.models.group import Group
from msgraph.generated.models.user import User
from msgraph.generated.subscribed_skus.subscribed_skus_request_builder import SubscribedSkusRequestBuilder
from msgraph.generated.users.item.manager.manager_request_builder import ManagerRequestBuilder
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_service_client import GraphServiceClient

from connectors.msgraph import ids
from connectors.msgraph import permissions as need
from connectors.msgraph.errors import GraphError, graph_call
from connectors.msgraph.mapping import (
    GROUP_FIELDS,
    MANAGER_FIELDS,
    SKU_FIELDS,
    USER_FIELDS,
    manager_label,
    map_group,
    map_risky_user,
    map_sign_in,
    map_sku,
    map_user,
    mfa_method_names,
    newest_first_sign_ins,
    rank_users,
)
from core.directory import DirectoryUser, GroupRef, LicenseRef, RiskyUser, SignIn, Sku, UserDetail

T = TypeVar("T")

MAX_USER_RESULTS = 50
MAX_GROUP_RESULTS = 100
MAX_SIGN_INS = 100
MAX_RISKY_USERS = 100
MAX_MEMBERSHIP_PAGES = 10  # 100 per page: more than any helpdesk question needs


class GraphReads:
    def __init__(self, graph: GraphServiceClient, secrets: Iterable[str] = ()) -> None:
        self._graph = graph
        self._secrets = list(secrets)

    async def _call(self, awaitable: Awaitable[T], action: str, permission: str) -> T:
        return await graph_call(awaitable, action=action, permission=permission, secrets=self._secrets)

    # -- users ----------------------------------------------------------------------------------------

    async def find_users(self, query: str, *, limit: int = 10) -> list[DirectoryUser]:
        text = ids.search_text(query)
        top = ids.bounded(limit, 1, MAX_USER_RESULTS, "limit")
        params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter=ids.user_search_filter(text), select=list(USER_FIELDS), top=top
        )
        page = await self._call(
            self._graph.users.get(RequestConfiguration(query_parameters=params)),
            "search users",
            need.USER_READ,
        )
        found = [map_user(user) for user in (page.value if page else None) or [] if user.id]
        return rank_users(found, text)[:top]

    async def _user(self, user: str, fields: Iterable[str]) -> User:
        ref = ids.user_ref(user)
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=list(fields))
        found = await self._call(
            self._graph.users.by_user_id(ref).get(RequestConfiguration(query_parameters=params)),
            f"read user {ref}",
            need.USER_READ,
        )
        if found is None or not found.id:
            raise GraphError(f"Microsoft Graph returned no user for {ref}", status=404)
        return found

    async def get_user(self, user: str) -> DirectoryUser:
        return map_user(await self._user(user, USER_FIELDS))

    async def object_id(self, user: str) -> str:
        """The user's object id: a GUID as given, or the id of the UPN's user (404 if none)."""
        ref = ids.user_ref(user)
        if ids.is_guid(ref):
            return ref
        found = await self._user(ref, ("id",))
        return ids.guid(found.id or "", "user id")

    async def user_detail(self, user_id: str) -> UserDetail:
        raw = await self._user(user_id, (*USER_FIELDS, "assignedLicenses"))
        user = map_user(raw)
        object_id = ids.guid(user.id, "user id")  # signInActivity cannot be read through a UPN
        licenses = await self._licenses(raw)
        groups, roles = await self._memberships(object_id)
        manager = await self._manager(object_id)
        last_sign_in = await self._last_sign_in(object_id)
        mfa_methods = await self._mfa_methods(object_id)
        return UserDetail(
            user=user,
            licenses=licenses,
            groups=groups,
            roles=roles,
            manager=manager,
            last_sign_in=last_sign_in,
            mfa_methods=mfa_methods,
        )

    async def _licenses(self, raw: User) -> tuple[LicenseRef, ...]:
        assigned = [str(item.sku_id) for item in raw.assigned_licenses or [] if item.sku_id]
        if not assigned:
            return ()
        try:
            names = {sku.sku_id: sku.sku_part_number for sku in await self.list_skus()}
        except GraphError as exc:
            if exc.status != 403:
                raise
            names = {}  # licence ids are still useful without their product names
        return tuple(LicenseRef(sku_id=sku, sku_part_number=names.get(sku)) for sku in assigned)

    async def _memberships(self, object_id: str) -> tuple[tuple[GroupRef, ...], tuple[str, ...]]:
        builder = self._graph.users.by_user_id(object_id).member_of
        action = f"list the groups and roles of user {object_id}"
        page = await self._call(builder.get(), action, need.MEMBERSHIP_READ)
        objects: list[DirectoryObject] = []
        for _ in range(MAX_MEMBERSHIP_PAGES):
            if page is None:
                break
            objects.extend(page.value or [])
            if not page.odata_next_link:
                break
            page = await self._call(
                builder.with_url(page.odata_next_link).get(), action, need.MEMBERSHIP_READ
            )
        groups = tuple(map_group(item) for item in objects if isinstance(item, Group))
        roles = tuple(
            item.display_name for item in objects if isinstance(item, DirectoryRole) and item.display_name
        )
        return groups, roles

    async def _manager(self, object_id: str) -> str | None:
        params = ManagerRequestBuilder.ManagerRequestBuilderGetQueryParameters(select=list(MANAGER_FIELDS))
        try:
            manager = await self._call(
                self._graph.users.by_user_id(object_id).manager.get(
                    RequestConfiguration(query_parameters=params)
                ),
                f"read the manager of user {object_id}",
                need.MANAGER_READ,
            )
        except GraphError as exc:
            if exc.status == 404:  # Graph answers 404 when no manager is set
                return None
            raise
        if isinstance(manager, User):
            return manager_label(manager.display_name, manager.user_principal_name)
        return None

    async def _last_sign_in(self, object_id: str) -> datetime | None:
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "signInActivity"]
        )
        try:
            found = await self._call(
                self._graph.users.by_user_id(object_id).get(RequestConfiguration(query_parameters=params)),
                f"read the last sign-in of user {object_id}",
                need.SIGN_IN_ACTIVITY,
            )
        except GraphError as exc:
            if exc.status == 403:  # no AuditLog.Read.All or no P1 licence: unknown, not a failure
                return None
            raise
        activity = found.sign_in_activity if found else None
        moment = activity.last_sign_in_date_time if activity else None
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)

    async def _mfa_methods(self, object_id: str) -> tuple[str, ...]:
        page = await self._call(
            self._graph.users.by_user_id(object_id).authentication.methods.get(),
            f"list the authentication methods of user {object_id}",
            need.AUTH_METHODS_READ,
        )
        return mfa_method_names((page.value if page else None) or [])

    # -- licences and groups --------------------------------------------------------------------------

    async def list_skus(self) -> list[Sku]:
        params = SubscribedSkusRequestBuilder.SubscribedSkusRequestBuilderGetQueryParameters(
            select=list(SKU_FIELDS)
        )
        page = await self._call(
            self._graph.subscribed_skus.get(RequestConfiguration(query_parameters=params)),
            "list the tenant's licences",
            need.LICENSE_READ,
        )
        return [map_sku(sku) for sku in (page.value if page else None) or [] if sku.sku_id]

    async def list_groups(self, query: str | None = None, *, limit: int = 25) -> list[GroupRef]:
        top = ids.bounded(limit, 1, MAX_GROUP_RESULTS, "limit")
        search = ids.group_search_filter(ids.search_text(query)) if query and query.strip() else None
        params = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
            filter=search, select=list(GROUP_FIELDS), top=top
        )
        page = await self._call(
            self._graph.groups.get(RequestConfiguration(query_parameters=params)),
            "list groups",
            need.GROUP_READ,
        )
        return [map_group(group) for group in (page.value if page else None) or [] if group.id][:top]

    async def get_group(self, group_id: str) -> GroupRef:
        gid = ids.guid(group_id, "group id")
        params = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(select=list(GROUP_FIELDS))
        group = await self._call(
            self._graph.groups.by_group_id(gid).get(RequestConfiguration(query_parameters=params)),
            f"read group {gid}",
            need.GROUP_READ,
        )
        if group is None or not group.id:
            raise GraphError(f"Microsoft Graph returned no group for {gid}", status=404)
        return map_group(group)

    # -- security -------------------------------------------------------------------------------------

    async def sign_ins(self, user_id: str, *, limit: int = 20) -> list[SignIn]:
        ref = ids.user_ref(user_id)
        top = ids.bounded(limit, 1, MAX_SIGN_INS, "limit")
        # Graph lists sign-ins newest first and supports only $filter, $top and $skiptoken here.
        params = SignInsRequestBuilder.SignInsRequestBuilderGetQueryParameters(
            filter=ids.sign_in_filter(ref), top=top
        )
        page = await self._call(
            self._graph.audit_logs.sign_ins.get(RequestConfiguration(query_parameters=params)),
            f"read the sign-in log of user {ref}",
            need.SIGN_INS_READ,
        )
        return newest_first_sign_ins(map_sign_in(item) for item in (page.value if page else None) or [])[:top]

    async def risky_users(self, *, limit: int = 20) -> list[RiskyUser]:
        top = ids.bounded(limit, 1, MAX_RISKY_USERS, "limit")
        params = RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters(top=top)
        page = await self._call(
            self._graph.identity_protection.risky_users.get(RequestConfiguration(query_parameters=params)),
            "list risky users",
            need.RISKY_USERS_READ,
        )
        return [map_risky_user(item) for item in (page.value if page else None) or [] if item.id][:top]

    async def verified_domains(self) -> list[str]:
        params = DomainsRequestBuilder.DomainsRequestBuilderGetQueryParameters(select=["id", "isVerified"])
        page = await self._call(
            self._graph.domains.get(RequestConfiguration(query_parameters=params)),
            "list the tenant's domains",
            need.DOMAINS_READ,
        )
        return [
            domain.id for domain in (page.value if page else None) or [] if domain.id and domain.is_verified
        ]
