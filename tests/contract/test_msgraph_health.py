"""Tenant health (token, granted permissions, the app's Entra roles), onboarding helpers and configuration."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import respx
from azure.core.exceptions import ClientAuthenticationError
from pydantic import SecretStr, ValidationError

from connectors.msgraph import (
    GraphDirectory,
    MsGraphConfig,
    admin_consent_url,
    new_graph_http,
    tenant_id_for_domain,
)
from connectors.msgraph.mapping import jwt_claims, method_name, roles_claim
from connectors.msgraph.tenants import tenant_id_from_issuer
from core.errors import IntegrationError, ValidationFailed
from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph import FakeCredential, FakeGraph, mint_token

PEM = (
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
)


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def router(fake: FakeGraph) -> respx.MockRouter:
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.route(host=gp.GRAPH_HOST).mock(side_effect=fake.respond)
    router.route(host=gp.LOGIN_HOST).mock(side_effect=fake.respond)
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


def sent(router: respx.MockRouter) -> list[tuple[str, str, dict[str, str]]]:
    calls = []
    for call in router.calls:
        url = urlsplit(str(call.request.url))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        calls.append((call.request.method, f"{url.hostname}{unquote(url.path)}", query))
    return calls


# -- health --------------------------------------------------------------------------------------------


async def test_health_reports_granted_permissions_and_the_apps_entra_roles(
    connect: Callable[..., GraphDirectory], router: respx.MockRouter
) -> None:
    health = await connect(gp.TENANT_A).health()

    assert health.tenant_id == gp.TENANT_A and health.token_ok
    assert health.permissions == tuple(sorted(gp.FULL_PERMISSIONS))
    assert health.roles == ("Helpdesk Administrator",)
    assert health.detail == ""
    assert sent(router) == [
        (
            "GET",
            f"{gp.GRAPH_HOST}/v1.0/servicePrincipals(appId='{gp.CLIENT_ID}')",
            {"$select": "id,displayName"},
        ),
        ("GET", f"{gp.GRAPH_HOST}/v1.0/servicePrincipals/{gp.APP_SP_A}/memberOf", {}),
    ]
    token = FakeGraph().credential(gp.TENANT_A).token
    assert all(c.request.headers["Authorization"] == f"Bearer {token}" for c in router.calls)


async def test_health_of_a_read_only_tenant_without_roles(connect: Callable[..., GraphDirectory]) -> None:
    health = await connect(gp.TENANT_B).health()

    assert health.token_ok
    assert health.permissions == tuple(sorted(gp.READ_ONLY_PERMISSIONS))
    assert health.roles == ()


async def test_health_when_no_token_can_be_had(
    connect: Callable[..., GraphDirectory], router: respx.MockRouter
) -> None:
    error = ClientAuthenticationError(
        f"AADSTS7000215: Invalid client secret provided ({gp.CLIENT_SECRET}). Ensure the secret being sent "
        "is the client secret value."
    )
    health = await connect(gp.TENANT_A, FakeCredential(gp.TENANT_A, error=error)).health()

    assert not health.token_ok
    assert "AADSTS7000215" in health.detail
    assert gp.CLIENT_SECRET not in health.detail
    assert (health.permissions, health.roles) == ((), ())
    assert router.calls.call_count == 0


async def test_health_refuses_a_token_issued_for_another_tenant(
    connect: Callable[..., GraphDirectory], router: respx.MockRouter
) -> None:
    wrong = FakeCredential(gp.TENANT_B, roles=gp.FULL_PERMISSIONS)

    health = await connect(gp.TENANT_A, wrong).health()

    assert not health.token_ok
    assert gp.TENANT_B in health.detail
    assert router.calls.call_count == 0


async def test_health_without_consent_says_so(connect: Callable[..., GraphDirectory]) -> None:
    health = await connect(gp.TENANT_A, FakeCredential(gp.TENANT_A, roles=())).health()

    assert health.token_ok and health.permissions == () and health.roles == ()
    assert "admin consent" in health.detail
    assert "Could not read the app's Entra roles" in health.detail


async def test_health_when_roles_cannot_be_read(connect: Callable[..., GraphDirectory]) -> None:
    roles = ("User.Read.All", "AuditLog.Read.All")
    health = await connect(gp.TENANT_A, FakeCredential(gp.TENANT_A, roles=roles)).health()

    assert health.token_ok
    assert health.permissions == ("AuditLog.Read.All", "User.Read.All")
    assert health.roles == ()
    assert "Could not read the app's Entra roles" in health.detail
    assert "Application.Read.All" in health.detail


def test_roles_claim_is_read_from_the_unverified_jwt_payload() -> None:
    token = mint_token(gp.TENANT_A, ("User.Read.All", "AuditLog.Read.All"))

    claims = jwt_claims(token)

    assert claims["tid"] == gp.TENANT_A
    assert roles_claim(claims) == ("AuditLog.Read.All", "User.Read.All")
    assert jwt_claims("not-a-jwt") == {} and jwt_claims("a.!!!.c") == {}
    odd = base64.urlsafe_b64encode(json.dumps({"roles": "x"}).encode()).decode().rstrip("=")
    assert roles_claim(jwt_claims(f"h.{odd}.s")) == ()


def test_method_names_are_the_short_graph_type_names() -> None:
    assert (
        method_name("#microsoft.graph.microsoftAuthenticatorAuthenticationMethod") == "microsoftAuthenticator"
    )
    assert method_name("#microsoft.graph.fido2AuthenticationMethod") == "fido2"
    assert (
        method_name("#microsoft.graph.windowsHelloForBusinessAuthenticationMethod")
        == "windowsHelloForBusiness"
    )
    assert method_name("microsoftAuthenticator") is None and method_name(None) is None


# -- the directory object itself -----------------------------------------------------------------------


async def test_the_tenant_id_must_be_a_guid(fake: FakeGraph, http: httpx.AsyncClient) -> None:
    for tenant in ("contoso.com", "common", "../organizations", ""):
        with pytest.raises(ValidationFailed):
            GraphDirectory(gp.config(), tenant, http=http, credential=fake.credential(gp.TENANT_A))


async def test_a_credential_passed_in_stays_open_and_the_shared_client_too(
    fake: FakeGraph, connect: Callable[..., GraphDirectory], http: httpx.AsyncClient
) -> None:
    credential = fake.credential(gp.TENANT_A)
    directory = connect(gp.TENANT_A, credential)

    await directory.aclose()

    assert not credential.closed and not http.is_closed
    assert directory.tenant_id == gp.TENANT_A
    assert gp.CLIENT_SECRET not in repr(directory)


# -- onboarding ----------------------------------------------------------------------------------------


async def test_tenant_id_for_domain_reads_the_issuer(
    http: httpx.AsyncClient, router: respx.MockRouter
) -> None:
    assert await tenant_id_for_domain("Contoso.com", http=http) == gp.TENANT_A
    assert sent(router) == [("GET", f"{gp.LOGIN_HOST}/contoso.com/v2.0/.well-known/openid-configuration", {})]
    assert "Authorization" not in router.calls[0].request.headers


async def test_an_unknown_domain_is_a_404(http: httpx.AsyncClient) -> None:
    with pytest.raises(IntegrationError) as caught:
        await tenant_id_for_domain("nobody-here.example", http=http)
    assert caught.value.status == 404
    assert "nobody-here.example" in caught.value.detail


async def test_a_bad_domain_is_refused_before_any_request(
    http: httpx.AsyncClient, router: respx.MockRouter
) -> None:
    for domain in ("contoso", "contoso.com/../common", "con toso.com", "https://contoso.com"):
        with pytest.raises(ValidationFailed):
            await tenant_id_for_domain(domain, http=http)
    assert router.calls.call_count == 0


def test_tenant_id_from_either_issuer_form() -> None:
    assert tenant_id_from_issuer(f"https://login.microsoftonline.com/{gp.TENANT_A}/v2.0") == gp.TENANT_A
    assert tenant_id_from_issuer(f"https://sts.windows.net/{gp.TENANT_B.upper()}/") == gp.TENANT_B
    assert tenant_id_from_issuer("https://login.microsoftonline.com/common/v2.0") is None


def test_admin_consent_url() -> None:
    url = admin_consent_url(
        gp.config(), gp.TENANT_B, "https://deskhand.example.com/m365/consent", state="t-42"
    )

    assert url == (
        f"https://login.microsoftonline.com/{gp.TENANT_B}/adminconsent?client_id={gp.CLIENT_ID}"
        "&redirect_uri=https%3A%2F%2Fdeskhand.example.com%2Fm365%2Fconsent&state=t-42"
    )
    local = admin_consent_url(gp.config(), "fabrikam.com", "http://localhost:8080/cb")
    assert local.startswith("https://login.microsoftonline.com/fabrikam.com/adminconsent?client_id=")
    for bad in ("http://deskhand.example.com/cb", "javascript:alert(1)", "https://x.example/cb#frag"):
        with pytest.raises(ValidationFailed):
            admin_consent_url(gp.config(), gp.TENANT_B, bad)
    with pytest.raises(ValidationFailed):
        admin_consent_url(gp.config(), "../common", "https://deskhand.example.com/cb")


# -- configuration -------------------------------------------------------------------------------------


def test_config_needs_exactly_one_credential() -> None:
    with pytest.raises(ValidationError):
        MsGraphConfig(client_id=gp.CLIENT_ID)
    with pytest.raises(ValidationError):
        MsGraphConfig(
            client_id=gp.CLIENT_ID, client_secret=SecretStr("s3cret!"), certificate_pem=SecretStr(PEM)
        )
    with pytest.raises(ValidationError):  # a certificate without its private key cannot sign
        MsGraphConfig(
            client_id=gp.CLIENT_ID, certificate_pem=SecretStr("-----BEGIN CERTIFICATE-----\nMIIB\n")
        )
    by_cert = MsGraphConfig(
        client_id=gp.CLIENT_ID, certificate_pem=SecretStr(PEM), client_secret=SecretStr(" ")
    )
    assert by_cert.client_secret is None and by_cert.secret_values() == [PEM]


def test_config_normalises_and_hides_secrets() -> None:
    config = MsGraphConfig.model_validate(
        {
            "client_id": gp.CLIENT_ID.upper(),
            "client_secret": gp.CLIENT_SECRET,
            "authority_host": "login.microsoftonline.us/",
        }
    )

    assert config.client_id == gp.CLIENT_ID
    assert config.authority_host == "https://login.microsoftonline.us"
    assert gp.CLIENT_SECRET not in repr(config) and gp.CLIENT_SECRET not in str(config)
    schema = MsGraphConfig.model_json_schema()["properties"]
    assert schema["client_secret"]["sensitive"] is True and schema["certificate_pem"]["sensitive"] is True
    with pytest.raises(ValidationError):
        MsGraphConfig.model_validate({"client_id": gp.CLIENT_ID, "client_secret": "x", "own_identity": "me"})
    with pytest.raises(ValidationError):
        MsGraphConfig(client_id="deskhand-app", client_secret=SecretStr("x"))
    with pytest.raises(ValidationError):
        MsGraphConfig(
            client_id=gp.CLIENT_ID, client_secret=SecretStr("x"), authority_host="http://login.example"
        )
