"""An Autotask webhook callout through the whole pipeline, answered in Autotask's real REST shapes."""

from __future__ import annotations

from pathlib import Path

from evals.fakes import autotask_payloads as at
from evals.fakes.autotask import FakeAutotask
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import autotask_kit


async def test_autotask_callout_runs_and_writes_back_through_autotask_api(tmp_path: Path) -> None:
    fake = FakeAutotask()
    fake.add_ticket(at.TICKET_ID, title="Outlook keeps asking for my password")
    llm = ScriptedLLM(matcher=match_by_keyword("password"), agent=agent_sets_status("Waiting Customer"))
    async with running_stack(make_settings(tmp_path, None), llm, kit=autotask_kit(fake)) as stack:
        await stack.create_workflow(
            title="Password prompts",
            trigger="The user is asked for their password again and again.",
            instructions="Ask the user to re-enter it once, then set the status to Waiting Customer.",
        )
        await stack.set_policy("set_ticket_status", "auto")
        envelope = at.ticket_event(action="Create", sequence=1)
        response = await stack.deliver_event(envelope)
        assert response.status_code == 202, response.text
        done = await stack.wait_for_event(response.json()["event_id"])
        assert done["status"] == "succeeded", done
        # Deskhand's own resource as the actor: an echo, suppressed without a run.
        echo = at.ticket_event(
            sequence=2, person_id=at.RESOURCE_ID, guid="f00dfeed-0000-4000-8000-000000000001"
        )
        echoed = await stack.wait_for_event((await stack.deliver_event(echo)).json()["event_id"])
        forged = await stack.api.post(
            f"/webhooks/autotask/{stack.integration_id}",
            content=at.encode(envelope),
            headers=at.signed_headers(at.encode(envelope), secret="someone-elses-secret"),
        )

    assert echoed["status"] == "suppressed"
    assert forged.status_code == 401
    writes = [(r.method, r.path.split("/V1.0")[1]) for r in fake.writes()]
    assert sorted(writes) == [("PATCH", "/Tickets"), ("POST", f"/Tickets/{at.TICKET_ID}/Notes")], writes
    [patch] = [r.body for r in fake.writes() if r.method == "PATCH"]
    assert patch == {"id": at.TICKET_ID, "status": at.STATUS_WAITING_CUSTOMER}
    [note] = [r.body for r in fake.writes() if r.method == "POST"]
    assert "Password prompts" in note["description"]
