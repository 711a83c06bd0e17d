"""Connection settings for one ConnectWise PSA integration."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A codebase is one path segment such as "v2025_1/" or "v4_6_release/"; anything else could steer requests.
_CODEBASE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/$")


def normalise_origin(site: str) -> str:
    """``na.myconnectwise.net`` or ``https://cw.example.com[:port]`` -> ``scheme://host[:port]``."""
    raw = site.strip()
    if not raw:
        raise ValueError("site is required")
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("site must use http or https")
    if parts.username is not None or parts.password is not None:
        raise ValueError("site must not contain credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("site must be a host or an origin without a path, e.g. na.myconnectwise.net")
    host = (parts.hostname or "").lower()
    if not host or any(ch.isspace() for ch in host):
        raise ValueError("site has no valid host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("site has an invalid port") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def normalise_codebase(value: str) -> str:
    """``/v2025_1`` or ``v2025_1/`` -> ``v2025_1/``; rejects anything that is not a single segment."""
    codebase = value.strip().strip("/") + "/"
    if not _CODEBASE_RE.fullmatch(codebase):
        raise ValueError(f"not a ConnectWise codebase: {value!r}")
    return codebase


class ConnectWiseConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    site: str = Field(
        description="Cloud host (na.myconnectwise.net) or on-premise origin (https://cw.example.com)."
    )
    company_id: str = Field(min_length=1, description="The company id used to log in to ConnectWise.")
    public_key: str = Field(min_length=1, description="API member public key.")
    private_key: SecretStr = Field(
        description="API member private key.", json_schema_extra={"sensitive": True}
    )
    client_id: str = Field(min_length=1, description="clientId GUID from developer.connectwise.com.")
    codebase: str | None = Field(
        default=None, description="e.g. 'v2025_1/'; discovered from /login/companyinfo when empty."
    )
    api_member_identifier: str = Field(
        min_length=1, description="Identifier of the API member Deskhand writes as (echo detection)."
    )
    timeout_seconds: float = Field(default=20, gt=0, le=300)

    @field_validator("site")
    @classmethod
    def _normalise_site(cls, value: str) -> str:
        return normalise_origin(value)

    @field_validator("codebase", mode="before")
    @classmethod
    def _normalise_codebase(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            return normalise_codebase(value)
        return value

    @field_validator("company_id", "public_key", "client_id", "api_member_identifier")
    @classmethod
    def _strip(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be blank")
        return stripped

    @property
    def origin(self) -> str:
        """Scheme, host and (non-default) port of the ConnectWise server."""
        return self.site

    @property
    def own_identity(self) -> str:
        """The member identifier Deskhand writes as: the same form as ``Note.author``,
        ``Ticket.updated_by`` and ``ParsedWebhook.actor`` (ConnectWise reports editors by identifier)."""
        return self.api_member_identifier

    def __repr__(self) -> str:
        return (
            f"ConnectWiseConfig(site={self.site!r}, company_id={self.company_id!r}, "
            f"api_member_identifier={self.api_member_identifier!r})"
        )
