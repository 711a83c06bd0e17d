"""Sandbox Microsoft 365 directory writes: Graph-like refusals, and state visible through reads."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from connectors.sandbox import SandboxDirectoryStore
from core.directory import AutoReply, ProfileChanges
from core.errors import IntegrationError, ValidationFailed
from tests.unit import sandbox_directory_fixtures as fx
from tests.unit.sandbox_directory_fixtures import (
    BEN,
    BUSINESS_PREMIUM,
    BUSINESS_STANDARD,
    CHARITY,
    DENTAL,
    ESSENTIALS,
    GRACE,
    LAW,
    LAW_ADMIN,
    LUCY,
    PRIYA,
    STRONG_PASSWORD,
    DirectoryFor,
    new_user,
    refusal,
)

# The shared fixtures, bound here so that pytest finds them in this module.
store_name, directory_for = fx.store_name, fx.directory_for


# -- Writes -----------------------------------------------------------------------------------------------


async def test_new_starter_is_created_licensed_and_grouped(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    emily = await law.create_user(new_user("eclarke@whitmorelane.co.uk"))
    uuid.UUID(emily.id)
    assert (emily.account_enabled, emily.mail) == (True, None)  # no mailbox before an Exchange licence
    assert [u.id for u in await law.find_users("eclarke@whitmorelane.co.uk")] == [emily.id]

    await law.change_licenses(emily.id, add=[BUSINESS_PREMIUM], remove=[])
    team = (await law.list_groups("Conveyancing Team"))[0]
    await law.add_group_member(team.id, emily.id)

    detail = await law.user_detail(emily.id)
    assert [lic.sku_part_number for lic in detail.licenses] == ["SPB"]
    assert [g.display_name for g in detail.groups] == ["Conveyancing Department", "Conveyancing Team"]
    assert detail.user.mail == "eclarke@whitmorelane.co.uk"
    spb = next(s for s in await law.list_skus() if s.sku_id == BUSINESS_PREMIUM)
    assert (spb.consumed_units, spb.enabled_units) == (12, 12)
    record = law.store.user(law.tenant_id, emily.id)
    assert record.must_change_password and record.password_changed_at is not None


async def test_create_user_refuses_unverified_domains(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    for upn in ("emily@gmail.com", "emily@harboursidedental.co.uk", "no-at-sign"):
        assert "verified domain" in await refusal(400, law.create_user(new_user(upn)))
    assert await law.find_users("emily") == []


async def test_create_user_refuses_a_duplicate_upn(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    detail = await refusal(409, law.create_user(new_user("GHolloway@WhitmoreLane.co.uk")))
    assert "already exists" in detail
    assert len(await law.find_users("gholloway")) == 1


async def test_create_user_refuses_a_weak_password(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    detail = await refusal(400, law.create_user(new_user("eclarke@whitmorelane.co.uk", password="password")))
    assert "complexity" in detail
    await refusal(404, law.get_user("eclarke@whitmorelane.co.uk"))


async def test_no_free_seat_refuses_and_changes_nothing(directory_for: DirectoryFor) -> None:
    riverbank = directory_for(CHARITY)
    before = await riverbank.list_skus()
    detail = await refusal(400, riverbank.change_licenses(BEN, add=[ESSENTIALS], remove=[]))
    assert "no free seat" in detail and "10 of 10 used" in detail
    assert await riverbank.list_skus() == before
    assert [lic.sku_part_number for lic in (await riverbank.user_detail(BEN)).licenses] == [
        "O365_BUSINESS_PREMIUM"
    ]


async def test_freeing_a_seat_updates_consumed_counts(directory_for: DirectoryFor) -> None:
    riverbank = directory_for(CHARITY)

    async def essentials_used() -> int:
        return next(s.consumed_units for s in await riverbank.list_skus() if s.sku_id == ESSENTIALS)

    await riverbank.change_licenses(LUCY, add=[BUSINESS_STANDARD], remove=[ESSENTIALS])
    assert await essentials_used() == 9
    await riverbank.change_licenses(BEN, add=[ESSENTIALS], remove=[])
    assert await essentials_used() == 10
    assert [lic.sku_part_number for lic in (await riverbank.user_detail(LUCY)).licenses] == [
        "O365_BUSINESS_PREMIUM"
    ]


async def test_licences_need_a_usage_location(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    emily = await law.create_user(new_user("eclarke@whitmorelane.co.uk", usage_location=None))
    assert "usage location" in await refusal(
        400, law.change_licenses(emily.id, add=[BUSINESS_PREMIUM], remove=[])
    )
    await law.update_user(emily.id, ProfileChanges(usage_location="GB"))
    await law.change_licenses(emily.id, add=[BUSINESS_PREMIUM], remove=[])
    assert (await law.get_user(emily.id)).usage_location == "GB"


async def test_licence_changes_refuse_unknown_or_unheld_skus(directory_for: DirectoryFor) -> None:
    dental, riverbank = directory_for(DENTAL), directory_for(CHARITY)
    # Whitmore & Lane's Business Premium is not subscribed in Harbourside's tenant.
    assert "valid company License" in await refusal(
        400, dental.change_licenses(PRIYA, add=[BUSINESS_PREMIUM], remove=[])
    )
    assert "does not have a corresponding license" in await refusal(
        400, riverbank.change_licenses(BEN, add=[], remove=[ESSENTIALS])
    )
    with pytest.raises(ValidationFailed):
        await riverbank.change_licenses(BEN, add=[], remove=[])


async def test_the_last_seat_goes_to_exactly_one_of_two_concurrent_requests(
    directory_for: DirectoryFor,
) -> None:
    law = directory_for(LAW)
    first = await law.create_user(new_user("eclarke@whitmorelane.co.uk"))
    second = await law.create_user(new_user("jcole@whitmorelane.co.uk"))
    outcomes: list[str] = []

    def assign(user_id: str) -> None:
        try:
            asyncio.run(directory_for(LAW).change_licenses(user_id, add=[BUSINESS_PREMIUM], remove=[]))
            outcomes.append("assigned")
        except IntegrationError:
            outcomes.append("refused")

    threads = [threading.Thread(target=assign, args=(u.id,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["assigned", "refused"]
    spb = next(s for s in await law.list_skus() if s.sku_id == BUSINESS_PREMIUM)
    assert spb.consumed_units == spb.enabled_units == 12


async def test_group_membership_changes_are_visible(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    team = (await law.list_groups("Conveyancing Team"))[0]
    await law.add_group_member(team.id, GRACE)
    assert "Conveyancing Team" in [g.display_name for g in (await law.user_detail(GRACE)).groups]
    assert "already" in await refusal(400, law.add_group_member(team.id, GRACE))

    await law.remove_group_member(team.id, GRACE)
    assert "Conveyancing Team" not in [g.display_name for g in (await law.user_detail(GRACE)).groups]
    await refusal(404, law.remove_group_member(team.id, GRACE))


@pytest.mark.parametrize("group_name", ["Partners", "Accounts Approvers"])
async def test_exchange_managed_groups_are_refused(directory_for: DirectoryFor, group_name: str) -> None:
    law = directory_for(LAW)
    group = (await law.list_groups(group_name))[0]
    assert group.kind.exchange_managed
    assert "Exchange Online" in await refusal(400, law.add_group_member(group.id, GRACE))
    assert "Exchange Online" in await refusal(
        400, law.remove_group_member(group.id, "ewhitmore@whitmorelane.co.uk")
    )


async def test_dynamic_groups_follow_their_rule_and_refuse_changes(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    dynamic = (await law.list_groups("Conveyancing Department"))[0]
    assert dynamic.dynamic
    assert "dynamic membership" in await refusal(400, law.add_group_member(dynamic.id, GRACE))
    assert "dynamic membership" in await refusal(
        400, law.remove_group_member(dynamic.id, "mreid@whitmorelane.co.uk")
    )

    await law.update_user(GRACE, ProfileChanges(department="Conveyancing"))
    assert "Conveyancing Department" in [g.display_name for g in (await law.user_detail(GRACE)).groups]
    await law.set_account_enabled(GRACE, False)
    assert "Conveyancing Department" not in [g.display_name for g in (await law.user_detail(GRACE)).groups]


async def test_update_user_changes_profile_and_manager(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    await law.update_user(
        GRACE, ProfileChanges(job_title="Practice Manager", manager_id="dlane@whitmorelane.co.uk")
    )
    detail = await law.user_detail(GRACE)
    assert detail.user.job_title == "Practice Manager"
    assert detail.manager == "Daniel Lane (dlane@whitmorelane.co.uk)"

    await refusal(404, law.update_user(GRACE, ProfileChanges(manager_id=PRIYA)))
    await refusal(400, law.update_user(GRACE, ProfileChanges(manager_id=GRACE)))
    await refusal(400, law.update_user(GRACE, ProfileChanges(usage_location="Britain")))
    with pytest.raises(ValidationFailed):
        await law.update_user(GRACE, ProfileChanges())


async def test_leaver_actions_record_state(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    marcus = "mreid@whitmorelane.co.uk"
    await law.set_account_enabled(marcus, False)
    await law.revoke_sessions(marcus)
    reply = AutoReply(
        enabled=True, internal_message="Marcus has left.", external_message="Please email dlane@."
    )
    await law.set_auto_reply(marcus, reply)

    assert (await law.get_user(marcus)).account_enabled is False
    assert await law.get_auto_reply(marcus) == reply
    record = law.store.user(law.tenant_id, marcus)
    assert record.sessions_revoked_at is not None and record.account_enabled_changed_at is not None
    bad_audience = AutoReply(enabled=True, external_audience="everyone")
    assert "externalAudience" in await refusal(400, law.set_auto_reply(marcus, bad_audience))


async def test_seeded_leaver_has_an_auto_reply(directory_for: DirectoryFor) -> None:
    reply = await directory_for(LAW).get_auto_reply("pfoster@whitmorelane.co.uk")
    assert reply.enabled and "Daniel Lane" in reply.external_message


async def test_reset_password_records_state_and_closes_user_risk(directory_for: DirectoryFor) -> None:
    riverbank = directory_for(CHARITY)
    await riverbank.reset_password(BEN, SecretStr(STRONG_PASSWORD), force_change=True)

    record = riverbank.store.user(riverbank.tenant_id, BEN)
    assert record.must_change_password and record.password_changed_at is not None
    assert riverbank.store.password_matches(riverbank.tenant_id, BEN, STRONG_PASSWORD)
    (risk,) = await riverbank.risky_users()
    assert (risk.risk_state, risk.risk_detail) == ("remediated", "adminGeneratedTemporaryPassword")
    assert "complexity" in await refusal(
        400, riverbank.reset_password(BEN, SecretStr("abc"), force_change=True)
    )


async def test_privileged_targets_need_a_privileged_app_role(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    detail = await refusal(403, law.reset_password(LAW_ADMIN, SecretStr(STRONG_PASSWORD), force_change=True))
    assert "Global Administrator" in detail and "Privileged Authentication Administrator" in detail
    await refusal(403, law.set_account_enabled(LAW_ADMIN, False))
    assert (await law.get_user(LAW_ADMIN)).account_enabled is True

    privileged = directory_for(LAW, roles=["Privileged Authentication Administrator"])
    await privileged.reset_password(LAW_ADMIN, SecretStr(STRONG_PASSWORD), force_change=False)
    assert law.store.password_matches(law.tenant_id, LAW_ADMIN, STRONG_PASSWORD)


async def test_password_reset_needs_an_entra_role_on_the_app(directory_for: DirectoryFor) -> None:
    no_role = directory_for(LAW, roles=())
    assert "Entra role" in await refusal(
        403, no_role.reset_password(GRACE, SecretStr(STRONG_PASSWORD), force_change=True)
    )
    assert (await no_role.health()).roles == ()


async def test_passwords_are_never_stored_in_clear(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    created_with, reset_to = "Created-Password-73!", "Reset-Password-91?"
    emily = await law.create_user(new_user("eclarke@whitmorelane.co.uk", password=created_with))
    await law.reset_password(GRACE, SecretStr(reset_to), force_change=True)

    found = list(_stored_text(law.store))
    hashes = {law.store.user(law.tenant_id, u).password_hash for u in (emily.id, GRACE)}
    assert hashes <= set(found) and None not in hashes  # the walk does reach the records
    for secret in (created_with, reset_to):
        assert not any(secret in text for text in found if isinstance(text, str))
        assert not any(secret.encode() in text for text in found if isinstance(text, bytes))
    assert law.store.password_matches(law.tenant_id, emily.id, created_with)
    assert not law.store.password_matches(law.tenant_id, emily.id, reset_to)


def _stored_text(value: Any, seen: set[int] | None = None) -> Iterator[str | bytes]:
    """Every string and bytes value reachable from ``value`` (a SecretStr counts as its secret)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str | bytes):
        yield value
    elif isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        yield from _stored_text(dict(value), seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _stored_text(getattr(value, field.name), seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _stored_text(key, seen)
            yield from _stored_text(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _stored_text(item, seen)
    elif isinstance(value, SandboxDirectoryStore):
        yield from _stored_text({k: v for k, v in vars(value).items() if k not in ("lock", "clock")}, seen)
