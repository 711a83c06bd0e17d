"""Autotask limits: the hourly request budget, per-endpoint concurrency and 429 handling."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
import respx

from connectors.autotask import AutotaskClient
from connectors.autotask.limits import AutotaskLimits, HourlyBudget, endpoint_of
from core.errors import IntegrationError
from evals.fakes import autotask_payloads as at
from tests.contract import autotask_fixtures as fx
from tests.contract.autotask_fixtures import COMPANY_URL
from tests.timing import FakeClock, FakeSleep

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, limits = fx.router, fx.sleeper, fx.clock, fx.limits
make, client = fx.make, fx.client


# -- limits ---------------------------------------------------------------------------------------------


async def test_an_exhausted_hourly_budget_refuses_without_sending(
    make: Any, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(COMPANY_URL).respond(200, json=at.item(at.company()))
    first, second = make(hourly_request_limit=3), make(hourly_request_limit=3)  # same zone + user: one budget
    await first.get_company(str(at.COMPANY_ID))
    await second.get_company(str(at.COMPANY_ID))
    await first.get_company(str(at.COMPANY_ID))

    with pytest.raises(IntegrationError, match="hourly budget of 3 requests is used up") as caught:
        await second.get_company(str(at.COMPANY_ID))
    assert caught.value.retryable is True and route.call_count == 3
    clock.now += 3600
    await second.get_company(str(at.COMPANY_ID))
    assert route.call_count == 4


def test_the_hourly_budget_is_exact_under_threads() -> None:
    budget, granted = HourlyBudget(), list[int]()

    def spend() -> None:
        granted.extend(1 for _ in range(400) if budget.try_spend(10.0, 1000) is None)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 1000 and budget.used(10.0) == 1000
    assert budget.try_spend(3609.0, 1000) == pytest.approx(1.0) and budget.used(3610.0) == 0


async def test_never_more_than_three_requests_in_flight_per_endpoint(make: Any) -> None:
    in_flight: dict[str, int] = {"companies": 0, "contacts": 0}
    peak: dict[str, int] = {"companies": 0, "contacts": 0, "total": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_of(request.url.path)
        in_flight[endpoint] += 1
        peak[endpoint] = max(peak[endpoint], in_flight[endpoint])
        peak["total"] = max(peak["total"], sum(in_flight.values()))
        await asyncio.sleep(0.01)
        in_flight[endpoint] -= 1
        entity = at.company() if endpoint == "companies" else at.contact()
        return httpx.Response(200, json=at.item(entity))

    clients = [make(transport=httpx.MockTransport(slow)) for _ in range(2)]  # one tracking id, two clients
    calls = [c.get_company(str(at.COMPANY_ID)) for c in clients for _ in range(5)]
    calls += [clients[0].get_contact(str(at.CONTACT_ID)) for _ in range(5)]
    await asyncio.gather(*calls)

    assert peak["companies"] == peak["contacts"] == 3
    assert peak["total"] == 6  # the limit is per endpoint, not per client


def test_semaphores_belong_to_their_event_loop(limits: AutotaskLimits) -> None:
    async def grab() -> asyncio.Semaphore:
        semaphore = limits.semaphore(at.INTEGRATION_CODE, "tickets")
        async with semaphore:
            return semaphore

    first = asyncio.run(grab())
    second = asyncio.run(grab())
    assert first is not second
    assert endpoint_of("/ATServicesRest/V1.0/Tickets/4711/Notes") == "tickets"
    assert endpoint_of("/atservicesrest/v1.0/TicketNotes/query/next") == "ticketnotes"


async def test_429_honours_retry_after_and_each_attempt_is_counted(
    client: AutotaskClient,
    router: respx.MockRouter,
    sleeper: FakeSleep,
    limits: AutotaskLimits,
    clock: FakeClock,
) -> None:
    router.get(COMPANY_URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json=at.error("Too many requests")),
        httpx.Response(200, json=at.item(at.company())),
    ])  # fmt: skip
    company = await client.get_company(str(at.COMPANY_ID))
    assert company.name == at.COMPANY_NAME and sleeper.calls == [7.0]
    assert limits.budget(at.ZONE_URL, at.USERNAME).used(clock.now) == 2
