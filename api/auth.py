"""Who is calling: a Principal from a bearer token or the session cookie, and role dependencies.

Bearer tokens act with their user's role; a token with no user is an MSP service token and acts as admin.
Cookie-authenticated requests that change something (POST/PUT/PATCH/DELETE) must also send the session's
CSRF token in ``X-Deskhand-CSRF`` (double submit); bearer requests need not, since a browser never adds an
``Authorization`` header on its own.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from core.audit import Actor
from core.errors import AuthenticationError
from core.tokens import authenticate_token
from core.users import ForbiddenError, Role, User, check_role, resolve_session

SESSION_COOKIE = "deskhand_session"
CSRF_HEADER = "X-Deskhand-CSRF"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    user_id: int | None  # None: an MSP service token
    name: str
    role: Role
    via: Literal["token", "session"]
    token_id: int | None = None
    session_id: int | None = None
    csrf_token: str | None = None  # sessions only

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, name=self.name)


async def _token_principal(session: AsyncSession, plain: str) -> Principal:
    token = await authenticate_token(session, plain)
    if token.user_id is None:
        return Principal(
            user_id=None, name=f"service token {token.name}", role=Role.ADMIN, via="token", token_id=token.id
        )
    user = await session.get(User, token.user_id)
    if user is None or not user.active:
        raise AuthenticationError("this token's user is deactivated", code="user_inactive")
    return Principal(
        user_id=user.id, name=user.display_name, role=Role(user.role), via="token", token_id=token.id
    )


async def current_principal(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    csrf: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> Principal:
    if authorization and authorization.lower().startswith("bearer "):
        return await _token_principal(session, authorization[7:].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise AuthenticationError(
            "missing bearer token: send 'Authorization: Bearer <token>' (create one with "
            "`deskhand tokens create --name NAME` or POST /api/v1/users/me/tokens), or sign in",
            code="missing_token",
        )
    row, user = await resolve_session(session, cookie)
    if request.method in UNSAFE_METHODS and not (csrf and hmac.compare_digest(csrf, row.csrf_token)):
        raise ForbiddenError(
            f"signed-in requests that change something must send the {CSRF_HEADER} header given at sign-in",
            code="csrf_failed",
        )
    return Principal(
        user_id=user.id,
        name=user.display_name,
        role=Role(user.role),
        via="session",
        session_id=row.id,
        csrf_token=row.csrf_token,
    )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def require_viewer(principal: CurrentPrincipal) -> Principal:
    return principal


async def require_technician(principal: CurrentPrincipal) -> Principal:
    check_role(principal.role, Role.TECHNICIAN)
    return principal


async def require_admin(principal: CurrentPrincipal) -> Principal:
    check_role(principal.role, Role.ADMIN)
    return principal


ViewerDep = Annotated[Principal, Depends(require_viewer)]
TechnicianDep = Annotated[Principal, Depends(require_technician)]
AdminDep = Annotated[Principal, Depends(require_admin)]
