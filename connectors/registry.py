"""The explicit map from integration kind to its vendor classes. Only ``api`` imports this."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from pydantic import BaseModel, SecretStr, ValidationError

from connectors.autotask import AutotaskClient, AutotaskConfig, AutotaskWebhookReceiver
from connectors.base import DirectoryConnector, PsaConnector, WebhookReceiver
from connectors.connectwise import ConnectWiseClient, ConnectWiseConfig, ConnectWiseWebhookReceiver
from connectors.connectwise.webhook import SigningKeyCache
from connectors.halopsa import HaloClient, HaloConfig, HaloWebhookReceiver
from connectors.msgraph import GraphDirectory, MsGraphConfig, new_graph_http
from connectors.sandbox import (
    SandboxConfig,
    SandboxDirectory,
    SandboxDirectoryConfig,
    SandboxPsa,
    SandboxWebhookReceiver,
)
from core.errors import ValidationFailed

MASK = "••••••"


PsaBuilder = Callable[[Any, "httpx.AsyncBaseTransport | None"], PsaConnector]
ReceiverBuilder = Callable[[Any, "Registry"], WebhookReceiver]
DirectoryBuilder = Callable[[Any, str, "Registry"], DirectoryConnector]
GraphCredentials = Callable[[MsGraphConfig, str], AsyncTokenCredential]


@dataclass(frozen=True)
class VendorKind:
    """A PSA kind has ``build_psa`` and ``build_receiver``; a Microsoft 365 kind has ``build_directory``."""

    config_model: type[BaseModel]
    label: str
    build_psa: PsaBuilder | None = None
    build_receiver: ReceiverBuilder | None = None
    build_directory: DirectoryBuilder | None = None


KINDS: dict[str, VendorKind] = {
    "connectwise": VendorKind(
        config_model=ConnectWiseConfig,
        label="ConnectWise PSA",
        build_psa=lambda config, transport: ConnectWiseClient(config, transport=transport),
        build_receiver=lambda config, registry: ConnectWiseWebhookReceiver(
            config, http=registry.webhook_http(), key_cache=registry.key_cache
        ),
    ),
    "autotask": VendorKind(
        config_model=AutotaskConfig,
        label="Autotask PSA",
        build_psa=lambda config, transport: AutotaskClient(config, transport=transport),
        build_receiver=lambda config, _registry: AutotaskWebhookReceiver(config),
    ),
    "halopsa": VendorKind(
        config_model=HaloConfig,
        label="HaloPSA",
        build_psa=lambda config, transport: HaloClient(config, transport=transport),
        build_receiver=lambda config, _registry: HaloWebhookReceiver(config),
    ),
    "msgraph": VendorKind(
        config_model=MsGraphConfig,
        label="Microsoft 365 (multi-tenant app)",
        build_directory=lambda config, tenant_id, registry: GraphDirectory(
            config,
            tenant_id,
            http=registry.graph_http(config.timeout_seconds),
            credential=registry.graph_credential(config, tenant_id),
        ),
    ),
    "sandbox_m365": VendorKind(
        config_model=SandboxDirectoryConfig,
        label="Sandbox Microsoft 365 (in memory, for trying Deskhand)",
        build_directory=lambda config, tenant_id, _registry: SandboxDirectory(
            tenant_id, store=config.store, permissions=config.permissions, roles=tuple(config.roles)
        ),
    ),
    "sandbox": VendorKind(
        config_model=SandboxConfig,
        label="Sandbox PSA (in memory, for trying Deskhand)",
        build_psa=lambda config, _transport: SandboxPsa(config),
        build_receiver=lambda config, _registry: SandboxWebhookReceiver(config),
    ),
}


class Registry:
    """``connectors.base.ConnectorFactory`` over the vendor packages.

    Holds the process-wide pieces vendors share: one HTTP client for webhook key fetches and the
    ConnectWise signing-key cache, so a burst of callbacks fetches the key once.
    """

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        graph_credentials: GraphCredentials | None = None,
    ) -> None:
        self._transport = transport
        # Tests pass fake credentials; None builds the app's real client-credentials credential per tenant.
        self._graph_credentials = graph_credentials
        self._graph_http: dict[int, httpx.AsyncClient] = {}
        self.key_cache: SigningKeyCache = SigningKeyCache()
        self._webhook_http: httpx.AsyncClient | None = None
        # Building a client loads the CA bundle (~20 ms of CPU) and rediscovers the codebase, so each
        # integration keeps one per event loop (httpx clients belong to the loop that opened them).
        self._psa_clients: dict[tuple[int, str], PsaConnector] = {}
        self._directories: dict[tuple[int, str, str], DirectoryConnector] = {}

    @staticmethod
    def _digest(kind: str, config: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps([kind, config], sort_keys=True, default=str).encode()).hexdigest()

    def kinds(self) -> list[str]:
        return list(KINDS)

    def _model(self, kind: str, config: dict[str, Any]) -> BaseModel:
        vendor = KINDS.get(kind)
        if vendor is None:
            raise ValidationFailed(f"unknown integration kind '{kind}'; known: {', '.join(KINDS)}")
        try:
            return vendor.config_model.model_validate(config)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
            )
            raise ValidationFailed(f"invalid {vendor.label} configuration: {problems}") from exc

    def validate_config(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        model = self._model(kind, config)
        dumped = model.model_dump(mode="python")
        return {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in dumped.items()}

    def public_config(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        model = self._model(kind, config)
        return {
            k: MASK if isinstance(v, SecretStr) else v for k, v in model.model_dump(mode="python").items()
        }

    def secret_values(self, kind: str, config: dict[str, Any]) -> list[str]:
        model = self._model(kind, config)
        return [v.get_secret_value() for v in model.__dict__.values() if isinstance(v, SecretStr)]

    def own_identity(self, kind: str, config: dict[str, Any]) -> str | None:
        identity = getattr(self._model(kind, config), "own_identity", None)
        return identity if isinstance(identity, str) else None

    def psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """A shared client: callers must not close it (``aclose`` of the registry does)."""
        key = (id(asyncio.get_running_loop()), self._digest(kind, config))
        client = self._psa_clients.get(key)
        if client is None:
            client = self.new_psa(kind, config)
            self._psa_clients[key] = client
        return client

    def new_psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """A private client the caller closes (connection tests with unsaved credentials)."""
        model = self._model(kind, config)
        build = KINDS[kind].build_psa
        if build is None:
            raise ValidationFailed(f"'{kind}' is not a PSA integration")
        return build(model, self._transport)

    def webhook_receiver(self, kind: str, config: dict[str, Any]) -> WebhookReceiver:
        model = self._model(kind, config)
        build = KINDS[kind].build_receiver
        if build is None:
            raise ValidationFailed(f"'{kind}' does not receive webhooks")
        return build(model, self)

    def is_directory(self, kind: str) -> bool:
        vendor = KINDS.get(kind)
        return vendor is not None and vendor.build_directory is not None

    def directory(self, kind: str, config: dict[str, Any], tenant_id: str) -> DirectoryConnector:
        """A shared directory client per (event loop, config, tenant); tenants never share one."""
        model = self._model(kind, config)
        build = KINDS[kind].build_directory
        if build is None:
            raise ValidationFailed(f"'{kind}' is not a Microsoft 365 integration")
        key = (id(asyncio.get_running_loop()), self._digest(kind, config), tenant_id)
        client = self._directories.get(key)
        if client is None:
            client = build(model, tenant_id, self)
            self._directories[key] = client
        return client

    def graph_http(self, timeout_seconds: float) -> httpx.AsyncClient:
        """One Graph HTTP pool per event loop, shared by every client tenant (tokens stay per tenant)."""
        loop_id = id(asyncio.get_running_loop())
        client = self._graph_http.get(loop_id)
        if client is None:
            client = new_graph_http(self._transport, timeout_seconds=timeout_seconds)
            self._graph_http[loop_id] = client
        return client

    def graph_credential(self, config: MsGraphConfig, tenant_id: str) -> AsyncTokenCredential | None:
        return self._graph_credentials(config, tenant_id) if self._graph_credentials is not None else None

    def webhook_http(self) -> httpx.AsyncClient:
        """One client for webhook-time fetches (ConnectWise signing keys), shared by all receivers."""
        if self._webhook_http is None:
            self._webhook_http = httpx.AsyncClient(
                transport=self._transport, timeout=httpx.Timeout(10.0), follow_redirects=False
            )
        return self._webhook_http

    async def aclose(self) -> None:
        loop_id = id(asyncio.get_running_loop())
        for (owner, _), client in list(self._psa_clients.items()):
            if owner == loop_id:
                await client.aclose()
        self._psa_clients.clear()  # clients of a stopped loop are dropped with it
        for (owner, _, _), directory in list(self._directories.items()):
            if owner == loop_id:
                await directory.aclose()
        self._directories.clear()
        graph_http = self._graph_http.pop(loop_id, None)
        if graph_http is not None:
            await graph_http.aclose()
        if self._webhook_http is not None:
            await self._webhook_http.aclose()
            self._webhook_http = None
