"""A HaloPSA webhook through the whole pipeline, answered in Halo's real API shapes."""

from __future__ import annotations

from pathlib import Path

from evals.fakes import halopsa_payloads as hp
from evals.fakes.halopsa import FakeHalo
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import halo_kit


async def test_halo_webhook_runs_and_writes_back_through_halo_api(tmp_path: Path) -> None:
    fake = FakeHalo()
    fake.add_ticket(4242, summary="Outlook keeps asking for my password")
    llm = ScriptedLLM(matcher=match_by_keyword("password"), agent=agent_sets_status("With User"))
    async with running_stack(make_settings(tmp_path, None), llm, kit=halo_kit(fake)) as stack:
        await stack.create_workflow(
            title="Password prompts",
            trigger="The user is asked for their password again and again.",
            instructions="Ask the user to re-enter it once, then set the status to With User.",
        )
        await stack.set_policy("set_ticket_status", "auto")
        envelope = hp.ticket_event(ticket_body=fake.tickets[4242])
        response = await stack.deliver_event(envelope)
        assert response.status_code == 202, response.text
        done = await stack.wait_for_event(response.json()["event_id"])
        assert done["status"] == "succeeded", done
        forged = await stack.api.post(
            f"/webhooks/halopsa/{stack.integration_id}",
            content=hp.encode(envelope),
            headers=hp.auth_headers(password="not-the-password-at-all"),
        )
        assert forged.status_code == 401

    writes = [(r.method, r.path) for r in fake.writes() if r.path != "/auth/token"]
    assert sorted(writes) == [("POST", "/api/Actions"), ("POST", "/api/Tickets")]
    [update] = [r.body for r in fake.writes() if r.path == "/api/Tickets"]
    assert update[0]["id"] == 4242 and update[0]["status_id"] == 4 and update[0]["dont_do_rules"] is True
    [note] = [r.body for r in fake.writes() if r.path == "/api/Actions"]
    assert note[0]["hiddenfromuser"] is True and "Password prompts" in note[0]["note"]
    assert fake.tickets[4242]["status_id"] == 4
    api_calls = [r for r in fake.requests if r.path != "/auth/token"]
    # ticket + actions, statuses (first run: not cached yet), one update, one note
    assert len(api_calls) == 5, [(r.method, r.path) for r in api_calls]
