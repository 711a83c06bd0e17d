"""``DirectoryConnector`` for one Microsoft 365 client tenant, on msgraph-sdk.

The tenant is fixed here: this object holds a credential that can only obtain tokens for ``tenant_id``
and a Graph client bound to it. The HTTP client (connections, retry middleware) is shared by all tenants.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from pydantic import SecretStr

from connectors.msgraph import ids
from connectors.msgraph.config import MsGraphConfig
from connectors.msgraph.health import tenant_health
from connectors.msgraph.mapping import KIND
from connectors.msgraph.reads import GraphReads
from connectors.msgraph.transport import new_credential, new_graph_client
from connectors.msgraph.writes import GraphWrites
from core.directory import (
    AutoReply,
    DirectoryUser,
    GroupRef,
    NewUser,
    ProfileChanges,
    RiskyUser,
    SignIn,
    Sku,
    TenantHealth,
    UserDetail,
)


class GraphDirectory:
    """``connectors.base.DirectoryConnector`` for one tenant.

    ``http`` is the shared client from ``new_graph_http`` (never closed here). Without ``credential``
    the app's own client-credentials credential for ``tenant_id`` is built and closed by ``aclose``;
    a credential passed in belongs to the caller.
    """

    kind = KIND

    def __init__(
        self,
        config: MsGraphConfig,
        tenant_id: str,
        *,
        http: httpx.AsyncClient,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self._config = config
        self._tenant_id = ids.guid(tenant_id, "tenant id")
        self._owns_credential = credential is None
        self._credential = credential if credential is not None else new_credential(config, self._tenant_id)
        self._graph = new_graph_client(http, self._credential)
        secrets = config.secret_values()
        self._reads = GraphReads(self._graph, secrets)
        self._writes = GraphWrites(self._graph, self._reads, secrets)

    def __repr__(self) -> str:
        return f"GraphDirectory(tenant_id={self._tenant_id!r}, client_id={self._config.client_id!r})"

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    # -- reads ----------------------------------------------------------------------------------------

    async def find_users(self, query: str, *, limit: int = 10) -> list[DirectoryUser]:
        return await self._reads.find_users(query, limit=limit)

    async def get_user(self, user: str) -> DirectoryUser:
        return await self._reads.get_user(user)

    async def user_detail(self, user_id: str) -> UserDetail:
        return await self._reads.user_detail(user_id)

    async def list_skus(self) -> list[Sku]:
        return await self._reads.list_skus()

    async def list_groups(self, query: str | None = None, *, limit: int = 25) -> list[GroupRef]:
        return await self._reads.list_groups(query, limit=limit)

    async def get_group(self, group_id: str) -> GroupRef:
        return await self._reads.get_group(group_id)

    async def sign_ins(self, user_id: str, *, limit: int = 20) -> list[SignIn]:
        return await self._reads.sign_ins(user_id, limit=limit)

    async def risky_users(self, *, limit: int = 20) -> list[RiskyUser]:
        return await self._reads.risky_users(limit=limit)

    async def verified_domains(self) -> list[str]:
        return await self._reads.verified_domains()

    # -- writes ---------------------------------------------------------------------------------------

    async def create_user(self, draft: NewUser) -> DirectoryUser:
        return await self._writes.create_user(draft)

    async def update_user(self, user_id: str, changes: ProfileChanges) -> None:
        await self._writes.update_user(user_id, changes)

    async def set_account_enabled(self, user_id: str, enabled: bool) -> None:
        await self._writes.set_account_enabled(user_id, enabled)

    async def revoke_sessions(self, user_id: str) -> None:
        await self._writes.revoke_sessions(user_id)

    async def reset_password(self, user_id: str, password: SecretStr, *, force_change: bool) -> None:
        await self._writes.reset_password(user_id, password, force_change=force_change)

    async def change_licenses(self, user_id: str, *, add: Sequence[str], remove: Sequence[str]) -> None:
        await self._writes.change_licenses(user_id, add=add, remove=remove)

    async def add_group_member(self, group_id: str, user_id: str) -> None:
        await self._writes.add_group_member(group_id, user_id)

    async def remove_group_member(self, group_id: str, user_id: str) -> None:
        await self._writes.remove_group_member(group_id, user_id)

    async def get_auto_reply(self, user_id: str) -> AutoReply:
        return await self._writes.get_auto_reply(user_id)

    async def set_auto_reply(self, user_id: str, reply: AutoReply) -> None:
        await self._writes.set_auto_reply(user_id, reply)

    # -- health ---------------------------------------------------------------------------------------

    async def health(self) -> TenantHealth:
        return await tenant_health(
            tenant_id=self._tenant_id,
            client_id=self._config.client_id,
            credential=self._credential,
            graph=self._graph,
            secrets=self._config.secret_values(),
        )

    async def aclose(self) -> None:
        if self._owns_credential:
            await self._credential.close()
