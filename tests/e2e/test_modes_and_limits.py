"""Plan and Execute modes, run limits and the monthly budget, through the API and a full pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.catalogue import ALL_ACTIONS
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_calls, agent_sets_status, is_matcher, match_by_keyword
from tests.harness import Stack, make_settings, running_stack

WRITE_TOOLS = {a.name for a in ALL_ACTIONS if a.writes}


async def _printer_run(stack: Stack, ticket_id: int, message_id: str) -> dict[str, Any]:
    response = await stack.deliver(stack.ticket_callback(ticket_id, message_id=message_id))
    done = await stack.wait_for_event(response.json()["event_id"])
    return dict((await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json())


def _offered(request: dict[str, Any]) -> set[str]:
    return {tool["function"]["name"] for tool in request.get("tools", [])}


async def test_plan_mode_reads_and_notes_only_until_an_admin_switches_to_execute(
    tmp_path: Path, database_url: str | None
) -> None:
    fake = FakeConnectWise()
    fake.add_ticket(5101, summary="Printer jams on every job")
    fake.add_ticket(5102, summary="Printer jams again")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    settings = make_settings(tmp_path, database_url, new_client_mode="plan")
    async with running_stack(settings, llm, fake) as stack:
        await stack.create_workflow(
            title="Printers",
            trigger="A printer problem.",
            instructions="1. Set the status with `set_ticket_status`.",
        )
        await stack.set_policy("set_ticket_status", "auto")
        planned = await _printer_run(stack, 5101, "m1")
        agent_requests = [r for r in llm.requests if not is_matcher(r)]
        client_id = planned["client_id"]
        client = (await stack.api.get(f"/api/v1/clients/{client_id}", headers=stack.auth)).json()
        switched = await stack.api.patch(
            f"/api/v1/clients/{client_id}", json={"agent_mode": "execute"}, headers=stack.auth
        )
        executed = await _printer_run(stack, 5102, "m2")
        audit = (
            await stack.api.get("/api/v1/audit", params={"action": "client.updated"}, headers=stack.auth)
        ).json()

    assert client["agent_mode"] == "plan"  # a new client starts in Plan mode
    assert planned["status"] == "succeeded"
    assert all(not (_offered(r) & WRITE_TOOLS) for r in agent_requests) and agent_requests
    assert "Mode: PLAN" in str(agent_requests[0]["messages"])
    assert [c for c in planned["tool_calls"] if c["status"] == "ok" and c["tool_name"] in WRITE_TOOLS] == []
    assert [n["purpose"] for n in planned["notes"]] == ["summary"]  # one internal note, nothing else written
    assert fake.tickets[5101]["status"]["name"] == "New"
    assert switched.json()["agent_mode"] == "execute"
    assert fake.tickets[5102]["status"]["name"] == "Waiting on Client"
    assert executed["tool_calls"][0]["status"] == "ok"
    [change] = audit["items"]
    assert change["detail"]["agent_mode"] == {"before": "plan", "after": "execute"}


async def test_tool_call_and_request_limits_stop_the_run_cleanly(tmp_path: Path) -> None:
    fake = FakeConnectWise()
    fake.add_ticket(5201, summary="Printer jams")
    reads = (("get_ticket", {}), ("get_company", {}))
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_calls(*reads))
    settings = make_settings(tmp_path, None, agent_max_tool_calls=1)
    async with running_stack(settings, llm, fake) as stack:
        await stack.create_workflow(title="Printers", trigger="A printer problem.", instructions="1. Look.")
        limited = await _printer_run(stack, 5201, "m1")

    assert limited["status"] == "limited"
    assert "limit of 1 tool calls" in limited["outcome"]
    [note] = limited["notes"]
    assert "Stopped: the run reached its limit of 1 tool calls" in note["text"]
    assert limited["requests"] >= 1  # the usage up to the stop is still recorded


async def test_monthly_budget_stops_runs_before_any_model_call(tmp_path: Path) -> None:
    fake = FakeConnectWise()
    fake.add_ticket(5301, summary="Printer jams")
    fake.add_ticket(5302, summary="Printer jams again")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, fake) as stack:
        await stack.create_workflow(title="Printers", trigger="A printer problem.", instructions="1. Look.")
        first = await _printer_run(stack, 5301, "m1")
        await stack.api.patch(
            f"/api/v1/clients/{first['client_id']}", json={"monthly_budget_usd": 0.0}, headers=stack.auth
        )
        before = len(llm.requests)
        second = await _printer_run(stack, 5302, "m2")
        after = len(llm.requests)

    assert first["status"] in ("succeeded", "waiting_approval") and (first["cost_usd"] or 0) >= 0
    assert second["status"] == "limited" and after == before  # no model call at all
    assert "monthly model budget of $0.00 is used up" in second["outcome"]
    assert "was not worked by Deskhand" in second["notes"][0]["text"]


async def test_destructive_tools_run_unattended_only_with_an_admins_confirmation(tmp_path: Path) -> None:
    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    async with running_stack(make_settings(tmp_path, None), llm) as stack:
        url = "/api/v1/policies/m365_disable_sign_in"
        refused = await stack.api.put(url, json={"mode": "auto"}, headers=stack.auth)
        approval = await stack.api.put(url, json={"mode": "approval"}, headers=stack.auth)
        confirmed = await stack.api.put(
            url, json={"mode": "auto", "confirm_destructive": True}, headers=stack.auth
        )
        audit = (
            await stack.api.get("/api/v1/audit", params={"action": "policy.changed"}, headers=stack.auth)
        ).json()

    assert (refused.status_code, refused.json()["code"]) == (400, "destructive_needs_confirmation")
    assert approval.status_code == 200 and confirmed.status_code == 200
    assert [e["detail"]["destructive_confirmed"] for e in audit["items"]] == [True, False]
