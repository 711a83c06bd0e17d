"""Connection settings for one Autotask PSA integration (REST API, one API-only user)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Autotask counts 10,000 requests per rolling hour for the whole database, across every integration.
VENDOR_HOURLY_REQUEST_LIMIT = 10_000
# TicketWebhooks.SecretKey is a string(64); Autotask recommends at least 10 characters.
WEBHOOK_SECRET_MIN = 10
WEBHOOK_SECRET_MAX = 64


def normalise_zone_url(value: str) -> str:
    """``https://webservices15.autotask.net/ATServicesRest`` -> the same with one trailing ``/``.

    Only the scheme, host, port and the path prefix before ``V1.0`` are kept; anything that could steer
    requests elsewhere (credentials, query, fragment) is refused.
    """
    raw = value.strip()
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(
            "zone_url must be an http(s) URL, e.g. https://webservices15.autotask.net/ATServicesRest/"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("zone_url must not contain credentials")
    if parts.query or parts.fragment:
        raise ValueError("zone_url must not have a query or fragment")
    host = (parts.hostname or "").lower()
    if not host or any(ch.isspace() for ch in raw):
        raise ValueError("zone_url has no valid host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("zone_url has an invalid port") from exc
    path = parts.path.rstrip("/")
    if path.lower().endswith("/v1.0"):  # people paste the versioned base; the client adds V1.0 itself
        path = path[: -len("/v1.0")]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{path}/"


class AutotaskConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, description="The API-only user's user name (an email address).")
    secret: SecretStr = Field(description="The API user's secret.", json_schema_extra={"sensitive": True})
    integration_code: SecretStr = Field(
        description="The API tracking identifier (ApiIntegrationCode header).",
        json_schema_extra={"sensitive": True},
    )
    zone_url: str | None = Field(
        default=None,
        description="e.g. https://webservices15.autotask.net/ATServicesRest/; discovered from "
        "ZoneInformation when empty.",
    )
    resource_id: int = Field(
        gt=0, description="Resource id of the API user Deskhand writes as (echo detection)."
    )
    impersonation_resource_id: int | None = Field(
        default=None,
        gt=0,
        description="Optional resource whose name writes carry (ImpersonationResourceId header). API-only "
        "users cannot own time entries, so time is logged for this resource unless a member is chosen.",
    )
    webhook_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="SecretKey of the ticket webhook; Autotask signs every callout with it.",
        json_schema_extra={"sensitive": True},
    )
    hourly_request_limit: int = Field(
        default=VENDOR_HOURLY_REQUEST_LIMIT,
        ge=1,
        le=VENDOR_HOURLY_REQUEST_LIMIT,
        description="Requests per rolling hour Deskhand may spend; the 10,000 budget is shared by every "
        "integration on the Autotask database, so leave room for the others.",
    )
    timeout_seconds: float = Field(default=30, gt=0, le=300)

    @field_validator("username")
    @classmethod
    def _strip(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be blank")
        return stripped

    @field_validator("zone_url", mode="before")
    @classmethod
    def _normalise_zone(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            return normalise_zone_url(value)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_length(cls, value: SecretStr) -> SecretStr:
        length = len(value.get_secret_value())
        if not WEBHOOK_SECRET_MIN <= length <= WEBHOOK_SECRET_MAX:
            raise ValueError(
                f"must be {WEBHOOK_SECRET_MIN} to {WEBHOOK_SECRET_MAX} characters (Autotask SecretKey)"
            )
        return value

    @property
    def own_identity(self) -> str:
        """Autotask names people by resource id: notes, tickets and webhooks all carry it as a number."""
        return str(self.resource_id)
