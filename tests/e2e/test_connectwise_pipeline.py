"""A signed ConnectWise callback through the whole pipeline, on SQLite and on Postgres."""

from __future__ import annotations

from pathlib import Path

from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack


async def test_signed_callback_runs_matcher_plan_agent_and_records_activity(
    tmp_path: Path, database_url: str | None
) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(4711, summary="Printer on 2nd floor shows paper jam but there is no paper stuck")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    settings = make_settings(tmp_path, database_url)
    async with running_stack(settings, llm, fake_cw) as stack:
        printer = await stack.create_workflow(
            title="Printer problems",
            trigger="The ticket reports a printer that will not print, jams or shows errors.",
            instructions="1. Ask the user to power-cycle the printer.\n2. Set status to Waiting on Client.",
        )
        await stack.create_workflow(
            title="Password reset", trigger="The user forgot their password.", instructions="Reset it."
        )
        await stack.set_policy("set_ticket_status", "auto")

        response = await stack.deliver(stack.ticket_callback(4711, message_id="msg-1"))
        assert response.status_code == 202, response.text
        done = await stack.wait_for_event(response.json()["event_id"])
        assert done["status"] == "succeeded", done

        detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()

    decisions = {d["workflow_title"]: d for d in detail["decisions"]}
    assert decisions["Printer problems"]["outcome"] == "matched"
    assert "mentions print" in decisions["Printer problems"]["reason"]
    assert decisions["Password reset"]["outcome"] == "not_matched"
    assert [(s["position"], s["workflow_id"]) for s in detail["plan"]] == [
        (1, printer["id"]),
        (2, printer["id"]),
    ]
    assert detail["plan"][1]["text"] == "Set status to Waiting on Client."

    [call] = detail["tool_calls"]
    assert call["tool_name"] == "set_ticket_status"
    assert call["args"] == {"status": "Waiting on Client"}
    assert call["status"] == "ok"
    assert call["result"]["before"]["status"] == "New"
    assert call["result"]["after"]["status"] == "Waiting on Client"

    [summary_note] = detail["notes"]
    assert summary_note["purpose"] == "summary"
    assert "Printer problems" in summary_note["text"] and "power-cycle" in summary_note["text"]
    assert "Outcome:" in summary_note["text"]
    assert detail["input_tokens"] > 0 and detail["requests"] >= 3
    assert detail["ticket_number"] == "4711" and detail["client_id"] is not None

    # What ConnectWise actually received: the status patch, then one note with plan and outcome.
    writes = fake_cw.writes()
    assert [(w.method, w.path.split("apis/3.0")[1]) for w in writes] == [
        ("PATCH", "/service/tickets/4711"),
        ("POST", "/service/tickets/4711/notes"),
    ]
    assert writes[1].body["internalAnalysisFlag"] is True
    assert writes[1].body["text"] == summary_note["text"]
    assert writes[0].body == [{"op": "replace", "path": "status", "value": {"id": 18}}]
    # A triage-only run: read ticket, read notes, statuses (not yet cached), patch, note.
    api_calls = [(r.method, r.path.split("apis/3.0")[1]) for r in fake_cw.requests if "apis/3.0" in r.path]
    assert api_calls == [
        ("GET", "/service/tickets/4711"),
        ("GET", "/service/tickets/4711/notes"),
        ("GET", "/service/boards/1/statuses"),
        ("PATCH", "/service/tickets/4711"),
        ("POST", "/service/tickets/4711/notes"),
    ]
    # The ticket text reached the model fenced as untrusted data.
    agent_prompt = next(r for r in llm.requests if "set_ticket_status" in str(r.get("tools")))
    user_text = " ".join(str(m["content"]) for m in agent_prompt["messages"] if m["role"] == "user")
    assert '<untrusted_data source="ticket summary">' in user_text


async def test_writes_wait_for_approval_by_default_and_nothing_is_sent(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(4712, summary="Printer jammed")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, fake_cw) as stack:
        await stack.create_workflow(title="Printer", trigger="printer problems", instructions="Set status.")
        response = await stack.deliver(stack.ticket_callback(4712, message_id="approval-1"))
        done = await stack.wait_for_event(response.json()["event_id"])
        detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()
    assert done["status"] == "waiting_approval"
    [call] = detail["tool_calls"]
    assert (call["tool_name"], call["status"], call["args"]) == (
        "set_ticket_status",
        "awaiting_approval",
        {"status": "Waiting on Client"},
    )
    assert detail["pending_approvals"][0]["tool_name"] == "set_ticket_status"
    assert not fake_cw.writes("PATCH")
    note = detail["notes"][-1]["text"]
    assert "Waiting for a technician's approval" in note and "set_ticket_status on ticket #4712" in note
