"""People and roles: users with argon2id passwords and browser sessions (the audit trail: core/audit.py).

Roles, lowest first: ``viewer`` reads; ``technician`` also works tickets and approves; ``admin`` also
changes policies, modes, integrations, budgets and users.

API tokens (core/tokens.py) belong to a user and act with that user's role. A token with no user, made by
``deskhand tokens create`` without ``--user``, is an MSP service token: it acts as admin and is audited as
"service token <name>".

Browser sessions: the session id lives only in the client's cookie; the database keeps its SHA-256. A
session ends after 12 hours without use or 7 days after sign-in, whichever comes first.

Services here flush, never commit: the caller's transaction decides.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    Select,
    String,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import Actor, record_audit
from core.clock import system_clock
from core.database import Base, UTCDateTime
from core.errors import AuthenticationError, ConflictError, DeskhandError, NotFoundError, ValidationFailed
from core.secrets import hash_token
from core.tables import Integration

logger = logging.getLogger("deskhand.users")

SESSION_IDLE_TIMEOUT = timedelta(hours=12)
SESSION_MAX_AGE = timedelta(days=7)
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024  # argon2 takes any length; this only bounds request sizes
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
# argon2-cffi's defaults are argon2id (RFC 9106 low-memory profile); hashes made with older parameters are
# upgraded at the next successful sign-in.
PASSWORD_HASHER = PasswordHasher()


class Role(StrEnum):
    VIEWER = "viewer"
    TECHNICIAN = "technician"
    ADMIN = "admin"


ROLE_RANK = {Role.VIEWER: 0, Role.TECHNICIAN: 1, Role.ADMIN: 2}


class ForbiddenError(DeskhandError):
    code = "forbidden"
    status_code = 403


def check_role(role: Role, needed: Role) -> None:
    """Raise 403 naming the needed role unless ``role`` is at least ``needed``."""
    if ROLE_RANK[role] < ROLE_RANK[needed]:
        article = "an" if role is Role.ADMIN else "a"
        raise ForbiddenError(f"this needs the {needed.value} role; you are {article} {role.value}")


@dataclass(frozen=True)
class PsaMember:
    """A user's member/resource/agent in one PSA integration, in the form connectors use for
    ``Note.author`` and the MEMBER picklist (ConnectWise identifier, Autotask resource id, Halo agent id)."""

    integration_id: int
    member_id: str


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("psa_integration_id", "psa_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    psa_integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True
    )
    psa_member_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock, onupdate=system_clock)

    @property
    def psa_member(self) -> PsaMember | None:
        if self.psa_integration_id is None or self.psa_member_id is None:
            return None
        return PsaMember(integration_id=self.psa_integration_id, member_id=self.psa_member_id)

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, name=self.display_name)


class UserSession(Base):
    """A signed-in browser. ``csrf_token`` is not a credential on its own (it needs the cookie too), so
    it is kept readable and handed back by ``/auth/me`` after a page reload."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    if len(normalized) > 320 or not EMAIL_PATTERN.fullmatch(normalized):
        raise ValidationFailed("enter an email address like name@example.com", code="invalid_email")
    return normalized


