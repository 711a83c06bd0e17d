"""Alembic environment. Runs with a synchronous driver; the URL comes from the runner."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config
# Only the revision generator passes metadata (for autogenerate); upgrades need none.
target_metadata = config.attributes.get("target_metadata")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
