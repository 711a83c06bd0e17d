"""Alembic migrations: the only way the schema changes, on SQLite and Postgres alike."""
