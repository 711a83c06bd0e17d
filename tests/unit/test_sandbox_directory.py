"""The sandbox Microsoft 365 directory: seeded tenants, reads, permissions, health and shared stores.

Writes are in ``test_sandbox_directory_writes``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base import DirectoryConnector
from connectors.sandbox import TENANT_BY_COMPANY, SandboxDirectory, SandboxDirectoryStore, seed
from connectors.sandbox.directory import DEFAULT_PERMISSIONS, REQUIRED_PERMISSIONS
from connectors.sandbox.directory_seed import TENANTS
from core.directory import GroupKind, ProfileChanges
from core.errors import ValidationFailed
from tests.unit import sandbox_directory_fixtures as fx
from tests.unit.sandbox_directory_fixtures import (
    ARCHITECTS,
    BEN,
    BUSINESS_STANDARD,
    CHARITY,
    DENTAL,
    ESSENTIALS,
    GRACE,
    LAW,
    LUCY,
    PRIYA,
    STRONG_PASSWORD,
    DirectoryFor,
    new_user,
    refusal,
)

# The shared fixtures, bound here so that pytest finds them in this module.
store_name, directory_for = fx.store_name, fx.directory_for


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
