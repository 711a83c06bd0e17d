"""similar-ticket index: documents with embeddings, full-text search, and the index state

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import VECTOR

import core.database

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Stored, not only indexed: ranking (ts_rank_cd) needs each match's tsvector, and re-parsing the ticket text
# per match cost ~20x more than reading it (measured at 100,000 tickets). Postgres keeps it current itself.
PG_SEARCH_VECTOR = (
    "ALTER TABLE ticket_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english', summary || ' ' || body || ' ' || resolution)) STORED",
    "CREATE INDEX ix_ticket_documents_search_vector ON ticket_documents USING gin (search_vector)",
)
# External content: the FTS table stores only its index; the text stays in ticket_documents. Triggers keep
# it exact on every path, including rows removed by the cascade when a client or integration is deleted.
# No stemmer: the vocabulary table then holds the query's own words, whose document counts let the search
# drop common words (retrieval/sqlite_index.py).
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE ticket_documents_fts USING fts5("
    "summary, body, resolution, content='ticket_documents', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE ticket_documents_fts_vocab USING fts5vocab(ticket_documents_fts, row)",
    "CREATE TRIGGER ticket_documents_fts_insert AFTER INSERT ON ticket_documents BEGIN "
    "INSERT INTO ticket_documents_fts(rowid, summary, body, resolution) "
    "VALUES (new.id, new.summary, new.body, new.resolution); END",
    "CREATE TRIGGER ticket_documents_fts_delete AFTER DELETE ON ticket_documents BEGIN "
    "INSERT INTO ticket_documents_fts(ticket_documents_fts, rowid, summary, body, resolution) "
    "VALUES ('delete', old.id, old.summary, old.body, old.resolution); END",
    "CREATE TRIGGER ticket_documents_fts_update AFTER UPDATE ON ticket_documents BEGIN "
    "INSERT INTO ticket_documents_fts(ticket_documents_fts, rowid, summary, body, resolution) "
    "VALUES ('delete', old.id, old.summary, old.body, old.resolution); "
    "INSERT INTO ticket_documents_fts(rowid, summary, body, resolution) "
    "VALUES (new.id, new.summary, new.body, new.resolution); END",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    # No dimension yet: the index's reset types the column vector(dim) once the embedder is known.
    embedding_type = VECTOR() if postgres else sa.LargeBinary()
    op.create_table(
        "ticket_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("ticket_external_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("contact_external_id", sa.String(length=64), nullable=True),
        sa.Column("closed_at", core.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("indexed_at", core.database.UTCDateTime(timezone=True), nullable=False),
        # Vectors before the long texts: a scan of them then skips the text's overflow pages on SQLite.
        sa.Column("embedding", embedding_type, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_ticket_documents_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_ticket_documents_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_documents")),
        sa.UniqueConstraint(
            "integration_id", "ticket_external_id", name=op.f("uq_ticket_documents_integration_id")
        ),
    )
    with op.batch_alter_table("ticket_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_documents_client_id"), ["client_id"], unique=False)

    op.create_table(
        "retrieval_index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrieval_index_state")),
    )
    if postgres:
        for statement in PG_SEARCH_VECTOR:
            op.execute(statement)
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_ticket_documents_search_vector")
        op.execute("DROP INDEX IF EXISTS ix_ticket_documents_embedding_hnsw")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ticket_documents_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS ticket_documents_fts_vocab")
        op.execute("DROP TABLE IF EXISTS ticket_documents_fts")
    op.drop_table("retrieval_index_state")
    with op.batch_alter_table("ticket_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_documents_client_id"))
    op.drop_table("ticket_documents")
    # The vector extension stays: other objects in the database may use it.
