"""Deskhand's multi-tenant Entra app registration: one per MSP, consented in each client tenant."""

from __future__ import annotations

import re
from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
_PEM_KEY_MARKER = "PRIVATE KEY-----"


def normalise_authority_host(value: str) -> str:
    """``login.microsoftonline.com`` or ``https://login.microsoftonline.com/`` -> ``https://host``."""
    raw = value.strip()
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if parts.scheme.lower() != "https":
        raise ValueError("authority_host must use https")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError("authority_host must be a bare host such as login.microsoftonline.com")
    host = (parts.hostname or "").lower()
    if not host or any(ch.isspace() for ch in host):
        raise ValueError("authority_host has no valid host")
    return f"https://{host}"


class MsGraphConfig(BaseModel):
    """Exactly one of ``client_secret`` and ``certificate_pem`` authenticates the app."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(description="Application (client) id of the multi-tenant app registration.")
    client_secret: SecretStr | None = Field(
        default=None, description="Client secret value.", json_schema_extra={"sensitive": True}
    )
    certificate_pem: SecretStr | None = Field(
        default=None,
        description="PEM holding the certificate and its private key (instead of a client secret).",
        json_schema_extra={"sensitive": True},
    )
    authority_host: str = Field(
        default=DEFAULT_AUTHORITY_HOST, description="Entra sign-in host (national clouds differ)."
    )
    timeout_seconds: float = Field(default=30, gt=0, le=300)

    @field_validator("client_id")
    @classmethod
    def _guid(cls, value: str) -> str:
        text = value.strip()
        if not GUID_RE.fullmatch(text):
            raise ValueError("client_id must be the application id GUID")
        return text.lower()

    @field_validator("authority_host")
    @classmethod
    def _authority(cls, value: str) -> str:
        return normalise_authority_host(value)

    @field_validator("client_secret", "certificate_pem")
    @classmethod
    def _blank_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if (self.client_secret is None) == (self.certificate_pem is None):
            raise ValueError("give exactly one of client_secret and certificate_pem")
        if (
            self.certificate_pem is not None
            and _PEM_KEY_MARKER not in self.certificate_pem.get_secret_value()
        ):
            raise ValueError("certificate_pem must contain the private key (-----BEGIN PRIVATE KEY-----)")
        return self

    def secret_values(self) -> list[str]:
        """Values that must never appear in an error message or a log line."""
        return [s.get_secret_value() for s in (self.client_secret, self.certificate_pem) if s is not None]

    def __repr__(self) -> str:
        how = "secret" if self.client_secret is not None else "certificate"
        return f"MsGraphConfig(client_id={self.client_id!r}, credential={how!r})"
