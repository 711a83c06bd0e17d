"""Microsoft 365 (Entra ID, Exchange Online settings) through Microsoft Graph: one tenant per client."""

from connectors.msgraph import sdk  # noqa: F401  - first: loads the SDK with its import warnings muted
from connectors.msgraph.client import GraphDirectory
from connectors.msgraph.config import MsGraphConfig
from connectors.msgraph.errors import GraphError
from connectors.msgraph.tenants import admin_consent_url, tenant_id_for_domain
from connectors.msgraph.transport import GRAPH_BASE_URL, new_graph_http

__all__ = [
    "GRAPH_BASE_URL",
    "GraphDirectory",
    "GraphError",
    "MsGraphConfig",
    "admin_consent_url",
    "new_graph_http",
    "tenant_id_for_domain",
]
