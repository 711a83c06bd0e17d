"""Sandbox PSA: an in-memory PSA with realistic MSP data, for tests, evals and ``deskhand demo``."""

from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.psa import SandboxPsa
from connectors.sandbox.store import SandboxStore
from connectors.sandbox.webhook import SandboxWebhookReceiver, encode, signature_headers, ticket_event

__all__ = [
    "SandboxConfig",
    "SandboxPsa",
    "SandboxStore",
    "SandboxWebhookReceiver",
    "encode",
    "signature_headers",
    "ticket_event",
]
