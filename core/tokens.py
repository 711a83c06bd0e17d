"""API bearer tokens: shown once at creation, stored only as a hash.

A token with a ``user_id`` acts with that user's role. A token without one (``deskhand tokens create``
without ``--user``) is an MSP service token and acts as admin; see core/users.py.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, record_audit
from core.clock import system_clock
from core.errors import AuthenticationError, NotFoundError, ValidationFailed
from core.secrets import hash_token
from core.tables import ApiToken

TOKEN_PREFIX = "dh_"  # noqa: S105 - a visible prefix, not a secret


async def create_token(
    session: AsyncSession, *, name: str, user_id: int | None = None, actor: Actor | None = None
) -> tuple[ApiToken, str]:
    """A new token and its plain value (shown once). With ``actor`` the creation is audited."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("a token name is 1-200 characters", code="invalid_token_name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(plain), user_id=user_id)
    session.add(row)
    await session.flush()
    if actor is not None:
        await record_audit(
            session, actor, "token.created", "api_token", row.id, {"name": row.name, "user_id": user_id}
        )
    return row, plain


async def authenticate_token(session: AsyncSession, plain: str) -> ApiToken:
    row = (
        await session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        raise AuthenticationError("invalid or revoked API token", code="invalid_token")
    now = system_clock()
    # Recording every use would make each API read a database write; once a minute is enough to audit.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return row


async def list_user_tokens(session: AsyncSession, *, user_id: int) -> list[ApiToken]:
    """The user's tokens, revoked ones included (newest first)."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list((await session.scalars(query)).all())


async def revoke_user_token(session: AsyncSession, token_id: int, *, user_id: int, actor: Actor) -> ApiToken:
    """Revoke one of the user's own tokens; someone else's token is reported as missing."""
    row = await session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFoundError(f"you have no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = system_clock()
        await record_audit(session, actor, "token.revoked", "api_token", row.id, {"name": row.name})
        await session.flush()
    return row
