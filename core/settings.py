"""The one settings class. Read once at startup (``get_settings``), never at import time."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKHAND_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".deskhand")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default is a SQLite file in the data dir."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL the PSA uses to reach webhooks."
    )

    llm_model: str | None = Field(default=None, description="litellm model string, e.g. openai/gpt-4.1-mini")
    llm_api_base: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 120.0
    embedding_model: str = Field(
        default="local",
        description="'local' (offline all-MiniLM-L6-v2) or a litellm embedding model, e.g. "
        "openai/text-embedding-3-small",
    )
    embedding_api_base: str | None = Field(default=None, description="Falls back to llm_api_base")
    embedding_api_key: SecretStr | None = Field(default=None, description="Falls back to llm_api_key")
    embedding_dimension: int | None = Field(default=None, ge=1)
    retrieval_reindex_days: int = Field(
        default=365, ge=1, description="After an embedder change, closed tickets this recent are re-indexed"
    )
    step_max_attempts: int = Field(
        default=4, ge=1, le=10, description="Attempts for a model or PSA call before the run fails"
    )
    step_retry_interval_seconds: float = Field(
        default=2.0, ge=0.0, description="First backoff; doubles per attempt"
    )

    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key for credentials at rest; generated into the data dir if unset."
    )

    run_budget_per_ticket: int = Field(default=3, ge=1, description="Runs allowed per ticket per window.")
    run_budget_window_hours: int = Field(default=24, ge=1)
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    agent_max_model_requests: int = Field(default=12, ge=1)
    agent_max_tool_calls: int = Field(default=20, ge=1, description="Tool calls allowed per run")
    agent_max_run_seconds: float = Field(default=300.0, gt=0, description="Wall time allowed per agent run")
    new_client_mode: str = Field(
        default="plan",
        pattern="^(plan|execute)$",
        description="Mode of a client first seen on a ticket: plan (read, one plan note) or execute",
    )
    approval_ttl_minutes: int = Field(
        default=24 * 60, ge=1, description="How long an approval request waits before it counts as denied"
    )
    approval_two_person_destructive: bool = Field(
        default=False, description="Destructive calls need two different technicians to approve"
    )
    webhook_max_body_bytes: int = 1024 * 1024
    queue_polling_interval_seconds: float = Field(default=1.0, gt=0)

    @field_validator("llm_model", "llm_api_base", "embedding_api_base", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'deskhand.sqlite').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def dbos_system_database_url(self) -> str:
        """DBOS keeps its state next to ours: a sibling SQLite file, or the same Postgres server."""
        url = self.resolved_database_url
        if url.startswith("sqlite"):
            return f"sqlite:///{(self.data_dir / 'dbos.sqlite').resolve()}"
        return url.replace("postgresql+asyncpg://", "postgresql://", 1)

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> SecretStr:
        """The configured key, or one generated once into the data dir with 0600 permissions."""
        if self.secret_key is not None:
            return self.secret_key
        self.ensure_data_dir()
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            from cryptography.fernet import Fernet

            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(Fernet.generate_key().decode())
        return SecretStr(path.read_text().strip())

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_model)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
