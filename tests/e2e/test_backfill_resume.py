"""A backfill interrupted by a PSA outage resumes from its saved cursor and indexes nothing twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.backfill import progress, start_backfill
from agent.runtime import get_runtime
from evals.fakes import halopsa_payloads as hp
from evals.fakes.halopsa import FakeHalo
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import halo_kit

CLOSED_TICKETS = 130  # two pages of Halo's 100


async def settle(backfill_id: int) -> str:
    for _ in range(1200):
        state = await progress(backfill_id)
        if state.status != "running":
            return state.status
        await asyncio.sleep(0.05)
    raise AssertionError("backfill did not settle")


async def test_backfill_resumes_after_an_outage_on_page_two(tmp_path: Path) -> None:
    fake = FakeHalo()
    for number in range(1, CLOSED_TICKETS + 1):
        fake.add_ticket(
            5000 + number,
            summary=f"Outlook profile corrupt on PC{number:03d}",
            status=hp.CLOSED_STATUS,
            dateclosed=f"2026-02-{1 + number % 27:02d}T09:{number % 60:02d}:00.0000000Z",
        )
    outage = {"down": False, "page_requests": []}

    def flaky(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if "closed_only=true" in url:
            outage["page_requests"].append(url)
            if outage["down"] and "page_no=2" in url:
                return 503, {"message": "Service Unavailable"}
        return fake.handle(method, url, headers, body)

    kit = replace(halo_kit(fake), handle=flaky)
    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    settings = make_settings(tmp_path, None, llm=False, step_max_attempts=2)
    async with running_stack(settings, llm, kit=kit) as stack:
        outage["down"] = True
        backfill_id = await start_backfill(stack.integration_id, datetime(2026, 1, 1, tzinfo=UTC))
        failed_status = await settle(backfill_id)
        failed = await progress(backfill_id)
        outage["down"] = False
        resumed_id = await start_backfill(stack.integration_id, datetime(2026, 1, 1, tzinfo=UTC))
        resumed_status = await settle(resumed_id)
        resumed = await progress(resumed_id)
        index = get_runtime().ticket_index
        assert index is not None
        total = await index.count()

    assert failed_status == "failed" and "503" in (failed.error or "")
    assert failed.pages == 1 and failed.indexed == 100  # page one was kept
    assert resumed_id == backfill_id and resumed_status == "succeeded"
    assert resumed.pages == 2 and resumed.indexed == CLOSED_TICKETS and resumed.unchanged == 0
    assert total == CLOSED_TICKETS
    first_pages = [url for url in outage["page_requests"] if "page_no=1" in url]
    assert len(first_pages) == 1  # the resumed run did not read page one again
