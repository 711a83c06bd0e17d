"""Shared helpers and fixtures of the HaloPSA contract tests (bound into each test module)."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from connectors.halopsa import HaloClient
from evals.fakes import halopsa_payloads as hp
from tests.timing import FakeClock, FakeSleep

TOKEN = "eyJhbGciOi.halo-access.t0k3n"
TICKET_URL = f"{hp.API}/Tickets/4242"
ACTIONS_URL = f"{hp.API}/Actions"


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False, assert_all_mocked=True)


@pytest.fixture
def sleeper() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock, **cfg: Any) -> HaloClient:
    transport = httpx.MockTransport(router.async_handler)
    return HaloClient(hp.config(**cfg), transport=transport, sleep=sleeper, clock=clock, rng=random.Random(7))


@pytest.fixture
async def client(router: respx.MockRouter, sleeper: FakeSleep, clock: FakeClock) -> AsyncIterator[HaloClient]:
    router.post(hp.TOKEN_URL).respond(200, json=hp.token_response(TOKEN))
    client = make_client(router, sleeper, clock)
    yield client
    await client.aclose()


def api_calls(router: respx.MockRouter) -> list[tuple[str, str]]:
    return [(c.request.method, str(c.request.url)) for c in router.calls if "/api/" in c.request.url.path]


def token_calls(router: respx.MockRouter) -> list[httpx.Request]:
    return [c.request for c in router.calls if c.request.url.path == "/auth/token"]


def assert_bearer(request: httpx.Request, token: str = TOKEN) -> None:
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["Accept"] == "application/json"


def sent_json(router: respx.MockRouter) -> Any:
    return json.loads(router.calls.last.request.content)


def fields(record: Any, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in names)


TICKET = hp.ticket()
ACTIONS = [
    hp.action(1, note="Since this morning Outlook prompts me.", hidden=False, agent=None, outcome="Email"),
    hp.action(2, note="Checked MFA registration: fine.", agent=(hp.TECH_ID, hp.TECH_NAME)),
    hp.action(3, note="", agent=(hp.TECH_ID, hp.TECH_NAME), outcome="Status Change"),
]
