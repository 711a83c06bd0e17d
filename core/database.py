"""Async SQLAlchemy: declarative base, UTC timestamps, and one engine per event loop.

DBOS runs queued async workflows on its own event loop while FastAPI serves on another; asyncpg
connections belong to the loop that opened them, so each loop gets its own engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite hands back naive ones, which are UTC by construction here."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while a worker writes; busy_timeout waits instead of failing on a lock.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # Pooled: opening an aiosqlite connection costs a thread and three PRAGMAs each time.
        engine = create_async_engine(url, pool_size=5, max_overflow=10)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)


class Database:
    """Hands out sessions on the calling loop's engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engines: dict[int, tuple[asyncio.AbstractEventLoop, AsyncEngine]] = {}
        self._write_locks: dict[int, asyncio.Lock] = {}

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def engine(self) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        entry = self._engines.get(id(loop))
        if entry is None or entry[0] is not loop:
            entry = (loop, make_engine(self.url))
            self._engines[id(loop)] = entry
        return entry[1]

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits when the block ends without error."""
        maker = async_sessionmaker(self.engine(), expire_on_commit=False)
        async with maker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session for a short write. On SQLite, writers on one loop take turns.

        SQLite admits one writer; left to its busy handler, concurrent writers sleep and retry with no
        fairness, which gave multi-second tails and 'database is locked' under webhook bursts. Never
        open one inside another on the same loop.
        """
        if self.is_postgres:
            async with self.session() as session:
                yield session
            return
        loop_id = id(asyncio.get_running_loop())
        lock = self._write_locks.get(loop_id)
        if lock is None:
            lock = self._write_locks[loop_id] = asyncio.Lock()
        async with lock, self.session() as session:
            yield session

    async def dispose(self) -> None:
        loop = asyncio.get_running_loop()
        self._write_locks.pop(id(loop), None)
        entry = self._engines.pop(id(loop), None)
        if entry is not None:
            await entry[1].dispose()
