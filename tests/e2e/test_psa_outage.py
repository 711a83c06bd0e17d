"""A PSA outage never loses an event: the run retries, fails visibly past its budget, and can be retried."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.fakes import halopsa_payloads as hp
from evals.fakes.halopsa import FakeHalo
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import halo_kit


async def test_halo_down_then_back_fails_visibly_and_a_retry_succeeds(tmp_path: Path) -> None:
    fake = FakeHalo()
    fake.add_ticket(4242, summary="Outlook keeps asking for my password")
    outage = {"down": True, "refused": 0}

    def flaky(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if outage["down"] and "/api/Tickets/4242" in url:
            outage["refused"] += 1
            return 503, {"message": "Service Unavailable"}
        return fake.handle(method, url, headers, body)

    kit = replace(halo_kit(fake), handle=flaky)
    llm = ScriptedLLM(matcher=match_by_keyword("password"), agent=agent_sets_status("With User"))
    settings = make_settings(tmp_path, None, step_max_attempts=2)
    async with running_stack(settings, llm, kit=kit) as stack:
        await stack.create_workflow(
            title="Password prompts", trigger="The user is asked for their password.", instructions="Triage."
        )
        await stack.set_policy("set_ticket_status", "auto")
        response = await stack.deliver_event(hp.ticket_event(ticket_body=fake.tickets[4242]))
        event_id = response.json()["event_id"]
        failed = await stack.wait_for_event(event_id, timeout=60)
        writes_during_outage = [r for r in fake.writes() if r.path.startswith("/api/")]
        outage["down"] = False
        retry = await stack.api.post(f"/api/v1/activity/events/{event_id}/retry", headers=stack.auth)
        recovered = await stack.wait_for_event(event_id, attempt=2, timeout=60)

    assert response.status_code == 202  # stored before any PSA call, so the outage cannot lose it
    assert failed["status"] == "failed"
    assert "HaloPSA GET /Tickets/4242 failed with HTTP 503" in failed["error"], failed["error"]
    assert outage["refused"] >= 2 * 3  # both step attempts, each with the client's own resends
    assert retry.status_code == 202
    assert recovered["status"] == "succeeded"
    assert writes_during_outage == []  # nothing half-done on the ticket
    assert fake.tickets[4242]["status_id"] == 4  # "With User", set by the retried run
