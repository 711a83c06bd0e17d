"""Shared fixtures and helpers of the Graph contract tests against FakeGraph (bound into each test module)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import respx
from kiota_http.middleware import retry_handler

from connectors.msgraph import GraphDirectory, new_graph_http
from evals.fakes import msgraph_payloads as gp
from evals.fakes.msgraph import FakeCredential, FakeGraph


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
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's RetryHandler sleeps through ``asyncio.sleep``: record the delays instead of waiting."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(retry_handler, "asyncio", SimpleNamespace(sleep=sleep))
    return delays


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


def sent(router: respx.MockRouter) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, query) of every request, path and query values percent-decoded."""
    calls = []
    for call in router.calls:
        url = urlsplit(str(call.request.url))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        calls.append((call.request.method, unquote(url.path), query))
    return calls


def assert_token(router: respx.MockRouter, credential_token: str) -> None:
    assert router.calls, "no request was made"
    for call in router.calls:
        assert call.request.headers["Authorization"] == f"Bearer {credential_token}"
