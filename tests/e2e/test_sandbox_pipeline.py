"""A sandbox PSA webhook through the whole pipeline: the in-memory PSA the demo and evals use."""

from __future__ import annotations

from pathlib import Path

from connectors.sandbox import SandboxStore, ticket_event
from evals.fakes.llm import ScriptedLLM, agent_calls, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import sandbox_kit

NEW_STARTER_TICKET = "5004"
WARM_UP_TICKET = "5001"


async def test_triage_run_on_the_sandbox_costs_at_most_four_psa_calls(tmp_path: Path) -> None:
    kit = sandbox_kit()
    store = SandboxStore.named(kit.config["store"])
    llm = ScriptedLLM(
        matcher=match_by_keyword("employee"),
        agent=agent_calls(
            ("classify_ticket", {"type": "Request", "priority": "P3 - Medium"}),
            summary="Classified as a new starter request.",
        ),
    )
    async with running_stack(make_settings(tmp_path, None), llm, kit=kit) as stack:
        await stack.create_workflow(
            title="New starter",
            trigger="The ticket asks to set up a new employee before a start date.",
            instructions="Set the type to Request and priority to P3 - Medium.",
        )
        await stack.set_policy("classify_ticket", "auto")
        # The first run reads the picklists; the measured second run finds them cached.
        first = await stack.deliver_event(
            ticket_event(store.ticket(WARM_UP_TICKET), "created", actor="portal")
        )
        assert (await stack.wait_for_event(first.json()["event_id"]))["status"] == "succeeded"
        calls_before = len(store.calls)
        envelope = ticket_event(store.ticket(NEW_STARTER_TICKET), "created", actor="portal")
        response = await stack.deliver_event(envelope)
        assert response.status_code == 202, response.text
        done = await stack.wait_for_event(response.json()["event_id"])
        assert done["status"] == "succeeded", done
        detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()
        again = await stack.deliver_event(envelope)
        assert again.json()["duplicate"] is True

    psa_calls = store.calls[calls_before:]
    assert sorted(psa_calls) == ["add_note", "get_ticket", "update_ticket"], psa_calls
    ticket = store.ticket(NEW_STARTER_TICKET)
    assert (ticket.type, ticket.priority) == ("Request", "P3 - Medium")
    [note] = [n for n in store.notes_of(NEW_STARTER_TICKET) if n.author == "deskhand"]
    assert "New starter" in note.text and "Classified as a new starter request." in note.text
    assert note.internal
    [call] = detail["tool_calls"]
    assert call["result"]["after"]["type_id"] == ticket.type_id
