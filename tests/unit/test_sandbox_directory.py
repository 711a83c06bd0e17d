"""The sandbox Microsoft 365 directory: seeded tenants, Graph-like refusals, state visible through reads."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from connectors.base import DirectoryConnector
from connectors.sandbox import TENANT_BY_COMPANY, SandboxDirectory, SandboxDirectoryStore, seed
from connectors.sandbox.directory import DEFAULT_PERMISSIONS, REQUIRED_PERMISSIONS
from connectors.sandbox.directory_seed import SKU_ID_BY_PART_NUMBER, TENANTS
from core.directory import AutoReply, GroupKind, NewUser, ProfileChanges
from core.errors import IntegrationError, ValidationFailed

DENTAL, LAW, ARCHITECTS, CHARITY = seed.DENTAL, seed.LAW, seed.ARCHITECTS, seed.CHARITY
ESSENTIALS = SKU_ID_BY_PART_NUMBER["O365_BUSINESS_ESSENTIALS"]
BUSINESS_STANDARD = SKU_ID_BY_PART_NUMBER["O365_BUSINESS_PREMIUM"]
BUSINESS_PREMIUM = SKU_ID_BY_PART_NUMBER["SPB"]
PRIYA = "reception@harboursidedental.co.uk"
BEN = "ben.carter@riverbanktrust.org.uk"
LUCY = "lucy.evans@riverbanktrust.org.uk"
GRACE = "gholloway@whitmorelane.co.uk"
LAW_ADMIN = "admin@whitmorelane.onmicrosoft.com"
STRONG_PASSWORD = "Harbour-Lights-2041!"

DirectoryFor = Callable[..., SandboxDirectory]


@pytest.fixture
def store_name() -> str:
    # A fresh store per test: stores are process-wide by name.
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def directory_for(store_name: str) -> DirectoryFor:
    def build(company_id: str, **options: Any) -> SandboxDirectory:
        return SandboxDirectory(TENANT_BY_COMPANY[company_id], store=store_name, **options)

    return build


def new_user(upn: str, *, password: str = STRONG_PASSWORD, usage_location: str | None = "GB") -> NewUser:
    local = upn.split("@")[0]
    return NewUser(
        user_principal_name=upn,
        display_name=local.replace(".", " ").title(),
        mail_nickname=local,
        password=SecretStr(password),
        department="Conveyancing",
        usage_location=usage_location,
    )


async def refusal(status: int, call: Any) -> str:
    with pytest.raises(IntegrationError) as caught:
        await call
    assert caught.value.status == status, caught.value.detail
    return caught.value.detail


# -- Seed -------------------------------------------------------------------------------------------------


def test_it_is_a_directory_connector(directory_for: DirectoryFor) -> None:
    assert isinstance(directory_for(DENTAL), DirectoryConnector)


def test_every_sandbox_company_has_its_own_tenant() -> None:
    assert set(TENANT_BY_COMPANY) == {c.id for c in seed.COMPANIES}
    assert len({uuid.UUID(t) for t in TENANT_BY_COMPANY.values()}) == 4


@pytest.mark.parametrize("company", seed.COMPANIES, ids=lambda c: c.identifier)
async def test_each_tenant_mirrors_its_psa_company(directory_for: DirectoryFor, company: Any) -> None:
    directory = directory_for(company.id)
    domains = await directory.verified_domains()
    assert domains[0] == company.domain
    assert domains[1].endswith(".onmicrosoft.com")

    for contact in (c for c in seed.CONTACTS if c.company_id == company.id):
        user = await directory.get_user(contact.email)
        assert (user.display_name, user.job_title, user.mail) == (contact.name, contact.title, contact.email)
        assert user.account_enabled is not contact.inactive  # only Riverbank's Sam Patel has left

    admin = await directory.user_detail(f"admin@{domains[1]}")
    assert admin.roles == ("Global Administrator",)
    groups = await directory.list_groups()
    assert {g.kind for g in groups} >= {GroupKind.SECURITY, GroupKind.MICROSOFT_365, GroupKind.DISTRIBUTION}
    assert any(g.dynamic for g in groups)
    assert len(await directory.risky_users()) == 1


def test_seeded_seat_counts_cover_the_modelled_users() -> None:
    for tenant in TENANTS:
        for sku in tenant.skus:
            holders = sum(1 for u in tenant.users if sku.part_number in u.licenses)
            assert holders <= sku.consumed_units <= sku.enabled_units, (tenant.display_name, sku.part_number)
        assert sum(1 for u in tenant.users if not u.enabled) == 1, tenant.display_name


async def test_seeded_highlights(directory_for: DirectoryFor) -> None:
    riverbank = directory_for(CHARITY)
    essentials = next(
        s for s in await riverbank.list_skus() if s.sku_part_number == "O365_BUSINESS_ESSENTIALS"
    )
    assert (essentials.enabled_units, essentials.consumed_units, essentials.available) == (10, 10, 0)
    assert "EXCHANGE_S_STANDARD" in essentials.service_plans

    (ben_risk,) = await riverbank.risky_users()
    assert (ben_risk.user_principal_name, ben_risk.risk_level, ben_risk.risk_state) == (BEN, "high", "atRisk")
    abroad = [s for s in await riverbank.sign_ins(BEN) if s.location and not s.location.endswith(", GB")]
    assert abroad and all(s.succeeded and s.risk_level == "high" for s in abroad)

    northlight_skus = {s.sku_part_number for s in await directory_for(ARCHITECTS).list_skus()}
    assert "SPE_E3" in northlight_skus


# -- Reads ------------------------------------------------------------------------------------------------


async def test_get_user_by_id_or_upn_in_any_case(directory_for: DirectoryFor) -> None:
    directory = directory_for(DENTAL)
    by_upn = await directory.get_user("Reception@HarboursideDental.co.uk")
    assert by_upn.display_name == "Priya Nair"
    assert await directory.get_user(by_upn.id.upper()) == by_upn


async def test_unknown_user_or_group_is_404(directory_for: DirectoryFor) -> None:
    directory = directory_for(DENTAL)
    assert "does not exist" in await refusal(404, directory.get_user("nobody@harboursidedental.co.uk"))
    await refusal(404, directory.user_detail(str(uuid.uuid4())))
    await refusal(404, directory.get_group(str(uuid.uuid4())))
    with pytest.raises(ValidationFailed):
        await directory.get_user("  ")


async def test_objects_of_another_tenant_are_404(directory_for: DirectoryFor) -> None:
    dental, law = directory_for(DENTAL), directory_for(LAW)
    priya = await dental.get_user(PRIYA)
    imaging = (await dental.list_groups("SG-Imaging"))[0]
    conveyancing = (await law.list_groups("Conveyancing Team"))[0]

    await refusal(404, law.get_user(priya.id))
    await refusal(404, law.get_user(PRIYA))
    await refusal(404, law.reset_password(priya.id, SecretStr(STRONG_PASSWORD), force_change=True))
    await refusal(404, law.get_group(imaging.id))
    await refusal(404, law.add_group_member(conveyancing.id, priya.id))
    await refusal(404, law.add_group_member(imaging.id, GRACE))


async def test_find_users_exact_address_then_name_prefixes(directory_for: DirectoryFor) -> None:
    dental = directory_for(DENTAL)
    assert [u.display_name for u in await dental.find_users(PRIYA.upper())] == ["Priya Nair"]
    assert [u.display_name for u in await dental.find_users("harbourside")] == [
        "Harbourside Admin (MSP)",
        "Harbourside Appointments",
    ]
    assert [u.display_name for u in await dental.find_users("Whitf")] == ["James Whitfield"]  # surname
    assert [u.display_name for u in await dental.find_users("tom.b")] == ["Tom Bradley"]  # UPN
    assert len(await dental.find_users("harbourside", limit=1)) == 1
    with pytest.raises(ValidationFailed):
        await dental.find_users(" ")


async def test_an_exact_address_match_comes_before_name_matches(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    # Old shared mailboxes are often named after their address; this one sorts before "Whitmore & Lane ...".
    old = new_user("reception.old@whitmorelane.co.uk").model_copy(
        update={"display_name": "reception@whitmorelane.co.uk (old)"}
    )
    await law.create_user(old)
    found = await law.find_users("reception@whitmorelane.co.uk")
    assert [u.display_name for u in found] == [
        "Whitmore & Lane Reception",
        "reception@whitmorelane.co.uk (old)",
    ]


async def test_user_detail_shows_licences_groups_manager_and_mfa(directory_for: DirectoryFor) -> None:
    detail = await directory_for(DENTAL).user_detail(PRIYA)
    assert [(lic.sku_id, lic.sku_part_number) for lic in detail.licenses] == [
        (BUSINESS_STANDARD, "O365_BUSINESS_PREMIUM")
    ]
    assert [g.display_name for g in detail.groups] == ["Harbourside Team"]
    assert detail.manager == "Sarah Okafor (sarah.okafor@harboursidedental.co.uk)"
    assert detail.mfa_methods == ("phone",)
    assert detail.roles == ()
    assert detail.last_sign_in is not None


async def test_sign_ins_are_newest_first_with_the_lockout_series(directory_for: DirectoryFor) -> None:
    attempts = await directory_for(DENTAL).sign_ins(PRIYA, limit=7)
    assert len(attempts) == 7
    times = [a.created_at for a in attempts if a.created_at]
    assert times == sorted(times, reverse=True)
    assert [a.error_code for a in attempts] == [50053] * 3 + [50126] * 3 + [0]
    assert attempts[0].locked_out and not attempts[3].locked_out and attempts[6].succeeded


async def test_list_groups_by_word_or_mail_prefix(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    assert [g.display_name for g in await law.list_groups("conv")] == [
        "Conveyancing Department",
        "Conveyancing Team",
    ]
    assert [g.display_name for g in await law.list_groups("team")] == ["Conveyancing Team"]
    assert [g.display_name for g in await law.list_groups("partners@")] == ["Partners"]
    assert len(await law.list_groups(limit=2)) == 2


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


# -- Permissions, health, sharing -------------------------------------------------------------------------


async def test_health_reports_the_granted_permissions_and_roles(directory_for: DirectoryFor) -> None:
    health = await directory_for(DENTAL).health()
    assert health.token_ok and health.tenant_id == TENANT_BY_COMPANY[DENTAL]
    assert health.permissions == DEFAULT_PERMISSIONS and "User.ReadWrite.All" in health.permissions
    assert health.roles == ("User Administrator",)

    narrow = await directory_for(
        DENTAL, permissions=["User.Read.All"], roles=["Helpdesk Administrator"]
    ).health()
    assert (narrow.permissions, narrow.roles) == (("User.Read.All",), ("Helpdesk Administrator",))


async def test_a_missing_grant_is_403_naming_the_permission(directory_for: DirectoryFor) -> None:
    read_only = directory_for(CHARITY, permissions=["User.Read.All"])
    assert (await read_only.get_user(BEN)).display_name == "Ben Carter"
    detail = await refusal(403, read_only.sign_ins(BEN))
    assert "Authorization_RequestDenied" in detail and "needs AuditLog.Read.All" in detail
    detail = await refusal(403, read_only.change_licenses(LUCY, add=[], remove=[ESSENTIALS]))
    assert "needs LicenseAssignment.ReadWrite.All" in detail
    assert (await read_only.user_detail(LUCY)).licenses  # unchanged
    # Without the audit and authentication-method grants those parts of the detail stay empty.
    partial = await read_only.user_detail(BEN)
    assert (partial.mfa_methods, partial.last_sign_in) == ((), None)


def test_every_protocol_method_has_a_permission_rule() -> None:
    methods = {
        name
        for name in dir(DirectoryConnector)
        if not name.startswith("_") and name not in ("tenant_id", "health", "aclose")
    }
    assert methods == set(REQUIRED_PERMISSIONS)
    for method, grants in REQUIRED_PERMISSIONS.items():
        assert set(grants) & set(DEFAULT_PERMISSIONS), method


async def test_unknown_tenant_fails_like_a_token_request(store_name: str) -> None:
    lost = SandboxDirectory(str(uuid.uuid4()), store=store_name)
    assert (await lost.health()).token_ok is False
    assert "AADSTS90002" in await refusal(400, lost.get_user(PRIYA))


async def test_instances_with_the_same_store_share_state(
    directory_for: DirectoryFor, store_name: str
) -> None:
    writer, reader = directory_for(LAW), directory_for(LAW)
    other = SandboxDirectory(TENANT_BY_COMPANY[LAW], store=f"{store_name}-other")
    await writer.update_user(GRACE, ProfileChanges(job_title="Operations Director"))

    assert writer.store is reader.store is SandboxDirectoryStore.named(store_name)
    assert (await reader.get_user(GRACE)).job_title == "Operations Director"
    assert (await other.get_user(GRACE)).job_title == "Office Manager"

    SandboxDirectoryStore.reset(store_name)
    assert (await reader.get_user(GRACE)).job_title == "Office Manager"
    assert writer.store.calls == ["get_user"]


async def test_every_call_is_recorded(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    await law.find_users("grace")
    await refusal(404, law.get_user("nobody@whitmorelane.co.uk"))
    await law.revoke_sessions(GRACE)
    await law.health()
    assert law.store.calls == ["find_users", "get_user", "revoke_sessions", "health"]


async def test_a_sign_in_added_now_is_read_first(directory_for: DirectoryFor) -> None:
    law = directory_for(LAW)
    law.store.add_sign_in(law.tenant_id, GRACE, error_code=50053, app="Windows Sign In")
    latest = (await law.sign_ins(GRACE, limit=1))[0]
    assert latest.locked_out and latest.app == "Windows Sign In"
