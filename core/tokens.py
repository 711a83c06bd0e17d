"""API bearer tokens: shown once at creation, stored only as a hash."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import system_clock
from core.errors import AuthenticationError
from core.secrets import hash_token
from core.tables import ApiToken

TOKEN_PREFIX = "dh_"  # noqa: S105 - a visible prefix, not a secret


async def create_token(session: AsyncSession, *, name: str) -> tuple[ApiToken, str]:
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(plain))
    session.add(row)
    await session.flush()
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