def check_password_rules(password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValidationFailed(
            f"a password needs {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
            code="weak_password",
        )


async def hash_password(password: str, *, hasher: PasswordHasher = PASSWORD_HASHER) -> str:
    # argon2 is deliberately slow (~50 ms); off the event loop so other requests keep flowing.
    return await asyncio.to_thread(hasher.hash, password)


async def _password_matches(encoded: str, password: str, hasher: PasswordHasher) -> bool:
    try:
        return await asyncio.to_thread(hasher.verify, encoded, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against for unknown emails, so they cost as long as a wrong password."""
    return hasher.hash(secrets.token_urlsafe(16))


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # update_user: leave this field as it is


async def get_user(session: AsyncSession, user_id: int) -> User:
    row = await session.get(User, user_id)
    if row is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return row


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.scalars(select(User).where(User.email == email.strip().lower()))).one_or_none()


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.scalars(select(User).order_by(User.email))).all())


def _mapped_to(integration_id: int, member_id: str) -> Select[User]:
    # Compared case-insensitively: ConnectWise identifiers are, and numeric ids are unaffected.
    member = func.lower(User.psa_member_id) == member_id.strip().lower()
    return select(User).where(User.psa_integration_id == integration_id, member)


async def find_user_for_psa_member(
    session: AsyncSession, *, integration_id: int, member_id: str
) -> User | None:
    """The active user mapped to this PSA member (``Note.author`` form), for approvals from PSA notes."""
    query = _mapped_to(integration_id, member_id).where(User.active.is_(True))
    return (await session.scalars(query)).first()


async def _check_psa_member(session: AsyncSession, member: PsaMember, *, user_id: int | None) -> PsaMember:
    if await session.get(Integration, member.integration_id) is None:
        raise ValidationFailed(
            f"integration {member.integration_id} does not exist", code="unknown_integration"
        )
    member_id = member.member_id.strip()
    if not member_id or len(member_id) > 64:
        raise ValidationFailed("the PSA member id must be 1-64 characters", code="invalid_psa_member")
    # Deactivated users count too: the mapping is unique per integration.
    taken = (await session.scalars(_mapped_to(member.integration_id, member_id))).first()
    if taken is not None and taken.id != user_id:
        raise ConflictError(
            f"PSA member '{member_id}' is already mapped to {taken.email}", code="psa_member_taken"
        )
    return PsaMember(integration_id=member.integration_id, member_id=member_id)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    actor: Actor,
    psa_member: PsaMember | None = None,
) -> User:
    normalized = normalize_email(email)
    check_password_rules(password)
    if await find_user_by_email(session, normalized) is not None:
        raise ConflictError(f"a user with email {normalized} already exists", code="email_taken")
    name = display_name.strip()
    if not name:
        raise ValidationFailed("the display name is empty", code="invalid_name")
    member = await _check_psa_member(session, psa_member, user_id=None) if psa_member else None
    user = User(
        email=normalized,
        display_name=name,
        role=role.value,
        password_hash=await hash_password(password),
        active=True,
        psa_integration_id=member.integration_id if member else None,
        psa_member_id=member.member_id if member else None,
    )
    session.add(user)
    await session.flush()
    await record_audit(
        session, actor, "user.created", "user", user.id, {"email": user.email, "role": user.role}
    )
    return user


async def update_user(
    session: AsyncSession,
    user_id: int,
    *,
    actor: Actor,
    display_name: str | _Keep = KEEP,
    role: Role | _Keep = KEEP,
    active: bool | _Keep = KEEP,
    psa_member: PsaMember | _Keep | None = KEEP,
) -> User:
    """Change what was given; ``psa_member=None`` removes the mapping. The last active admin stays one."""
    user = await get_user(session, user_id)
    loses_admin = user.role == Role.ADMIN.value and (
        (role is not KEEP and role is not Role.ADMIN) or active is False
    )
    other_admins = select(func.count()).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id
    )
    if loses_admin and user.active and not await session.scalar(other_admins):
        raise ConflictError(
            f"{user.email} is the only active admin; make someone else admin first", code="last_admin"
        )
    if isinstance(role, Role) and role.value != user.role:
        before, user.role = user.role, role.value
        await record_audit(
            session, actor, "user.role_changed", "user", user.id, {"before": before, "after": role.value}
        )
    if isinstance(active, bool) and active != user.active:
        user.active = active
        if not active:
            await end_user_sessions(session, user.id)
        await record_audit(
            session, actor, "user.deactivated" if not active else "user.reactivated", "user", user.id
        )
    changes: dict[str, Any] = {}
    if isinstance(display_name, str) and display_name.strip() != user.display_name:
        if not display_name.strip():
            raise ValidationFailed("the display name is empty", code="invalid_name")
        changes["display_name"] = {"before": user.display_name, "after": display_name.strip()}
        user.display_name = display_name.strip()
    if psa_member is not KEEP:
        member = await _check_psa_member(session, psa_member, user_id=user.id) if psa_member else None
        if member != user.psa_member:
            changes["psa_member"] = {"before": _as_dict(user.psa_member), "after": _as_dict(member)}
            user.psa_integration_id = member.integration_id if member else None
            user.psa_member_id = member.member_id if member else None
    if changes:
        await record_audit(session, actor, "user.updated", "user", user.id, changes)
    await session.flush()
    return user


def _as_dict(member: PsaMember | None) -> dict[str, Any] | None:
    return None if member is None else asdict(member)


async def set_password(
    session: AsyncSession,
    user_id: int,
    *,
    password: str,
    actor: Actor,
    keep_session_id: int | None = None,
) -> User:
    """Replace the password and sign the user out everywhere else."""
    check_password_rules(password)
    user = await get_user(session, user_id)
    user.password_hash = await hash_password(password)
    await end_user_sessions(session, user.id, except_id=keep_session_id)
    action = "user.password_changed" if actor.user_id == user.id else "user.password_reset"
    await record_audit(session, actor, action, "user", user.id)
    await session.flush()
    return user


async def change_own_password(
    session: AsyncSession,
    user_id: int,
    *,
    current_password: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> User:
    user = await get_user(session, user_id)
    if not await _password_matches(user.password_hash, current_password, PASSWORD_HASHER):
        raise ValidationFailed("the current password is not right", code="wrong_password")
    return await set_password(
        session, user.id, password=new_password, actor=user.actor, keep_session_id=keep_session_id
    )


async def sign_in(
    session: AsyncSession, *, email: str, password: str, hasher: PasswordHasher = PASSWORD_HASHER
) -> User | None:
    """The user, or None for any failure (the caller says only "wrong email or password").

    Both outcomes are audited. The caller must commit even on failure, so failures are recorded.
    """
    attempted = email.strip().lower()[:320]
    user = await find_user_by_email(session, attempted)
    encoded = user.password_hash if user else await asyncio.to_thread(_dummy_hash, hasher)
    matches = await _password_matches(encoded, password, hasher)
    if user is None or not matches or not user.active:
        reason = "unknown_email" if user is None else "wrong_password" if not matches else "inactive"
        logger.info("sign-in refused for %s: %s", attempted, reason)
        await record_audit(
            session,
            Actor(user_id=None, name="anonymous"),
            "auth.login_failed",
            "user",
            user.id if user else None,
            {"email": attempted, "reason": reason},
        )
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password, hasher=hasher)
    await record_audit(session, user.actor, "auth.login", "user", user.id)
    return user


async def start_session(
    session: AsyncSession, user: User, *, now: datetime | None = None
) -> tuple[UserSession, str]:
    """A new session for ``user``; returns the row and the session id for the cookie (shown once)."""
    now = now or system_clock()
    # Sign-in is rare; tidying expired sessions here keeps the table small without a background job.
    await session.execute(
        delete(UserSession).where(
            or_(UserSession.expires_at <= now, UserSession.last_seen_at <= now - SESSION_IDLE_TIMEOUT)
        )
    )
    plain = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        session_hash=hash_token(plain),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_MAX_AGE,
    )
    session.add(row)
    await session.flush()
    return row, plain


async def resolve_session(
    session: AsyncSession, plain: str, *, now: datetime | None = None
) -> tuple[UserSession, User]:
    """The live session and its active user, or AuthenticationError."""
    now = now or system_clock()
    row = (
        await session.scalars(select(UserSession).where(UserSession.session_hash == hash_token(plain)))
    ).one_or_none()
    if row is None:
        raise AuthenticationError("not signed in (or signed out): sign in again", code="invalid_session")
    if now >= row.expires_at or now - row.last_seen_at >= SESSION_IDLE_TIMEOUT:
        raise AuthenticationError("your session expired: sign in again", code="session_expired")
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("this user is deactivated", code="user_inactive")
    # Touching the row on every request would make each read a write; once a minute is precise enough.
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
    return row, user


async def end_session(session: AsyncSession, session_id: int) -> None:
    await session.execute(delete(UserSession).where(UserSession.id == session_id))


async def end_user_sessions(session: AsyncSession, user_id: int, *, except_id: int | None = None) -> None:
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if except_id is not None:
        query = query.where(UserSession.id != except_id)
    await session.execute(query)
