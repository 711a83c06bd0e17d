"""Graph transport against the stateful FakeGraph: one token per tenant, throttling and the SDK's retries,
token and network failures.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from connectors.base import DirectoryConnector
from connectors.msgraph import GraphDirectory
from core.errors import IntegrationError
from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph import FakeCredential, FakeGraph
from tests.contract import msgraph_fixtures as fx

# The shared fixtures, bound here so that pytest finds them in this module.
fake, router, http, sleeps, connect, contoso = fx.fake, fx.router, fx.http, fx.sleeps, fx.connect, fx.contoso


# -- tenants, throttling, transport failures -----------------------------------------------------------------


async def test_two_tenants_in_one_process_never_share_tokens(
    fake: FakeGraph, http: httpx.AsyncClient, router: respx.MockRouter
) -> None:
    credential_a, credential_b = fake.credential(gp.TENANT_A), fake.credential(gp.TENANT_B)
    contoso = GraphDirectory(gp.config(), gp.TENANT_A, http=http, credential=credential_a)
    fabrikam = GraphDirectory(gp.config(), gp.TENANT_B, http=http, credential=credential_b)
    assert isinstance(contoso, DirectoryConnector)
    assert credential_a.token != credential_b.token

    await contoso.get_user(gp.ALICE)
    await fabrikam.get_user(gp.DANA)
    await contoso.list_groups()
    await fabrikam.list_groups()

    expected = {gp.TENANT_A: credential_a.token, gp.TENANT_B: credential_b.token}
    assert [r.tenant_id for r in fake.requests] == [gp.TENANT_A, gp.TENANT_B, gp.TENANT_A, gp.TENANT_B]
    for recorded in fake.requests:
        assert recorded.tenant_id is not None and recorded.token == expected[recorded.tenant_id]
    assert len(credential_a.scopes_requested) == 2 and len(credential_b.scopes_requested) == 2
    assert set(credential_a.scopes_requested) == {("https://graph.microsoft.com/.default",)}
    # Tenant B's directory cannot see tenant A's users: its token only opens tenant B.
    with pytest.raises(IntegrationError) as caught:
        await fabrikam.get_user(gp.ALICE)
    assert caught.value.status == 404


async def test_429_with_retry_after_zero_is_retried_then_succeeds(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter, sleeps: list[float]
) -> None:
    fake.throttle("GET", f"/users/{gp.ALICE}", status=429, retry_after="0")

    user = await contoso.get_user(gp.ALICE)

    assert user.id == gp.ALICE
    assert [c.response.status_code for c in router.calls] == [429, 200]
    assert router.calls[1].request.headers["Retry-Attempt"] == "1"
    assert router.calls[0].response.headers["Retry-After"] == "0"
    # Retry-After: 0 falls back to the SDK's backoff (3 s base delay + <= 1 s jitter + 0.25 s).
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 4.25


async def test_503_retry_after_seconds_are_honoured(
    fake: FakeGraph, contoso: GraphDirectory, sleeps: list[float]
) -> None:
    fake.throttle("GET", "/subscribedSkus", status=503, retry_after="7")

    assert len(await contoso.list_skus()) == 2
    assert sleeps == [7]


async def test_throttling_that_outlasts_the_retries_is_a_retryable_error(
    fake: FakeGraph, contoso: GraphDirectory, router: respx.MockRouter, sleeps: list[float]
) -> None:
    fake.throttle("GET", "/domains", status=429, retry_after="1", times=10)

    with pytest.raises(IntegrationError) as caught:
        await contoso.verified_domains()

    assert caught.value.status == 429 and caught.value.retryable
    assert "TooManyRequests" in caught.value.detail
    assert router.calls.call_count == 4 and sleeps == [1, 1, 1]  # the SDK's default: 3 retries


async def test_a_token_that_cannot_be_obtained_is_a_401_without_secrets(
    connect: Callable[..., GraphDirectory], router: respx.MockRouter
) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    failing = FakeCredential(
        gp.TENANT_A,
        error=ClientAuthenticationError(
            f"AADSTS7000215: Invalid client secret provided. Secret was {gp.CLIENT_SECRET}"
        ),
    )
    directory = connect(gp.TENANT_A, failing)

    with pytest.raises(IntegrationError) as caught:
        await directory.get_user(gp.ALICE)

    assert caught.value.status == 401
    assert "AADSTS7000215" in caught.value.detail
    assert gp.CLIENT_SECRET not in caught.value.detail
    assert router.calls.call_count == 0


async def test_network_failure_is_retryable(contoso: GraphDirectory, router: respx.MockRouter) -> None:
    router.routes.clear()
    router.route(host=gp.GRAPH_HOST).mock(side_effect=httpx.ConnectError("connection refused"))

    with pytest.raises(IntegrationError) as caught:
        await contoso.get_user(gp.ALICE)

    assert caught.value.status is None and caught.value.retryable
