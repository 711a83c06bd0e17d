"""Graph writes against the stateful FakeGraph: the exact method, path, token and JSON body of each write,
and what Graph answers when it refuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.msgraph import GraphDirectory, new_graph_http
from core.directory import AutoReply, NewUser, ProfileChanges
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph import FakeCredential, FakeGraph

USER_TYPE = {"@odata.type": "#microsoft.graph.user"}  # what msgraph-sdk puts in every User body
NEW_PASSWORD = "Spring-Lake-4821!"


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def router(fake: FakeGraph) -> respx.MockRouter:
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.route(host=gp.GRAPH_HOST).mock(side_effect=fake.respond)
    return router


@pytest.fixture
async def http(router: respx.MockRouter) -> AsyncIterator[httpx.AsyncClient]:
    client = new_graph_http(transport=httpx.MockTransport(router.handler))
    yield client
    await client.aclose()


@pytest.fixture
def connect(fake: FakeGraph, http: httpx.AsyncClient) -> Callable[..., GraphDirectory]:
    def build(tenant_id: str = gp.TENANT_A, credential: FakeCredential | None = None) -> GraphDirectory:
        return GraphDirectory(
            gp.config(), tenant_id, http=http, credential=credential or fake.credential(tenant_id)
        )

    return build


@pytest.fixture
def contoso(connect: Callable[..., GraphDirectory]) -> GraphDirectory:
    return connect(gp.TENANT_A)


def writes(router: respx.MockRouter) -> list[tuple[str, str, Any]]:
    """(method, decoded path, JSON body) of every request that is not a GET, checking its token."""
    token = f"Bearer {FakeGraph().credential(gp.TENANT_A).token}"
    found = []
    for call in router.calls:
        request = call.request
        assert request.headers["Authorization"] == token
        if request.method != "GET":
            body = json.loads(request.content) if request.content else None
            if body is not None:
                assert request.headers["Content-Type"] == "application/json"
            found.append((request.method, unquote(urlsplit(str(request.url)).path), body))
    return found


def draft(**overrides: Any) -> NewUser:
    values: dict[str, Any] = {
        "user_principal_name": "jamie.fox@contoso.com",
        "display_name": "Jamie Fox",
        "mail_nickname": "jamie.fox",
        "password": SecretStr("Welcome-Harbour-93!"),
        "given_name": "Jamie",
        "surname": "Fox",
        "job_title": "Analyst",
        "department": "Finance",
        "usage_location": "us",
    }
    values.update(overrides)
    return NewUser(**values)


# -- users --------------------------------------------------------------------------------------------


async def test_create_user_posts_the_documented_body(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    created = await contoso.create_user(draft())

    assert created.user_principal_name == "jamie.fox@contoso.com"
    assert (created.display_name, created.job_title, created.usage_location) == ("Jamie Fox", "Analyst", "US")
    assert writes(router) == [
        (
            "POST",
            "/v1.0/users",
            {
                **USER_TYPE,
                "accountEnabled": True,
                "displayName": "Jamie Fox",
                "mailNickname": "jamie.fox",
                "userPrincipalName": "jamie.fox@contoso.com",
                "passwordProfile": {"password": "Welcome-Harbour-93!", "forceChangePasswordNextSignIn": True},
                "usageLocation": "US",
                "jobTitle": "Analyst",
                "department": "Finance",
                "givenName": "Jamie",
                "surname": "Fox",
            },
        )
    ]
    assert fake.tenant(gp.TENANT_A).users[created.id]["userPrincipalName"] == "jamie.fox@contoso.com"


async def test_create_user_leaves_out_what_the_draft_does_not_set(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.create_user(
        NewUser(
            user_principal_name="kim@contoso.com",
            display_name="Kim",
            mail_nickname="kim",
            password=SecretStr("Welcome-Harbour-93!"),
            force_change_password=False,
        )
    )

    assert writes(router)[0][2] == {
        **USER_TYPE,
        "accountEnabled": True,
        "displayName": "Kim",
        "mailNickname": "kim",
        "userPrincipalName": "kim@contoso.com",
        "passwordProfile": {"password": "Welcome-Harbour-93!", "forceChangePasswordNextSignIn": False},
    }


async def test_conflicting_upn_is_a_409_that_says_so(contoso: GraphDirectory) -> None:
    with pytest.raises(IntegrationError) as caught:
        await contoso.create_user(draft(user_principal_name="alice.smith@contoso.com"))

    assert caught.value.status == 409 and not caught.value.retryable
    assert "a user with that UPN already exists" in caught.value.detail
    assert "Welcome-Harbour-93!" not in caught.value.detail


async def test_a_upn_on_an_unverified_domain_passes_on_graphs_reason(contoso: GraphDirectory) -> None:
    with pytest.raises(IntegrationError) as caught:
        await contoso.create_user(draft(user_principal_name="jamie@contoso-old.com"))

    assert caught.value.status == 400
    assert "verified domain names" in caught.value.detail


@pytest.mark.parametrize(
    "overrides",
    [
        {"user_principal_name": "jamie fox@contoso.com"},
        {"user_principal_name": "jamie"},
        {"mail_nickname": "jamie fox"},
        {"usage_location": "USA"},
        {"display_name": "  "},
        {"password": SecretStr("")},
    ],
)
async def test_create_user_refuses_a_bad_draft_before_any_request(
    contoso: GraphDirectory, router: respx.MockRouter, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed):
        await contoso.create_user(draft(**overrides))
    assert router.calls.call_count == 0


async def test_update_user_patches_changed_fields_then_sets_the_manager(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.update_user(
        gp.CAROL, ProfileChanges(job_title="Team Lead", mobile_phone="+1 206 555 0199", manager_id=gp.BOB)
    )

    assert writes(router) == [
        (
            "PATCH",
            f"/v1.0/users/{gp.CAROL}",
            {**USER_TYPE, "jobTitle": "Team Lead", "mobilePhone": "+1 206 555 0199"},
        ),
        ("PUT", f"/v1.0/users/{gp.CAROL}/manager/$ref", {"@odata.id": f"{gp.GRAPH}/users/{gp.BOB}"}),
    ]
    assert fake.tenant(gp.TENANT_A).managers[gp.CAROL] == gp.BOB


async def test_a_manager_given_by_upn_is_resolved_to_its_object_id(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.update_user(gp.CAROL, ProfileChanges(manager_id="alice.smith@contoso.com"))

    assert [(c.request.method, unquote(c.request.url.path)) for c in router.calls] == [
        ("GET", "/v1.0/users/alice.smith@contoso.com"),
        ("PUT", f"/v1.0/users/{gp.CAROL}/manager/$ref"),
    ]
    assert writes(router)[0][2] == {"@odata.id": f"{gp.GRAPH}/users/{gp.ALICE}"}


async def test_update_user_without_changes_sends_nothing(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.update_user(gp.CAROL, ProfileChanges())
    assert router.calls.call_count == 0


async def test_update_user_refuses_a_bad_manager_before_changing_anything(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    with pytest.raises(ValidationFailed):
        await contoso.update_user(gp.CAROL, ProfileChanges(job_title="x", manager_id="../users"))
    assert router.calls.call_count == 0


@pytest.mark.parametrize("enabled", [False, True])
async def test_set_account_enabled(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter, enabled: bool
) -> None:
    await contoso.set_account_enabled("carol.white@contoso.com", enabled)

    assert writes(router) == [
        ("PATCH", "/v1.0/users/carol.white@contoso.com", {**USER_TYPE, "accountEnabled": enabled})
    ]
    assert fake.tenant(gp.TENANT_A).users[gp.CAROL]["accountEnabled"] is enabled


async def test_revoke_sessions_posts_without_a_body(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.revoke_sessions(gp.CAROL)

    assert writes(router) == [("POST", f"/v1.0/users/{gp.CAROL}/revokeSignInSessions", None)]
    assert fake.tenant(gp.TENANT_A).revoked == [gp.CAROL]


async def test_reset_password_patches_the_password_profile(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.reset_password(gp.CAROL, SecretStr(NEW_PASSWORD), force_change=True)

    profile = {"password": NEW_PASSWORD, "forceChangePasswordNextSignIn": True}
    assert writes(router) == [("PATCH", f"/v1.0/users/{gp.CAROL}", {**USER_TYPE, "passwordProfile": profile})]
    assert fake.tenant(gp.TENANT_A).passwords[gp.CAROL] == profile


async def test_reset_password_without_an_entra_role_names_what_is_missing(
    fake: FakeGraph, contoso: GraphDirectory
) -> None:
    fake.tenant(gp.TENANT_A).role_members[gp.ROLE_HELPDESK_ADMIN] = []

    with pytest.raises(IntegrationError) as caught:
        await contoso.reset_password(gp.CAROL, SecretStr(NEW_PASSWORD), force_change=True)

    assert caught.value.status == 403
    assert "Authorization_RequestDenied" in caught.value.detail
    assert "User-PasswordProfile.ReadWrite.All" in caught.value.detail
    assert "Helpdesk" in caught.value.detail
    assert NEW_PASSWORD not in caught.value.detail


async def test_resetting_an_admins_password_needs_a_privileged_role(contoso: GraphDirectory) -> None:
    with pytest.raises(IntegrationError) as caught:  # Bob is a User Administrator; the app only Helpdesk
        await contoso.reset_password(gp.BOB, SecretStr(NEW_PASSWORD), force_change=True)
    assert caught.value.status == 403
    assert "Privileged Authentication Administrator" in caught.value.detail


async def test_a_missing_write_permission_is_a_403_naming_it(connect: Callable[..., GraphDirectory]) -> None:
    fabrikam = connect(gp.TENANT_B)  # consented read-only

    with pytest.raises(IntegrationError) as caught:
        await fabrikam.revoke_sessions(gp.DANA)

    assert caught.value.status == 403 and not caught.value.retryable
    assert "Authorization_RequestDenied" in caught.value.detail
    assert "User.RevokeSessions.All" in caught.value.detail


# -- licences ------------------------------------------------------------------------------------------


async def test_change_licenses_posts_assign_license(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.change_licenses(
        gp.SEAN, add=[gp.SKU_BUSINESS_PREMIUM.upper()], remove=[gp.SKU_EXCHANGE_STANDARD]
    )

    assert writes(router) == [
        (
            "POST",
            f"/v1.0/users/{gp.SEAN}/assignLicense",
            {
                "addLicenses": [{"skuId": gp.SKU_BUSINESS_PREMIUM, "disabledPlans": []}],
                "removeLicenses": [gp.SKU_EXCHANGE_STANDARD],
            },
        )
    ]
    held = fake.tenant(gp.TENANT_A).users[gp.SEAN]["assignedLicenses"]
    assert held == [{"disabledPlans": [], "skuId": gp.SKU_BUSINESS_PREMIUM}]


async def test_a_licence_needs_a_usage_location(contoso: GraphDirectory) -> None:
    with pytest.raises(IntegrationError) as caught:
        await contoso.change_licenses(gp.SCANNER, add=[gp.SKU_BUSINESS_PREMIUM], remove=[])
    assert caught.value.status == 400
    assert "invalid usage location" in caught.value.detail


@pytest.mark.parametrize(
    ("add", "remove"),
    [([], []), (["E3"], []), ([gp.SKU_BUSINESS_PREMIUM], [gp.SKU_BUSINESS_PREMIUM])],
)
async def test_change_licenses_refuses_bad_sku_lists_before_any_request(
    contoso: GraphDirectory, router: respx.MockRouter, add: list[str], remove: list[str]
) -> None:
    with pytest.raises(ValidationFailed):
        await contoso.change_licenses(gp.SEAN, add=add, remove=remove)
    assert router.calls.call_count == 0


# -- groups --------------------------------------------------------------------------------------------


async def test_add_group_member_posts_a_directory_object_reference(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.add_group_member(gp.VPN_USERS, "carol.white@contoso.com")

    assert writes(router) == [
        (
            "POST",
            f"/v1.0/groups/{gp.VPN_USERS}/members/$ref",
            {"@odata.id": f"{gp.GRAPH}/directoryObjects/{gp.CAROL}"},
        )
    ]
    assert gp.CAROL in fake.tenant(gp.TENANT_A).members[gp.VPN_USERS]


async def test_adding_an_existing_member_is_not_an_error(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.add_group_member(gp.VPN_USERS, gp.BOB)  # Graph answers 400 "already exist"
    assert [r.response.status_code for r in router.calls if r.request.method == "POST"] == [400]


@pytest.mark.parametrize(
    ("group", "reason"), [(gp.SALES_DL, "Exchange Online"), (gp.ALL_USERS_DYNAMIC, "dynamic")]
)
async def test_exchange_managed_and_dynamic_groups_are_refused_without_a_write(
    contoso: GraphDirectory, router: respx.MockRouter, group: str, reason: str
) -> None:
    with pytest.raises(IntegrationError) as caught:
        await contoso.add_group_member(group, gp.CAROL)
    assert reason in caught.value.detail
    with pytest.raises(IntegrationError):
        await contoso.remove_group_member(group, gp.SEAN)
    assert writes(router) == []


async def test_remove_group_member_deletes_the_reference(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.remove_group_member(gp.FINANCE, gp.ALICE)

    assert writes(router) == [("DELETE", f"/v1.0/groups/{gp.FINANCE}/members/{gp.ALICE}/$ref", None)]
    assert fake.tenant(gp.TENANT_A).members[gp.FINANCE] == []


async def test_removing_a_non_member_is_not_an_error(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    await contoso.remove_group_member(gp.FINANCE, gp.CAROL)
    assert [r.response.status_code for r in router.calls if r.request.method == "DELETE"] == [404]


async def test_group_membership_refuses_bad_ids_before_any_request(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    for group, user in (("Finance", gp.ALICE), (gp.FINANCE, "alice"), (f"{gp.FINANCE}/owners", gp.ALICE)):
        with pytest.raises(ValidationFailed):
            await contoso.add_group_member(group, user)
        with pytest.raises(ValidationFailed):
            await contoso.remove_group_member(group, user)
    assert router.calls.call_count == 0


# -- automatic replies ---------------------------------------------------------------------------------


async def test_set_and_get_auto_reply(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    reply = AutoReply(
        enabled=True,
        internal_message="<p>Out until Monday.</p>",
        external_message="<p>Out of office.</p>",
        external_audience="contactsOnly",
    )

    await contoso.set_auto_reply(gp.ALICE, reply)
    assert await contoso.get_auto_reply(gp.ALICE) == reply

    assert writes(router) == [
        (
            "PATCH",
            f"/v1.0/users/{gp.ALICE}/mailboxSettings",
            {
                "automaticRepliesSetting": {
                    "status": "alwaysEnabled",
                    "internalReplyMessage": "<p>Out until Monday.</p>",
                    "externalReplyMessage": "<p>Out of office.</p>",
                    "externalAudience": "contactsOnly",
                }
            },
        )
    ]
    stored = fake.tenant(gp.TENANT_A).mailboxes[gp.ALICE]["automaticRepliesSetting"]
    assert stored["status"] == "alwaysEnabled"


async def test_turning_auto_reply_off(contoso: GraphDirectory, router: respx.MockRouter) -> None:
    await contoso.set_auto_reply(gp.ALICE, AutoReply(enabled=False))

    body = writes(router)[0][2]
    assert body == {
        "automaticRepliesSetting": {
            "status": "disabled",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
            "externalAudience": "all",
        }
    }


async def test_scheduled_auto_reply_reads_as_enabled(fake: FakeGraph, contoso: GraphDirectory) -> None:
    fake.tenant(gp.TENANT_A).mailboxes[gp.BOB]["automaticRepliesSetting"] = gp.automatic_replies(
        "scheduled", internal="Back on the 8th", audience="none"
    )

    reply = await contoso.get_auto_reply(gp.BOB)

    assert (reply.enabled, reply.internal_message, reply.external_audience) == (
        True,
        "Back on the 8th",
        "none",
    )


async def test_a_user_without_a_mailbox_gets_a_clear_message(contoso: GraphDirectory) -> None:
    with pytest.raises(IntegrationError) as caught:
        await contoso.get_auto_reply(gp.SCANNER)
    assert caught.value.status == 404
    assert "MailboxNotEnabledForRESTAPI" in caught.value.detail
    assert "no Exchange Online mailbox" in caught.value.detail


async def test_an_unknown_external_audience_is_refused_before_any_request(
    contoso: GraphDirectory, router: respx.MockRouter
) -> None:
    with pytest.raises(ValidationFailed):
        await contoso.set_auto_reply(gp.ALICE, AutoReply(enabled=True, external_audience="everyone"))
    assert router.calls.call_count == 0
