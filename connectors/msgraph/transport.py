"""How Graph clients are assembled: one shared HTTP client, one credential and adapter per tenant.

The SDK's middleware (retry with ``Retry-After`` on 429/503/504, redirects, telemetry) lives on the shared
``httpx.AsyncClient``; the bearer token is added per request by the tenant's own adapter, so two tenants
never see each other's tokens even though they share connections.
"""

from __future__ import annotations

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory  # type: ignore[import-untyped]  # ships no py.typed

from connectors.msgraph.config import MsGraphConfig

GRAPH_HOST = "graph.microsoft.com"
GRAPH_BASE_URL = f"https://{GRAPH_HOST}/v1.0"
GRAPH_SCOPE = f"https://{GRAPH_HOST}/.default"
DEFAULT_TIMEOUT_SECONDS = 30.0


def new_graph_http(
    transport: httpx.AsyncBaseTransport | None = None, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> httpx.AsyncClient:
    """The process-wide Graph HTTP client (per event loop). Tests pass a mock transport (respx)."""
    client = httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds),
        http2=transport is None,
        base_url=GRAPH_BASE_URL,
        follow_redirects=False,  # the SDK's RedirectHandler decides
    )
    with_middleware: httpx.AsyncClient = GraphClientFactory.create_with_default_middleware(client=client)
    return with_middleware


def new_credential(config: MsGraphConfig, tenant_id: str) -> AsyncTokenCredential:
    """Client credentials for ONE tenant: its tokens carry that tenant's ``tid`` and nothing else."""
    # Imported here: azure.identity.aio pulls in aiohttp, which only a live deployment needs.
    from azure.identity.aio import CertificateCredential, ClientSecretCredential

    if config.certificate_pem is not None:
        return CertificateCredential(
            tenant_id,
            config.client_id,
            certificate_data=config.certificate_pem.get_secret_value().encode(),
            authority=config.authority_host,
        )
    if config.client_secret is None:  # the config validator makes this unreachable
        raise ValueError("MsGraphConfig has neither a client secret nor a certificate")
    return ClientSecretCredential(
        tenant_id, config.client_id, config.client_secret.get_secret_value(), authority=config.authority_host
    )


def new_graph_client(http: httpx.AsyncClient, credential: AsyncTokenCredential) -> GraphServiceClient:
    # allowed_hosts: a token is only ever attached to requests for graph.microsoft.com, never to a URL
    # taken from a response (nextLink) that points elsewhere.
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=[GRAPH_HOST])
    adapter = GraphRequestAdapter(auth, client=http)
    # Without this the SDK builds ".../v1.0//users" from the client's base URL.
    adapter.base_url = GRAPH_BASE_URL
    return GraphServiceClient(request_adapter=adapter)
