"""People: sign-in sessions (``/auth``), users (admin), your own password and API tokens.

``auth_router`` is mounted outside the token-gated ``/api/v1`` router, since signing in needs no
credentials; ``router`` sits inside it (every caller is at least a viewer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    AdminDep,
    CurrentPrincipal,
    Principal,
)
from api.deps import SessionDep
from core.audit import record_audit
from core.errors import AuthenticationError, ValidationFailed
from core.tokens import create_token, list_user_tokens, revoke_user_token
from core.users import (
    KEEP,
    SESSION_MAX_AGE,
    PsaMember,
    Role,
    User,
    change_own_password,
    create_user,
    end_session,
    get_user,
    list_users,
    resolve_session,
    set_password,
    sign_in,
    start_session,
    update_user,
)

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
router = APIRouter(prefix="/users", tags=["users"])

WRONG_CREDENTIALS = "wrong email or password"


class PsaMemberRef(BaseModel):
    integration_id: int
    member_id: str = Field(
        min_length=1,
        max_length=64,
        description="ConnectWise member identifier, Autotask resource id or Halo agent id",
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    active: bool
    psa_integration_id: int | None
    psa_member_id: str | None
    created_at: datetime
    updated_at: datetime


class UserList(BaseModel):
    items: list[UserRead]


class UserCreate(BaseModel):
    email: str = Field(max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: SecretStr
    psa_member: PsaMemberRef | None = None


class UserUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    active: bool | None = None
    psa_member: PsaMemberRef | None = Field(default=None, description="null removes the mapping")


class PasswordReset(BaseModel):
    password: SecretStr


class PasswordChange(BaseModel):
    current_password: SecretStr
    new_password: SecretStr


class LoginRequest(BaseModel):
    email: str = Field(max_length=320)
    password: SecretStr


class SessionRead(BaseModel):
    user: UserRead
    csrf_token: str = Field(description=f"Send it as {CSRF_HEADER} on POST/PUT/PATCH/DELETE")
    expires_at: datetime = Field(description="The latest the session can last; 12 h idle ends it sooner")


class MeRead(BaseModel):
    name: str
    role: Role
    via: Literal["token", "session"]
    user: UserRead | None = Field(description="None for an MSP service token")
    csrf_token: str | None = Field(description="The session's CSRF token (sessions only)")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="Shown this once; store it now")


class TokenList(BaseModel):
    items: list[TokenRead]


def _own_user_id(principal: Principal) -> int:
    if principal.user_id is None:
        raise ValidationFailed(
            "an MSP service token has no user: sign in or use a personal token for this",
            code="no_user",
        )
    return principal.user_id


# --- sign-in ---------------------------------------------------------------------------------------------


@auth_router.post("/login", response_model=SessionRead, responses={401: {"description": WRONG_CREDENTIALS}})
async def login(
    data: LoginRequest, request: Request, response: Response, session: SessionDep
) -> SessionRead | JSONResponse:
    """Sign in; sets the HttpOnly session cookie and returns the CSRF token for unsafe requests."""
    user = await sign_in(session, email=data.email, password=data.password.get_secret_value())
    if user is None:
        # Returned, not raised: the failed attempt's audit entry must commit.
        return JSONResponse({"detail": WRONG_CREDENTIALS, "code": "invalid_credentials"}, status_code=401)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        try:
            old, _ = await resolve_session(session, previous)
            await end_session(session, old.id)
        except AuthenticationError:
            pass  # already gone or expired
    row, plain = await start_session(session, user)
    response.set_cookie(
        SESSION_COOKIE,
        plain,
        max_age=int(SESSION_MAX_AGE.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return SessionRead(
        user=UserRead.model_validate(user), csrf_token=row.csrf_token, expires_at=row.expires_at
    )


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, session: SessionDep, response: Response) -> None:
    """End this browser session (API tokens are revoked at DELETE /api/v1/users/me/tokens/{id})."""
    if principal.session_id is None:
        raise ValidationFailed(
            "signing out ends a browser session; revoke an API token instead", code="not_a_session"
        )
    await end_session(session, principal.session_id)
    await record_audit(session, principal, "auth.logout", "user", principal.user_id)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


@auth_router.get("/me")
async def me(principal: CurrentPrincipal, session: SessionDep) -> MeRead:
    user = await get_user(session, principal.user_id) if principal.user_id is not None else None
    return MeRead(
        name=principal.name,
        role=principal.role,
        via=principal.via,
        user=UserRead.model_validate(user) if user else None,
        csrf_token=principal.csrf_token,
    )


# --- your own password and tokens (any role; before /{user_id} so "me" is not read as an id) ------------


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_my_password(data: PasswordChange, principal: CurrentPrincipal, session: SessionDep) -> None:
    """Change your password; your other sessions end."""
    await change_own_password(
        session,
        _own_user_id(principal),
        current_password=data.current_password.get_secret_value(),
        new_password=data.new_password.get_secret_value(),
        keep_session_id=principal.session_id,
    )


@router.get("/me/tokens")
async def my_tokens(principal: CurrentPrincipal, session: SessionDep) -> TokenList:
    rows = await list_user_tokens(session, user_id=_own_user_id(principal))
    return TokenList(items=[TokenRead.model_validate(r) for r in rows])


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED)
async def create_my_token(
    data: TokenCreate, principal: CurrentPrincipal, session: SessionDep
) -> TokenCreated:
    """A personal API token acting with your role; shown once."""
    row, plain = await create_token(
        session, name=data.name, user_id=_own_user_id(principal), actor=principal.actor
    )
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=plain)


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_my_token(token_id: int, principal: CurrentPrincipal, session: SessionDep) -> None:
    await revoke_user_token(session, token_id, user_id=_own_user_id(principal), actor=principal.actor)


# --- users (admin) ---------------------------------------------------------------------------------------


@router.get("")
async def get_users(_: AdminDep, session: SessionDep) -> UserList:
    return UserList(items=[UserRead.model_validate(u) for u in await list_users(session)])


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_user(data: UserCreate, principal: AdminDep, session: SessionDep) -> UserRead:
    user = await create_user(
        session,
        email=data.email,
        display_name=data.display_name,
        role=data.role,
        password=data.password.get_secret_value(),
        actor=principal.actor,
        psa_member=_member(data.psa_member),
    )
    return UserRead.model_validate(user)


@router.get("/{user_id}")
async def get_one_user(user_id: int, _: AdminDep, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await get_user(session, user_id))


@router.patch("/{user_id}")
async def change_user(user_id: int, data: UserUpdate, principal: AdminDep, session: SessionDep) -> UserRead:
    """Role, active flag, display name and PSA member mapping; deactivating signs the user out."""
    given = data.model_fields_set
    user: User = await update_user(
        session,
        user_id,
        actor=principal.actor,
        display_name=data.display_name if data.display_name is not None else KEEP,
        role=data.role if data.role is not None else KEEP,
        active=data.active if data.active is not None else KEEP,
        psa_member=_member(data.psa_member) if "psa_member" in given else KEEP,
    )
    return UserRead.model_validate(user)


@router.put("/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(user_id: int, data: PasswordReset, principal: AdminDep, session: SessionDep) -> None:
    """Set someone's password (they are signed out everywhere)."""
    await set_password(
        session,
        user_id,
        password=data.password.get_secret_value(),
        actor=principal.actor,
        keep_session_id=principal.session_id if principal.user_id == user_id else None,
    )


def _member(ref: PsaMemberRef | None) -> PsaMember | None:
    return None if ref is None else PsaMember(integration_id=ref.integration_id, member_id=ref.member_id)
