"""Apply Alembic migrations programmatically (``deskhand db upgrade`` and ``serve`` on start)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent


def sync_url(async_url: str) -> str:
    """Alembic runs synchronously: swap the async driver for its sync sibling."""
    return async_url.replace("sqlite+aiosqlite://", "sqlite://", 1).replace(
        "postgresql+asyncpg://", "postgresql+psycopg://", 1
    )


def alembic_config(async_url: str, *, target_metadata: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sync_url(async_url).replace("%", "%%"))
    if target_metadata is not None:
        config.attributes["target_metadata"] = target_metadata
    return config


def upgrade(async_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(async_url), revision)
