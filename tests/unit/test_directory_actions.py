"""The Microsoft 365 tools on the sandbox directory: tenant binding, privileged guard, seats, secrets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from agent.tenant import available_actions, missing_permissions
from connectors.base import ActionContext, ActionResult, Risk
from connectors.catalogue import ALL_ACTIONS, DIRECTORY_ACTIONS
from connectors.sandbox import (
    TENANT_BY_COMPANY,
    SandboxConfig,
    SandboxDirectory,
    SandboxDirectoryStore,
    SandboxPsa,
)
from connectors.sandbox.directory import DEFAULT_PERMISSIONS
from core.directory import TenantHealth
from core.errors import ValidationFailed

LAW = TENANT_BY_COMPANY["251"]  # Whitmore & Lane: SPB 12/11, Partners distribution list
DENTAL = TENANT_BY_COMPANY["250"]  # Harbourside: Priya (reception@) locked out
CHARITY = TENANT_BY_COMPANY["253"]  # Riverbank: O365_BUSINESS_ESSENTIALS 10/10
ACTIONS = {a.name: a for a in ALL_ACTIONS}


@pytest.fixture
def store_name() -> str:
    return f"dir-{uuid.uuid4().hex[:10]}"


async def run(
    tenant: str, store: str, name: str, *, approved: bool = False, **args: Any
) -> tuple[ActionResult, SandboxDirectory]:
    directory = SandboxDirectory(tenant, store=store)
    psa = SandboxPsa(SandboxConfig(store=store))
    ticket = await psa.get_ticket("5004")
    action = ACTIONS[name]
    parsed: BaseModel = action.input_model.model_validate(args)
    ctx = ActionContext(psa=psa, ticket=ticket, directory=directory, approved=approved)
    return await action.handler(ctx, parsed), directory


async def test_create_user_holds_the_password_for_the_technician_only(store_name: str) -> None:
    result, _ = await run(
        LAW,
        store_name,
        "m365_create_user",
        given_name="Emily",
        surname="Clarke",
        username="eclarke",
        domain="whitmorelane.co.uk",
        usage_location="gb",
        job_title="Trainee Solicitor",
        manager="dlane@whitmorelane.co.uk",
    )
    assert result.ok and result.secret is not None
    password = result.secret.get_secret_value()
    assert len(password) == 16
    dumped = str(result.model_dump()) + result.summary + repr(result)
    assert password not in dumped and "secret" not in result.model_dump()
    store = SandboxDirectoryStore.named(store_name)
    assert store.password_matches(LAW, "eclarke@whitmorelane.co.uk", password)
    assert store.user(LAW, "eclarke@whitmorelane.co.uk").usage_location == "GB"


async def test_create_user_on_a_domain_the_tenant_does_not_own_is_refused(store_name: str) -> None:
    with pytest.raises(ValidationFailed, match="not a verified domain"):
        await run(
            LAW,
            store_name,
            "m365_create_user",
            given_name="Eve",
            surname="Mallory",
            username="eve",
            domain="harboursidedental.co.uk",  # another client's domain
            usage_location="GB",
        )


async def test_users_of_another_tenant_are_not_found(store_name: str) -> None:
    with pytest.raises(ValidationFailed, match="no user"):
        await run(LAW, store_name, "m365_user_details", user="sarah.okafor@harboursidedental.co.uk")


async def test_no_free_seat_is_refused_and_says_so(store_name: str) -> None:
    result, _ = await run(
        CHARITY,
        store_name,
        "m365_assign_license",
        user="ben.carter@riverbanktrust.org.uk",
        sku="O365_BUSINESS_ESSENTIALS",
    )
    assert not result.ok and "No free O365_BUSINESS_ESSENTIALS seat (10 of 10 used)" in result.summary


async def test_distribution_lists_are_reported_as_needing_exchange(store_name: str) -> None:
    result, _ = await run(
        LAW, store_name, "m365_add_to_group", user="mreid@whitmorelane.co.uk", group="Partners"
    )
    assert not result.ok and "Exchange" in result.summary and result.data["needs_exchange"] is True


async def test_group_membership_change_records_before_and_after(store_name: str) -> None:
    result, directory = await run(
        LAW, store_name, "m365_add_to_group", user="gholloway@whitmorelane.co.uk", group="Trainees"
    )
    assert result.ok and result.before is not None and result.before["member"] is False
    groups = (await directory.user_detail(result.before["user_id"])).groups
    assert "Trainees" in {g.display_name for g in groups}


async def test_admin_accounts_need_an_approved_call(store_name: str) -> None:
    admin = "admin@whitmorelane.onmicrosoft.com"
    with pytest.raises(ValidationFailed, match="Global Administrator"):
        await run(LAW, store_name, "m365_update_profile", user=admin, job_title="IT")
    result, _ = await run(LAW, store_name, "m365_update_profile", approved=True, user=admin, job_title="IT")
    assert result.ok and result.after == {"user_id": result.before["user_id"], "job_title": "IT"}  # type: ignore[index]


async def test_lockouts_are_flagged_in_sign_ins(store_name: str) -> None:
    result, _ = await run(
        DENTAL, store_name, "m365_recent_sign_ins", user="reception@harboursidedental.co.uk"
    )
    assert "locked out (50053)" in result.summary
    assert any(row["locked_out"] for row in result.data["sign_ins"])


async def test_offboarding_records_what_it_removed(store_name: str) -> None:
    user = "mreid@whitmorelane.co.uk"
    licences, directory = await run(LAW, store_name, "m365_remove_all_licenses", user=user)
    groups, _ = await run(LAW, store_name, "m365_remove_from_all_groups", user=user)
    disabled, _ = await run(LAW, store_name, "m365_disable_sign_in", user=user)
    assert licences.before is not None and licences.before["sku_ids"]
    assert groups.ok and groups.before is not None and groups.before["group_ids"]
    detail = await directory.user_detail(licences.before["user_id"])
    assert detail.licenses == () and detail.user.account_enabled is False
    assert disabled.after == {"user_id": licences.before["user_id"], "account_enabled": False}


async def test_reset_password_keeps_the_password_out_of_the_result(store_name: str) -> None:
    result, _ = await run(LAW, store_name, "m365_reset_password", user="abegum@whitmorelane.co.uk")
    assert result.ok and result.secret is not None
    assert result.secret.get_secret_value() not in str(result.model_dump(mode="json"))


async def test_license_recommendation(store_name: str) -> None:
    result, _ = await run(
        LAW, store_name, "m365_recommend_license", user="mreid@whitmorelane.co.uk", features=["email"]
    )
    assert result.ok and "already includes email" in result.data["reason"]


def test_tools_are_offered_only_with_a_tenant_and_the_permission_they_need() -> None:
    directory = SandboxDirectory(LAW, store="offer-test")
    full = TenantHealth(tenant_id=LAW, token_ok=True, permissions=tuple(DEFAULT_PERMISSIONS))
    no_audit = full.model_copy(
        update={"permissions": tuple(p for p in DEFAULT_PERMISSIONS if "AuditLog" not in p)}
    )
    assert set(available_actions(ALL_ACTIONS, directory=directory, health=full)) == set(ACTIONS)
    without_tenant = available_actions(ALL_ACTIONS, directory=None, health=None)
    assert not any(name.startswith("m365_") for name in without_tenant) and "get_ticket" in without_tenant
    limited = available_actions(ALL_ACTIONS, directory=directory, health=no_audit)
    assert "m365_recent_sign_ins" not in limited and "m365_find_user" in limited
    assert missing_permissions(ACTIONS["m365_recent_sign_ins"], no_audit) == ("AuditLog.Read.All",)
    broken = full.model_copy(update={"token_ok": False})
    assert not any(
        n.startswith("m365_") for n in available_actions(ALL_ACTIONS, directory=directory, health=broken)
    )


def test_destructive_tools_are_classed_destructive_and_every_directory_tool_names_its_permissions() -> None:
    destructive = {a.name for a in DIRECTORY_ACTIONS if a.risk is Risk.DESTRUCTIVE}
    assert destructive == {
        "m365_disable_sign_in",
        "m365_revoke_sessions",
        "m365_reset_password",
        "m365_remove_all_licenses",
        "m365_remove_from_all_groups",
    }
    assert all(a.requires for a in DIRECTORY_ACTIONS)
