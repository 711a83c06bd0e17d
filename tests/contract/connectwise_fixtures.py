"""Shared helpers and fixtures of the ConnectWise capability tests (bound into each test module).

Most tests run the client against the stateful ``FakeConnectWise`` (mounted with respx) and assert the
requests it recorded; retries and paging edge cases use plain respx routes (``raw_router``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from connectors.connectwise import ConnectWiseClient
from connectors.connectwise.mapping import map_ticket
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise, Recorded
from tests.timing import FakeClock

SAMPLES = Path(__file__).parents[2].parent / "shared" / "psa-samples" / "connectwise"
SPEC_PATH = SAMPLES / "openapi-subset-2026.4-get-only.json"
WRITE_SHAPES_PATH = SAMPLES / "write-shapes.derived.json"
WEBHOOK_URL = "https://deskhand.example.com/webhooks/connectwise/7"
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def fake() -> FakeConnectWise:
    fake = FakeConnectWise()
    fake.add_ticket(4711)
    return fake


@pytest.fixture
def router(fake: FakeConnectWise) -> respx.MockRouter:
    def respond(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = fake.handle(request.method, str(request.url), headers, request.content)
        return httpx.Response(status, json=payload)

    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.route(host=cw.CLOUD_HOST).mock(side_effect=respond)
    return router


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[ConnectWiseClient]:
    client = ConnectWiseClient(
        cw.config(), transport=httpx.MockTransport(router.handler), sleep=no_sleep, clock=FakeClock()
    )
    yield client
    await client.aclose()


@pytest.fixture
def raw_router() -> respx.MockRouter:
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.get(f"{cw.ORIGIN}/login/companyinfo/{cw.COMPANY_ID}").respond(200, json=cw.company_info())
    return router


@pytest.fixture
async def raw_client(raw_router: respx.MockRouter) -> AsyncIterator[ConnectWiseClient]:
    client = ConnectWiseClient(
        cw.config(), transport=httpx.MockTransport(raw_router.handler), sleep=no_sleep, clock=FakeClock()
    )
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"ConnectWise OpenAPI subset not present at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())["components"]["schemas"]  # type: ignore[no-any-return]


def api_calls(fake: FakeConnectWise) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path under /apis/3.0, query) of every authenticated API request, companyinfo left out."""
    calls = []
    for recorded in fake.requests:
        if "/apis/3.0" in recorded.path:
            query = {k: v[-1] for k, v in parse_qs(recorded.query).items()}
            calls.append((recorded.method, recorded.path.split("/apis/3.0", 1)[1], query))
    return calls


def assert_authenticated(recorded: Recorded) -> None:
    token = base64.b64encode(f"{cw.COMPANY_ID}+{cw.PUBLIC_KEY}:{cw.PRIVATE_KEY}".encode()).decode()
    assert recorded.headers["authorization"] == f"Basic {token}"
    assert recorded.headers["clientid"] == cw.CLIENT_ID
    assert recorded.headers["accept"] == "application/json"


def ticket_4711(fake: FakeConnectWise) -> Any:
    return map_ticket(fake.tickets[4711], [])
