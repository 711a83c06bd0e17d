"""Users, passwords, sessions and the audit trail at the service level (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import CLI_ACTOR, AuditEntry, list_audit, record_audit
from core.clock import system_clock
from core.database import Database
from core.errors import AuthenticationError, ConflictError, NotFoundError, ValidationFailed
from core.migrations.runner import upgrade
from core.tables import Integration
from core.tokens import authenticate_token, create_token, list_user_tokens, revoke_user_token
from core.users import (
    KEEP,
    PASSWORD_HASHER,
    ForbiddenError,
    PsaMember,
    Role,
    User,
    UserSession,
    change_own_password,
    check_role,
    create_user,
    find_user_for_psa_member,
    resolve_session,
    sign_in,
    start_session,
    update_user,
)

PASSWORD = "correct horse battery"
# Cheap parameters keep sign-in checks fast; verifying reads the parameters from each hash.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(hash, password)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'users.sqlite'}"
    upgrade(url)
    database = Database(url)
    yield database
    await database.dispose()


async def _user(session: AsyncSession, email: str, role: Role = Role.TECHNICIAN, **extra: Any) -> User:
    return await create_user(
        session,
        email=email,
        display_name=email.split("@")[0].title(),
        role=role,
        password=PASSWORD,
        actor=CLI_ACTOR,
        **extra,
    )


async def test_emails_are_unique_case_insensitively_and_passwords_are_argon2id(db: Database) -> None:
    async with db.session() as session:
        ann = await _user(session, "  Ann@Example.COM ")
        with pytest.raises(ConflictError, match="already exists"):
            await _user(session, "ann@example.com")
        with pytest.raises(ValidationFailed, match="12 to 1024 characters"):
            await create_user(
                session, email="b@x.io", display_name="B", role=Role.VIEWER, password="short", actor=CLI_ACTOR
            )
        with pytest.raises(ValidationFailed, match="email address"):
            await _user(session, "not-an-email")
        signed_in = await sign_in(session, email="ANN@example.com", password=PASSWORD, hasher=FAST)

    assert ann.email == "ann@example.com"
    assert ann.password_hash.startswith("$argon2id$") and PASSWORD not in ann.password_hash
    assert signed_in is not None and signed_in.id == ann.id


async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(db: Database) -> None:
    async with db.session() as session:
        user = await _user(session, "old@example.com")
        old_hash = user.password_hash
        current = PasswordHasher(time_cost=PASSWORD_HASHER.time_cost + 1)  # parameters raised since
        assert await sign_in(session, email="old@example.com", password=PASSWORD, hasher=current)
        new_hash = user.password_hash
        assert await sign_in(session, email="old@example.com", password=PASSWORD, hasher=current)

    assert f"t={PASSWORD_HASHER.time_cost}," in old_hash
    assert new_hash != old_hash and f"t={current.time_cost}," in new_hash
    assert user.password_hash == new_hash  # already current: not hashed again


async def test_failed_sign_ins_look_alike_cost_alike_and_are_audited(db: Database) -> None:
    hasher = CountingHasher()
    async with db.session() as session:
        user = await _user(session, "tech@example.com")
        unknown = await sign_in(session, email="ghost@example.com", password=PASSWORD, hasher=hasher)
        wrong = await sign_in(session, email="tech@example.com", password="nope nope nope", hasher=hasher)
        await update_user(session, user.id, actor=CLI_ACTOR, active=False)
        inactive = await sign_in(session, email="tech@example.com", password=PASSWORD, hasher=hasher)
        entries = await list_audit(session, action="auth.login_failed")

    assert unknown is None and wrong is None and inactive is None
    assert len(hasher.verified) == 3  # an unknown email is checked against a dummy hash too
    assert hasher.verified[0] != user.password_hash
    reasons = sorted((e.detail["email"], e.detail["reason"]) for e in entries)
    assert reasons == [
        ("ghost@example.com", "unknown_email"),
        ("tech@example.com", "inactive"),
        ("tech@example.com", "wrong_password"),
    ]
    assert all(PASSWORD not in str(e.detail) for e in entries)


async def test_sessions_end_after_12_idle_hours_or_7_days(db: Database) -> None:
    start = system_clock()
    async with db.session() as session:
        user = await _user(session, "s@example.com")
        row, plain = await start_session(session, user, now=start)
        # Used every 11 hours, it lives until the 7-day cap.
        for hours in range(11, 7 * 24, 11):
            found, _ = await resolve_session(session, plain, now=start + timedelta(hours=hours))
            assert found.id == row.id
        with pytest.raises(AuthenticationError) as capped:
            await resolve_session(session, plain, now=start + timedelta(days=7))
        _, idle_plain = await start_session(session, user, now=start)
        await resolve_session(session, idle_plain, now=start + timedelta(hours=11, minutes=59))
        with pytest.raises(AuthenticationError) as idle:
            await resolve_session(session, idle_plain, now=start + timedelta(hours=24))
        stored = (await session.scalars(select(UserSession.session_hash))).all()
        with pytest.raises(AuthenticationError) as unknown:
            await resolve_session(session, "made-up", now=start)

    assert capped.value.code == "session_expired" and idle.value.code == "session_expired"
    assert unknown.value.code == "invalid_session"
    assert plain not in stored and idle_plain not in stored and len(stored[0]) == 64


async def test_deactivating_ends_sessions_and_the_last_admin_stays(db: Database) -> None:
    async with db.session() as session:
        boss = await _user(session, "boss@example.com", Role.ADMIN)
        tech = await _user(session, "tech@example.com")
        viewer = await _user(session, "view@example.com", Role.VIEWER)
        _, plain = await start_session(session, viewer)
        with pytest.raises(ConflictError, match="only active admin"):
            await update_user(session, boss.id, actor=boss.actor, role=Role.VIEWER)
        with pytest.raises(ConflictError, match="only active admin"):
            await update_user(session, boss.id, actor=boss.actor, active=False)
        await update_user(session, tech.id, actor=boss.actor, role=Role.ADMIN)
        await update_user(session, boss.id, actor=tech.actor, role=Role.VIEWER)  # another admin exists now
        with pytest.raises(ConflictError, match="only active admin"):
            await update_user(session, tech.id, actor=CLI_ACTOR, active=False)
        await update_user(session, viewer.id, actor=CLI_ACTOR, active=False, role=KEEP)
        with pytest.raises(AuthenticationError) as ended:
            await resolve_session(session, plain)
        actions = [(e.action, e.actor_name, e.detail) for e in reversed(await list_audit(session))]

    assert ended.value.code == "invalid_session"
    assert ("user.role_changed", "Boss", {"before": "technician", "after": "admin"}) in actions
    assert ("user.role_changed", "Tech", {"before": "admin", "after": "viewer"}) in actions
    assert ("user.deactivated", "command line", {}) in actions


async def test_psa_member_mapping_is_unique_and_found_case_insensitively(db: Database) -> None:
    async with db.session() as session:
        integration = Integration(kind="connectwise", name="CW", config_encrypted="x")
        session.add(integration)
        await session.flush()
        member = PsaMember(integration_id=integration.id, member_id="JSmith")
        jane = await _user(session, "jane@example.com", psa_member=member)
        with pytest.raises(ConflictError, match=r"already mapped to jane@example\.com"):
            await _user(session, "john@example.com", psa_member=PsaMember(integration.id, "jsmith"))
        with pytest.raises(ValidationFailed, match="does not exist"):
            await _user(session, "x@example.com", psa_member=PsaMember(integration.id + 99, "x"))
        found = await find_user_for_psa_member(session, integration_id=integration.id, member_id="jsmith ")
        other_psa = await find_user_for_psa_member(
            session, integration_id=integration.id + 1, member_id="jsmith"
        )
        await update_user(session, jane.id, actor=CLI_ACTOR, active=False)
        deactivated = await find_user_for_psa_member(
            session, integration_id=integration.id, member_id="jsmith"
        )
        await update_user(session, jane.id, actor=CLI_ACTOR, psa_member=None)
        [updated] = await list_audit(session, action="user.updated")

    assert found is not None and found.id == jane.id and other_psa is None and deactivated is None
    assert jane.psa_member is None
    assert updated.detail == {
        "psa_member": {"before": {"integration_id": integration.id, "member_id": "JSmith"}, "after": None}
    }


async def test_changing_your_password_needs_the_current_one_and_ends_other_sessions(db: Database) -> None:
    async with db.session() as session:
        user = await _user(session, "p@example.com")
        here, here_plain = await start_session(session, user)
        _, elsewhere = await start_session(session, user)
        with pytest.raises(ValidationFailed, match="current password"):
            await change_own_password(
                session, user.id, current_password="guess guess guess", new_password="another long one"
            )
        await change_own_password(
            session,
            user.id,
            current_password=PASSWORD,
            new_password="another long one",
            keep_session_id=here.id,
        )
        await resolve_session(session, here_plain)
        with pytest.raises(AuthenticationError):
            await resolve_session(session, elsewhere)
        assert await sign_in(session, email="p@example.com", password=PASSWORD, hasher=FAST) is None
        assert await sign_in(session, email="p@example.com", password="another long one", hasher=FAST)
        [changed] = await list_audit(session, action="user.password_changed")

    assert changed.actor_user_id == user.id and changed.detail == {}


async def test_user_tokens_are_listed_and_revoked_by_their_owner_only(db: Database) -> None:
    async with db.session() as session:
        ann = await _user(session, "ann@example.com")
        bob = await _user(session, "bob@example.com")
        token, plain = await create_token(session, name="laptop", user_id=ann.id, actor=ann.actor)
        service, _ = await create_token(session, name="rmm")
        with pytest.raises(NotFoundError, match="you have no token"):
            await revoke_user_token(session, token.id, user_id=bob.id, actor=bob.actor)
        listed = [t.name for t in await list_user_tokens(session, user_id=ann.id)]
        assert (await authenticate_token(session, plain)).user_id == ann.id
        await revoke_user_token(session, token.id, user_id=ann.id, actor=ann.actor)
        with pytest.raises(AuthenticationError):
            await authenticate_token(session, plain)
        audited = [
            (e.action, e.actor_name) for e in await list_audit(session) if e.action.startswith("token")
        ]

    assert listed == ["laptop"] and service.user_id is None
    assert audited == [("token.revoked", "Ann"), ("token.created", "Ann")]


async def test_audit_refuses_credentials_and_takes_anything_with_an_actor(db: Database) -> None:
    class Someone:
        actor = CLI_ACTOR

    async with db.session() as session:
        with pytest.raises(ValueError, match="password"):
            await record_audit(session, CLI_ACTOR, "user.created", "user", 1, {"password": "x"})
        entry = await record_audit(
            session, Someone(), "policy.changed", "tool_policy", "set_status", {"a": 1}
        )
        rows = (await session.scalars(select(AuditEntry))).all()
        since = await list_audit(session, since=entry.at + timedelta(seconds=1))

    assert [(r.actor_name, r.target_id, r.detail) for r in rows] == [("command line", "set_status", {"a": 1})]
    assert since == []


def test_role_checks_name_the_role_needed() -> None:
    check_role(Role.ADMIN, Role.TECHNICIAN)
    check_role(Role.VIEWER, Role.VIEWER)
    with pytest.raises(ForbiddenError, match="this needs the admin role; you are a technician"):
        check_role(Role.TECHNICIAN, Role.ADMIN)
    with pytest.raises(ForbiddenError, match="this needs the technician role; you are a viewer") as denied:
        check_role(Role.VIEWER, Role.TECHNICIAN)
    assert denied.value.status_code == 403
