"""Graph reads against the stateful FakeGraph (respx at https://graph.microsoft.com/v1.0).

Every test asserts what went on the wire: method, path, $filter/$select/$top and the bearer token of the
tenant the connector is bound to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import respx

from connectors.msgraph import GraphDirectory
from connectors.msgraph.mapping import rank_users
from core.directory import DirectoryUser, GroupKind, LicenseRef
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph import FakeCredential, FakeGraph
from tests.contract import msgraph_fixtures as fx
from tests.contract.msgraph_fixtures import assert_token, sent

# The shared fixtures, bound here so that pytest finds them in this module.
fake, router, http, connect, contoso = fx.fake, fx.router, fx.http, fx.connect, fx.contoso

USER_SELECT = (
    "id,userPrincipalName,displayName,mail,accountEnabled,jobTitle,department,officeLocation,mobilePhone,"
    "usageLocation,userType"
)
GROUP_SELECT = "id,displayName,mail,groupTypes,mailEnabled,securityEnabled,membershipRule"


# -- users --------------------------------------------------------------------------------------------


async def test_find_users_sends_prefix_filter_select_and_top(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    found = await contoso.find_users("alice", limit=5)

    assert [u.user_principal_name for u in found] == ["alice.smith@contoso.com"]
    assert found[0] == DirectoryUser(
        id=gp.ALICE,
        user_principal_name="alice.smith@contoso.com",
        display_name="Alice Smith",
        mail="alice.smith@contoso.com",
        account_enabled=True,
        job_title="Accountant",
        department="Finance",
        office_location="Seattle",
        mobile_phone="+1 206 555 0101",
        usage_location="US",
        user_type="Member",
    )
    assert sent(router) == [
        (
            "GET",
            "/v1.0/users",
            {
                "$filter": "startswith(displayName,'alice') or startswith(userPrincipalName,'alice') "
                "or startswith(mail,'alice')",
                "$select": USER_SELECT,
                "$top": "5",
            },
        )
    ]
    assert_token(router, FakeGraph().credential(gp.TENANT_A).token)


async def test_find_users_doubles_single_quotes_in_the_odata_literal(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    found = await contoso.find_users("O'Brien")

    assert [u.id for u in found] == [gp.SEAN]
    raw_query = urlsplit(str(router.calls[0].request.url)).query
    assert "%27O%27%27Brien%27" in raw_query  # 'O''Brien', percent-encoded
    assert sent(router)[0][2]["$filter"].startswith("startswith(displayName,'O''Brien')")


async def test_fake_graph_refuses_an_unescaped_quote_as_graph_does(fake: FakeGraph) -> None:
    token = fake.credential(gp.TENANT_A).token
    status, body = fake.handle(
        "GET",
        f"{gp.GRAPH}/users?$filter=startswith(displayName,'O'Brien')",
        {"Authorization": f"Bearer {token}"},
        b"",
    )
    assert status == 400 and body["error"]["code"] == "BadRequest"


async def test_find_users_puts_the_exact_upn_first(fake: FakeGraph, contoso: GraphDirectory) -> None:
    users = fake.tenant(gp.TENANT_A).users
    first = gp.user("0a000000-0000-4000-8000-0000000000a1", "ann@contoso.community", "Ann (community)")
    exact = gp.user(
        "0a000000-0000-4000-8000-0000000000a2", "ann@contoso.com", "Ann Lee", mail="ann@contoso.com"
    )
    users[first["id"]], users[exact["id"]] = first, exact

    found = await contoso.find_users("ann@contoso.com")

    assert [u.user_principal_name for u in found] == ["ann@contoso.com", "ann@contoso.community"]


def test_rank_users_keeps_graph_order_after_exact_matches() -> None:
    def user(upn: str, mail: str | None = None) -> DirectoryUser:
        return DirectoryUser(id=upn, user_principal_name=upn, display_name=upn, mail=mail)

    ranked = rank_users([user("b@x.com"), user("a@x.com.au"), user("z@x.com", mail="A@X.COM")], "a@x.com")
    assert [u.id for u in ranked] == ["z@x.com", "b@x.com", "a@x.com.au"]


async def test_get_user_by_upn_selects_profile_fields(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    user = await contoso.get_user("Bob.Jones@contoso.com")

    assert (user.id, user.job_title) == (gp.BOB, "IT Manager")
    assert sent(router) == [("GET", "/v1.0/users/Bob.Jones@contoso.com", {"$select": USER_SELECT})]
    assert router.calls[0].request.url.raw_path.startswith(b"/v1.0/users/Bob.Jones%40contoso.com?")


async def test_unknown_user_is_a_404_integration_error(contoso: GraphDirectory) -> None:
    with pytest.raises(IntegrationError) as caught:
        await contoso.get_user("nobody@contoso.com")

    assert caught.value.status == 404
    assert not caught.value.retryable
    assert "Request_ResourceNotFound" in caught.value.detail
    assert "nobody@contoso.com" in caught.value.detail


BAD_USER_REFS = [
    "../groups",
    "alice",
    "alice smith@contoso.com",
    "alice@contoso",
    "",
    "x' or 1 eq 1",
    f"{gp.ALICE}/memberOf",
    "alice@contoso.com?$select=passwordProfile",
    "a@b.com/../../groups",
]


@pytest.mark.parametrize("ref", BAD_USER_REFS)
async def test_ids_that_are_neither_guid_nor_upn_are_refused_before_any_request(
    contoso: GraphDirectory, router: respx.MockRouter, ref: str
) -> None:
    for call in (contoso.get_user, contoso.user_detail, contoso.sign_ins):
        with pytest.raises(ValidationFailed):
            await call(ref)
    with pytest.raises(ValidationFailed):
        await contoso.get_group(ref)
    assert router.calls.call_count == 0


async def test_user_detail_reads_licences_groups_roles_manager_sign_in_and_methods(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    detail = await contoso.user_detail("alice.smith@contoso.com")

    assert detail.user.id == gp.ALICE
    assert detail.licenses == (LicenseRef(sku_id=gp.SKU_BUSINESS_PREMIUM, sku_part_number="SPB"),)
    assert [(g.display_name, g.kind, g.dynamic) for g in detail.groups] == [
        ("Finance", GroupKind.SECURITY, False),
        ("All Staff", GroupKind.MICROSOFT_365, False),
        ("All Users", GroupKind.SECURITY, True),
    ]
    assert detail.roles == ()
    assert detail.manager == "Bob Jones (bob.jones@contoso.com)"
    assert detail.last_sign_in == datetime(2026, 3, 2, 8, 14, tzinfo=UTC)
    assert detail.mfa_methods == ("microsoftAuthenticator", "phone")  # the password is not MFA
    assert sent(router) == [
        ("GET", "/v1.0/users/alice.smith@contoso.com", {"$select": f"{USER_SELECT},assignedLicenses"}),
        (
            "GET",
            "/v1.0/subscribedSkus",
            {"$select": "skuId,skuPartNumber,prepaidUnits,consumedUnits,servicePlans"},
        ),
        ("GET", f"/v1.0/users/{gp.ALICE}/memberOf", {}),
        ("GET", f"/v1.0/users/{gp.ALICE}/manager", {"$select": "id,displayName,userPrincipalName"}),
        # signInActivity is only readable through the object id, never the UPN
        ("GET", f"/v1.0/users/{gp.ALICE}", {"$select": "id,signInActivity"}),
        ("GET", f"/v1.0/users/{gp.ALICE}/authentication/methods", {}),
    ]


async def test_user_detail_lists_directory_roles_and_follows_member_of_pages(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    fake.page_size = 1

    detail = await contoso.user_detail(gp.BOB)

    assert detail.roles == ("User Administrator",)
    assert {g.display_name for g in detail.groups} == {"All Staff", "All Users", "VPN Users"}
    member_of = [q for (_, path, q) in sent(router) if path.endswith("/memberOf")]
    assert member_of == [{}, {"$skiptoken": "1"}, {"$skiptoken": "2"}, {"$skiptoken": "3"}]
    assert detail.manager is None  # Graph answers 404 for "no manager"


@pytest.mark.parametrize("without", ["permission", "licence"])
async def test_last_sign_in_is_none_when_not_permitted_not_an_error(
    fake: FakeGraph, connect: Callable[..., GraphDirectory], without: str
) -> None:
    roles = gp.FULL_PERMISSIONS
    if without == "permission":
        roles = tuple(r for r in roles if r != "AuditLog.Read.All")
    else:
        fake.tenant(gp.TENANT_A).premium = False
    directory = connect(gp.TENANT_A, FakeCredential(gp.TENANT_A, roles=roles))

    detail = await directory.user_detail(gp.ALICE)

    assert detail.last_sign_in is None
    assert detail.manager == "Bob Jones (bob.jones@contoso.com)"


async def test_user_detail_fails_loudly_when_methods_cannot_be_read(
    connect: Callable[..., GraphDirectory],
) -> None:
    # An empty method list would read as "no MFA registered": a missing permission must not look like that.
    fabrikam = connect(gp.TENANT_B)

    with pytest.raises(IntegrationError) as caught:
        await fabrikam.user_detail(gp.DANA)

    assert caught.value.status == 403
    assert "UserAuthenticationMethod.Read.All" in caught.value.detail


# -- licences, groups ------------------------------------------------------------------------------------


async def test_list_skus_maps_units_and_service_plans(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    skus = await contoso.list_skus()

    premium, exchange = skus
    assert (premium.sku_id, premium.sku_part_number, premium.enabled_units, premium.consumed_units) == (
        gp.SKU_BUSINESS_PREMIUM,
        "SPB",
        25,
        3,
    )
    assert premium.available == 22 and "INTUNE_A" in premium.service_plans
    assert exchange.available == 0
    assert sent(router)[0][2] == {"$select": "skuId,skuPartNumber,prepaidUnits,consumedUnits,servicePlans"}


async def test_list_groups_maps_kinds_and_dynamic_membership(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    groups = {g.display_name: g for g in await contoso.list_groups(limit=10)}

    assert groups["Finance"].kind is GroupKind.SECURITY and not groups["Finance"].dynamic
    assert groups["All Staff"].kind is GroupKind.MICROSOFT_365
    assert groups["Sales"].kind is GroupKind.DISTRIBUTION and groups["Sales"].kind.exchange_managed
    assert groups["All Users"].dynamic
    assert sent(router) == [("GET", "/v1.0/groups", {"$select": GROUP_SELECT, "$top": "10"})]


async def test_list_groups_by_name_prefix(contoso: GraphDirectory, router: respx.MockRouter) -> None:
    groups = await contoso.list_groups("vpn")

    assert [g.id for g in groups] == [gp.VPN_USERS]
    assert sent(router)[0][2]["$filter"] == "startswith(displayName,'vpn')"


async def test_get_group(contoso: GraphDirectory, router: respx.MockRouter) -> None:
    group = await contoso.get_group(gp.ALL_STAFF.upper())

    assert (group.display_name, group.mail) == ("All Staff", "allstaff@contoso.com")
    assert sent(router) == [("GET", f"/v1.0/groups/{gp.ALL_STAFF}", {"$select": GROUP_SELECT})]


# -- security ------------------------------------------------------------------------------------------


async def test_sign_ins_filter_by_user_id_newest_first(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    sign_ins = await contoso.sign_ins(gp.CAROL, limit=2)

    assert [s.error_code for s in sign_ins] == [50126, 50053]
    locked = sign_ins[1]
    assert locked.locked_out and not locked.succeeded
    assert (locked.location, locked.app, locked.risk_level, locked.ip_address) == (
        "Lagos, NG",
        "Office 365 Exchange Online",
        "medium",
        "203.0.113.24",
    )
    assert locked.failure_reason is not None and "locked" in locked.failure_reason
    assert sent(router) == [
        ("GET", "/v1.0/auditLogs/signIns", {"$filter": f"userId eq '{gp.CAROL}'", "$top": "2"})
    ]


async def test_sign_ins_by_upn_filter_on_user_principal_name(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    sign_ins = await contoso.sign_ins("alice.smith@contoso.com")

    assert len(sign_ins) == 1 and sign_ins[0].succeeded
    assert sent(router)[0][2]["$filter"] == "userPrincipalName eq 'alice.smith@contoso.com'"


async def test_sign_ins_in_a_tenant_without_p1_say_so(
    fake: FakeGraph, connect: Callable[..., GraphDirectory]
) -> None:
    fake.tenant(gp.TENANT_B).granted = (*gp.READ_ONLY_PERMISSIONS, "AuditLog.Read.All")
    fabrikam = connect(gp.TENANT_B)

    with pytest.raises(IntegrationError) as caught:
        await fabrikam.sign_ins(gp.DANA)

    assert caught.value.status == 403 and not caught.value.retryable
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in caught.value.detail
    assert "no Microsoft Entra ID P1/P2 licence" in caught.value.detail


async def test_403_names_the_missing_permission_where_graph_says_it(
    connect: Callable[..., GraphDirectory],
) -> None:
    fabrikam = connect(gp.TENANT_B)  # consented read-only: no AuditLog.Read.All

    with pytest.raises(IntegrationError) as caught:
        await fabrikam.sign_ins(gp.DANA)

    assert caught.value.status == 403
    assert "Authentication_MSGraphPermissionMissing" in caught.value.detail
    assert "does not have required MSGraph permissions AuditLog.Read.All" in caught.value.detail


async def test_risky_users(contoso: GraphDirectory, router: respx.MockRouter) -> None:
    risky = await contoso.risky_users(limit=5)

    assert [(r.user_id, r.risk_level, r.risk_state) for r in risky] == [(gp.CAROL, "high", "atRisk")]
    assert risky[0].updated_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert sent(router) == [("GET", "/v1.0/identityProtection/riskyUsers", {"$top": "5"})]


async def test_verified_domains_leave_out_unverified_ones(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    assert await contoso.verified_domains() == ["contoso.com", "contoso.onmicrosoft.com"]
    assert sent(router) == [("GET", "/v1.0/domains", {"$select": "id,isVerified"})]
