"""The Alembic migrations produce exactly the schema the ORM declares, on SQLite and on Postgres."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import agent.approval_tables
import agent.prompt_layers
import agent.tables
import core.audit
import core.tables
import core.users
import retrieval.tables
import workflows.tables  # noqa: F401 - registers the tables on Base.metadata
from core.database import Base
from core.migrations.runner import sync_url, upgrade

# Search structures the migration creates outside the ORM (see retrieval/tables.py): SQLite's FTS5 tables,
# Postgres's generated tsvector column with its GIN index, and the vector indexes `reset` builds.
NOT_IN_ORM = (
    "ticket_documents_fts",
    "search_vector",
    "ix_ticket_documents_search_vector",
    "ix_ticket_documents_embedding_hnsw",
    "ix_ticket_documents_client_vectors",
)


def _in_orm(name: str | None, type_: str, parent_names: object) -> bool:
    return name is None or not name.startswith(NOT_IN_ORM)


def test_migrations_match_the_models(tmp_path: Path, database_url: str | None) -> None:
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'schema.sqlite'}"
    upgrade(url)
    upgrade(url)  # running it again is a no-op, as `serve` does on every start
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": False, "include_name": _in_orm}
            )
            diff = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert {"ticket_events", "runs", "match_decisions", "plan_steps", "tool_calls", "notes_posted"} <= tables
    assert (
        agent.tables.TicketEvent.__table__.name in tables and core.tables.Integration.__table__.name in tables
    )
    assert {
        retrieval.tables.TicketDocumentRow.__tablename__,
        retrieval.tables.RetrievalIndexState.__tablename__,
    } <= tables
