"""Suite-wide guards: no real model calls, no sockets beyond this machine."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# litellm must never reach the internet for its cost map, and its aiohttp transport would bypass respx.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# platformdirs (via pgserver) warns without a private runtime dir, and warnings are errors here.
if not os.environ.get("XDG_RUNTIME_DIR"):
    import tempfile

    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="deskhand-xdg-")

from pydantic_ai import models

models.ALLOW_MODEL_REQUESTS = False

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX paths (pgserver's socket)
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        raise RuntimeError(f"test tried to open a real network connection to {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        raise RuntimeError(f"test tried to open a real network connection to {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    import tempfile

    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="deskhand-pg-"), cleanup_mode="delete")
    yield server
    server.cleanup()


_pg_counter = 0


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str | None:
    """None = the embedded SQLite default; otherwise a fresh Postgres database for this test."""
    global _pg_counter
    if request.param == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    _pg_counter += 1
    name = f"deskhand_test_{os.getpid()}_{_pg_counter}"
    server.psql(f"CREATE DATABASE {name};")
    server.psql(f"\\c {name}\nCREATE EXTENSION IF NOT EXISTS vector;")
    socket_dir = server.get_uri().split("host=")[-1].split("&")[0]
    return f"postgresql+asyncpg://postgres@/{name}?host={socket_dir}"
