"""The explicit map from integration kind to its vendor classes. Only ``api`` imports this."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from connectors.base import PsaConnector, WebhookReceiver
from connectors.connectwise import ConnectWiseClient, ConnectWiseConfig, ConnectWiseWebhookReceiver
from connectors.connectwise.webhook import SigningKeyCache
from core.errors import ValidationFailed

MASK = "••••••"


@dataclass(frozen=True)
class VendorKind:
    config_model: type[BaseModel]
    label: str


KINDS: dict[str, VendorKind] = {
    "connectwise": VendorKind(config_model=ConnectWiseConfig, label="ConnectWise PSA"),
}


class Registry:
    """``connectors.base.ConnectorFactory`` over the vendor packages.

    Holds the process-wide pieces vendors share: one HTTP client for webhook key fetches and the
    ConnectWise signing-key cache, so a burst of callbacks fetches the key once.
    """

    def __init__(self, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._key_cache = SigningKeyCache()
        self._webhook_http: httpx.AsyncClient | None = None
        # Building a client loads the CA bundle (~20 ms of CPU) and rediscovers the codebase, so each
        # integration keeps one per event loop (httpx clients belong to the loop that opened them).
        self._psa_clients: dict[tuple[int, str], PsaConnector] = {}

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

    def own_identity(self, kind: str, config: dict[str, Any]) -> str | None:
        model = self._model(kind, config)
        if isinstance(model, ConnectWiseConfig):
            return model.api_member_identifier
        return None

    def psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """A shared client: callers must not close it (``aclose`` of the registry does)."""
        digest = hashlib.sha256(json.dumps([kind, config], sort_keys=True, default=str).encode()).hexdigest()
        key = (id(asyncio.get_running_loop()), digest)
        client = self._psa_clients.get(key)
        if client is None:
            client = self.new_psa(kind, config)
            self._psa_clients[key] = client
        return client

    def new_psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """A private client the caller closes (connection tests with unsaved credentials)."""
        model = self._model(kind, config)
        if isinstance(model, ConnectWiseConfig):
            return ConnectWiseClient(model, transport=self._transport)
        raise ValidationFailed(f"'{kind}' is not a PSA integration")

    def webhook_receiver(self, kind: str, config: dict[str, Any]) -> WebhookReceiver:
        model = self._model(kind, config)
        if isinstance(model, ConnectWiseConfig):
            return ConnectWiseWebhookReceiver(model, http=self._http(), key_cache=self._key_cache)
        raise ValidationFailed(f"'{kind}' does not receive webhooks")

    def _http(self) -> httpx.AsyncClient:
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
        if self._webhook_http is not None:
            await self._webhook_http.aclose()
            self._webhook_http = None
