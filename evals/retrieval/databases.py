"""Fresh databases for the retrieval benchmarks: a pgserver Postgres in a temp dir, or a SQLite file.

Each database is migrated with the project's Alembic migrations (so the retrieval tables, the GIN/FTS5
structures and their triggers are the real ones) and gets the clients and integrations the generated
tickets point at (``ticket_documents`` has foreign keys to both).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.database import Database
from core.migrations.runner import upgrade
from core.tables import Client, Integration
from evals.retrieval.corpus import INTEGRATION_COUNT, client_name

POSTGRES = "postgres"
SQLITE = "sqlite"
BACKENDS = (POSTGRES, SQLITE)
INTEGRATION_KINDS = ("connectwise", "halopsa", "autotask")


class PostgresServer:
    """pgserver's Postgres 16 + pgvector, in a fresh temp dir, deleted on ``stop``. Unix socket only."""

    def __init__(self, root: Path) -> None:
        if not os.environ.get("XDG_RUNTIME_DIR"):  # else platformdirs (via pgserver) warns on import
            runtime = root / "xdg-runtime"
            runtime.mkdir(mode=0o700, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        from pgserver.postgres_server import get_server

        # Never an existing dir: as root, pgserver opens up the permissions of every parent of it.
        self.data_dir = Path(tempfile.mkdtemp(prefix="pgdata-", dir=root))
        self._server: Any = get_server(str(self.data_dir), cleanup_mode="delete")
        uri = str(self._server.get_uri())
        found = re.search(r"host=([^&]+)", uri)
        if found is None:
            raise RuntimeError(f"pgserver gave no socket dir in {uri!r}")
        self.socket_dir = found.group(1)

    def create_database(self, name: str) -> str:
        """A new empty database with pgvector; returns its async URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"unsafe database name {name!r}")
        self._server.psql(f"CREATE DATABASE {name};")
        return f"postgresql+asyncpg://postgres@/{name}?host={self.socket_dir}"

    def psql(self, sql: str) -> str:
        return str(self._server.psql(sql))

    def stop(self) -> None:
        self._server.cleanup()


@contextmanager
def scratch(*, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="deskhand-retrieval-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def postgres_server(root: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(root)
    try:
        yield server
    finally:
        server.stop()


def sqlite_url(root: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{root / (name + '.sqlite')}"


def migrate(url: str) -> None:
    """Alembic to head (blocking; call before the event loop or in a thread)."""
    upgrade(url)


async def add_clients(db: Database, client_ids: Iterable[int]) -> None:
    """The clients (with their corpus names) and the three integrations the tickets belong to."""
    async with db.write_session() as session:
        session.add_all(
            Integration(id=i, kind=INTEGRATION_KINDS[i - 1], name=f"bench {INTEGRATION_KINDS[i - 1]}",
                        config_encrypted="not-a-real-config")
            for i in range(1, INTEGRATION_COUNT + 1)
        )  # fmt: skip
        await session.flush()
        session.add_all(Client(id=c, name=client_name(c)) for c in client_ids)
