"""FastAPI dependencies: the runtime, a session that commits at the boundary, bearer auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.ext.asyncio import AsyncSession

from agent.runtime import Runtime, get_runtime
from core.errors import AuthenticationError
from core.tables import ApiToken
from core.tokens import authenticate_token


def runtime_dep() -> Runtime:
    return get_runtime()


async def session_dep(runtime: Annotated[Runtime, Depends(runtime_dep)]) -> AsyncIterator[AsyncSession]:
    async with runtime.db.session() as session:
        yield session


async def require_token(
    session: Annotated[AsyncSession, Depends(session_dep, scope="function")],
    authorization: Annotated[str | None, Header()] = None,
) -> ApiToken:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthenticationError(
            "missing bearer token: send 'Authorization: Bearer <token>' (create one with "
            "`deskhand tokens create --name NAME`)",
            code="missing_token",
        )
    return await authenticate_token(session, authorization[7:].strip())


# scope="function": the transaction commits when the endpoint returns, before the response is sent.
SessionDep = Annotated[AsyncSession, Depends(session_dep, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(runtime_dep)]
