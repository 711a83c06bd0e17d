"""Autotask PSA: REST client, webhook receiver and their configuration."""

from connectors.autotask.client import AutotaskClient
from connectors.autotask.config import AutotaskConfig
from connectors.autotask.webhook import AutotaskWebhookReceiver

__all__ = ["AutotaskClient", "AutotaskConfig", "AutotaskWebhookReceiver"]
