"""ConnectWise PSA: REST client, callback receiver and their configuration."""

from connectors.connectwise.client import ConnectWiseClient
from connectors.connectwise.config import ConnectWiseConfig
from connectors.connectwise.webhook import ConnectWiseWebhookReceiver

__all__ = ["ConnectWiseClient", "ConnectWiseConfig", "ConnectWiseWebhookReceiver"]
