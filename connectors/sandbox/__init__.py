"""Sandbox PSA and Microsoft 365 directory: in memory, realistic MSP data, for tests, evals and the demo."""

from connectors.sandbox.config import SandboxConfig, SandboxDirectoryConfig
from connectors.sandbox.directory import SandboxDirectory
from connectors.sandbox.directory_seed import TENANT_BY_COMPANY
from connectors.sandbox.directory_store import SandboxDirectoryStore
from connectors.sandbox.psa import SandboxPsa
from connectors.sandbox.store import SandboxStore
from connectors.sandbox.webhook import SandboxWebhookReceiver, encode, signature_headers, ticket_event

__all__ = [
    "TENANT_BY_COMPANY",
    "SandboxConfig",
    "SandboxDirectory",
    "SandboxDirectoryConfig",
    "SandboxDirectoryStore",
    "SandboxPsa",
    "SandboxStore",
    "SandboxWebhookReceiver",
    "encode",
    "signature_headers",
    "ticket_event",
]
