"""FastAPI dependencies: the runtime and a session that commits at the boundary (auth: api/auth.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from agent.runtime import Runtime, get_runtime


def runtime_dep() -> Runtime:
    return get_runtime()


async def session_dep(runtime: Annotated[Runtime, Depends(runtime_dep)]) -> AsyncIterator[AsyncSession]:
    async with runtime.db.session() as session:
        yield session


# scope="function": the transaction commits when the endpoint returns, before the response is sent.
SessionDep = Annotated[AsyncSession, Depends(session_dep, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(runtime_dep)]
