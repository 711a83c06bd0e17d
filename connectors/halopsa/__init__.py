"""HaloPSA: REST client, webhook receiver and their configuration."""

from connectors.halopsa.client import HaloClient
from connectors.halopsa.config import HaloConfig
from connectors.halopsa.webhook import HaloWebhookReceiver

__all__ = ["HaloClient", "HaloConfig", "HaloWebhookReceiver"]
