"""Connection settings for one HaloPSA integration."""

from __future__ import annotations

import re
import secrets
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A self-hosted Halo may live under a path prefix; only plain segments, so nothing can steer requests.
_PATH_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9][A-Za-z0-9_.~\-]*)*$")
# RFC 9110 field-name token: what Halo's "API Key" authentication may put on the wire as a header name.
_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~\-]{1,64}$")
MIN_WEBHOOK_SECRET_LENGTH = 16

WebhookAuth = Literal["basic", "header"]


def _split_url(value: str, what: str) -> tuple[str, str, str]:
    """``value`` as (scheme, host[:port], path) after the checks every Halo URL must pass."""
    raw = value.strip()
    if not raw:
        raise ValueError(f"{what} is required")
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"{what} must use http or https")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{what} must not contain credentials")
    if parts.query or parts.fragment or "?" in raw or "#" in raw:
        raise ValueError(f"{what} must not contain a query or fragment")
    host = (parts.hostname or "").lower()
    if not host or any(ch.isspace() for ch in host):
        raise ValueError(f"{what} has no valid host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{what} has an invalid port") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if not _PATH_PREFIX_RE.fullmatch(path) or any(seg in (".", "..") for seg in path.split("/")):
        raise ValueError(f"{what} has an invalid path")
    return scheme, netloc, path


def normalise_base_url(value: str) -> str:
    """``acme.halopsa.com`` or ``https://Acme.HaloPSA.com/api/`` -> ``https://acme.halopsa.com``.

    A trailing ``/api`` is dropped (people paste the resource server URL Halo shows); any other path
    is kept as the prefix of a self-hosted install."""
    scheme, netloc, path = _split_url(value, "base_url")
    if path.lower().endswith("/api"):
        path = path[: -len("/api")]
    return f"{scheme}://{netloc}{path}"


def normalise_auth_url(value: str) -> str:
    """The authorisation server (``https://acme.halopsa.com/auth``); a pasted ``.../token`` is trimmed."""
    scheme, netloc, path = _split_url(value, "auth_url")
    if path.lower().endswith("/token"):
        path = path[: -len("/token")]
    return f"{scheme}://{netloc}{path}"


def _generated_secret() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


class HaloConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(
        description="Tenant URL, e.g. https://acme.halopsa.com (API at {base_url}/api, token at "
        "{base_url}/auth/token)."
    )
    auth_url: str | None = Field(
        default=None,
        description="Authorisation server from Configuration > Integrations > Halo API > API Details, "
        "when it is not {base_url}/auth.",
    )
    tenant: str | None = Field(
        default=None, description="Tenant name for hosted Halo; sent as ?tenant= on the token request."
    )
    client_id: str = Field(min_length=1, description="Client ID of the Halo API application.")
    client_secret: SecretStr = Field(
        description="Client secret of the Halo API application (client credentials).",
        json_schema_extra={"sensitive": True},
    )
    agent_id: int = Field(
        gt=0, description="Id of the Halo agent the API application acts as (echo detection)."
    )
    internal_note_outcome: str = Field(
        default="Private Note", min_length=1, max_length=100, description="Action outcome for internal notes."
    )
    public_note_outcome: str = Field(
        default="Note",
        min_length=1,
        max_length=100,
        description="Action outcome for notes the end user sees (no email is sent either way).",
    )
    webhook_auth: WebhookAuth = Field(
        default="basic",
        description="'basic': Halo sends Basic auth (webhook_username/webhook_password); 'header': Halo's "
        "API Key authentication sends webhook_password in the header webhook_header_name.",
    )
    webhook_username: str = Field(default="deskhand", min_length=1, max_length=100)
    webhook_password: SecretStr = Field(
        default_factory=_generated_secret,
        description="Basic auth password, or the header value when webhook_auth is 'header'.",
        json_schema_extra={"sensitive": True},
    )
    webhook_header_name: str = Field(default="X-Deskhand-Webhook-Secret")
    timeout_seconds: float = Field(default=20, gt=0, le=300)

    @field_validator("base_url")
    @classmethod
    def _normalise_base_url(cls, value: str) -> str:
        return normalise_base_url(value)

    @field_validator("auth_url", "tenant", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("auth_url")
    @classmethod
    def _normalise_auth_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_auth_url(value)

    @field_validator("client_id", "tenant", "internal_note_outcome", "public_note_outcome")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be blank")
        return stripped

    @field_validator("webhook_username")
    @classmethod
    def _check_username(cls, value: str) -> str:
        stripped = value.strip()
        # Basic auth joins user and password with ':', so a colon in the user would never match.
        if not stripped or ":" in stripped:
            raise ValueError("must not be blank or contain ':'")
        return stripped

    @field_validator("webhook_password")
    @classmethod
    def _check_password(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_WEBHOOK_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_WEBHOOK_SECRET_LENGTH} characters")
        return value

    @field_validator("webhook_header_name")
    @classmethod
    def _check_header_name(cls, value: str) -> str:
        stripped = value.strip()
        if not _HEADER_NAME_RE.fullmatch(stripped):
            raise ValueError("must be an HTTP header name, e.g. X-Deskhand-Webhook-Secret")
        return stripped

    @property
    def api_url(self) -> str:
        """The resource server: every REST path lives under it."""
        return f"{self.base_url}/api"

    @property
    def token_url(self) -> str:
        return f"{self.auth_url or self.base_url + '/auth'}/token"

    @property
    def own_identity(self) -> str:
        """The agent id Deskhand writes as, as a string: the form ``Note.author`` and
        ``ParsedWebhook.actor`` use (Halo names agents by numeric id in actions and webhooks)."""
        return str(self.agent_id)

    def __repr__(self) -> str:
        return (
            f"HaloConfig(base_url={self.base_url!r}, client_id={self.client_id!r}, agent_id={self.agent_id})"
        )
