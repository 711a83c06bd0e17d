"""The model provider failing: transient errors are retried with backoff; a lasting outage fails visibly."""

from __future__ import annotations

from pathlib import Path

from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import Stack, make_settings, running_stack


def _llm(failures: list[int]) -> ScriptedLLM:
    return ScriptedLLM(
        matcher=match_by_keyword("vpn"), agent=agent_sets_status("In Progress"), failures=list(failures)
    )


async def _deliver_vpn_ticket(stack: Stack, ticket_id: int) -> int:
    """A VPN workflow that may change status on its own, and one signed callback for the ticket."""
    await stack.create_workflow(title="VPN", trigger="VPN connection problems", instructions="Check the VPN.")
    await stack.set_policy("set_ticket_status", "auto")
    response = await stack.deliver(stack.ticket_callback(ticket_id, message_id=f"outage-{ticket_id}"))
    return int(response.json()["event_id"])


async def test_provider_500s_then_recovers_and_the_run_succeeds(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(601, summary="VPN drops every hour")
    llm = _llm([500, 503])
    settings = make_settings(tmp_path, None, step_max_attempts=4, step_retry_interval_seconds=0.05)
    async with running_stack(settings, llm, fake_cw) as stack:
        done = await stack.wait_for_event(await _deliver_vpn_ticket(stack, 601))
    assert done["status"] == "succeeded", done
    # Two failed attempts of the matcher call, then the real matcher reply, then the agent's calls.
    assert len(llm.requests) >= 4
    assert llm.requests[0] == llm.requests[1] == llm.requests[2]


async def test_lasting_outage_fails_the_run_with_the_reason_and_retry_succeeds_later(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(602, summary="VPN will not connect")
    llm = _llm([500] * 3)
    settings = make_settings(tmp_path, None, step_max_attempts=3, step_retry_interval_seconds=0.01)
    async with running_stack(settings, llm, fake_cw) as stack:
        event_id = await _deliver_vpn_ticket(stack, 602)
        failed = await stack.wait_for_event(event_id)
        detail = (await stack.api.get(f"/api/v1/runs/{failed['id']}", headers=stack.auth)).json()
        writes_after_failure = list(fake_cw.writes())

        retry = await stack.api.post(f"/api/v1/activity/events/{event_id}/retry", headers=stack.auth)
        assert retry.status_code == 202, retry.text
        again = await stack.api.post(f"/api/v1/activity/events/{event_id}/retry", headers=stack.auth)
        recovered = await stack.wait_for_event(event_id, attempt=2)

    assert failed["status"] == "failed"
    assert "status_code: 500" in detail["error"] and "upstream overloaded" in detail["error"]
    assert "gave up after 3 attempts" in detail["error"]
    assert detail["event"]["status"] == "failed"
    assert writes_after_failure == []  # the failed run wrote nothing to the ticket
    assert again.status_code == 409  # already queued for retry
    assert recovered["status"] == "succeeded" and recovered["manual"] is True
