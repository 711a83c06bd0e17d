"""Settings for one sandbox PSA integration (an in-process PSA, nothing to connect to)."""

from __future__ import annotations

import re
import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Store names key a process-wide dict and appear in logs: keep them short and printable.
_STORE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


class SandboxConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store: str = Field(
        default="default",
        description="Name of the in-process store; integrations with the same name share tickets.",
    )
    dataset: Literal["msp"] = Field(default="msp", description="Seed data a new store starts with.")
    webhook_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="Key for the X-Sandbox-Signature HMAC on sandbox webhook deliveries.",
        json_schema_extra={"sensitive": True},
    )
    agent_identifier: str = Field(
        default="deskhand", description="Member identifier Deskhand writes as (echo detection)."
    )
    timeout_seconds: float = Field(
        default=20, gt=0, le=300, description="Unused: present so every PSA config has it."
    )

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        name = value.strip()
        if not _STORE_NAME_RE.fullmatch(name):
            raise ValueError("store must be 1-64 letters, digits, '.', '_' or '-'")
        return name

    @field_validator("agent_identifier")
    @classmethod
    def _check_identifier(cls, value: str) -> str:
        identifier = value.strip()
        if not identifier:
            raise ValueError("must not be blank")
        return identifier

    @property
    def own_identity(self) -> str:
        """The member identifier used for ``Note.author``, ``Ticket.updated_by`` and webhook actors."""
        return self.agent_identifier


class SandboxDirectoryConfig(BaseModel):
    """The sandbox Microsoft 365 directory: one in-memory tenant per sandbox company."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: str = Field(default="default", description="Name of the in-process directory store.")
    permissions: list[str] | None = Field(
        default=None, description="Graph application permissions granted (None: a full realistic set)."
    )
    roles: list[str] = Field(
        default=["User Administrator"], description="Entra roles the app holds in every sandbox tenant."
    )
    timeout_seconds: float = Field(default=20, gt=0, le=300)

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        name = value.strip()
        if not _STORE_NAME_RE.fullmatch(name):
            raise ValueError("store must be 1-64 letters, digits, '.', '_' or '-'")
        return name
