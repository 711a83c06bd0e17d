"""Approving from the PSA: a note beginning `approve` or `deny <reason>` from a member mapped to a
technician decides the ticket's pending requests; anyone else's attempt is recorded and changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from connectors.sandbox import SandboxStore, ticket_event
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import Stack, make_settings, running_stack
from tests.psa_kits import sandbox_kit

TICKET = "5004"


async def _user(stack: Stack, email: str, role: str, member: str) -> None:
    created = await stack.api.post(
        "/api/v1/users",
        json={
            "email": email,
            "display_name": email.split("@")[0],
            "role": role,
            "password": "a long passphrase 1",
            "psa_member": {"integration_id": stack.integration_id, "member_id": member},
        },
        headers=stack.auth,
    )
    assert created.status_code == 201, created.text


async def _reply(stack: Stack, store: SandboxStore, text: str, author: str) -> dict[str, Any]:
    store.add_customer_reply(TICKET, text, author=author)
    response = await stack.deliver_event(ticket_event(store.ticket(TICKET), "updated", actor=author))
    return await stack.wait_for_event(response.json()["event_id"])


async def _status_of_run(stack: Stack, run_id: int, wanted: str) -> dict[str, Any]:
    for _ in range(400):
        detail = (await stack.api.get(f"/api/v1/runs/{run_id}", headers=stack.auth)).json()
        if detail["status"] == wanted:
            return dict(detail)
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} is {detail['status']}, not {wanted}")


async def test_a_mapped_technicians_note_approves_and_others_are_refused(tmp_path: Path) -> None:
    kit = sandbox_kit()
    store = SandboxStore.named(kit.config["store"])
    llm = ScriptedLLM(matcher=match_by_keyword("employee"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, kit=kit) as stack:
        await stack.create_workflow(title="Starters", trigger="A new employee is starting.")
        await _user(stack, "alice@msp.example", "technician", "asmith")
        await _user(stack, "vic@msp.example", "viewer", "vjones")
        response = await stack.deliver_event(ticket_event(store.ticket(TICKET), "created", actor="portal"))
        paused = await stack.wait_for_event(response.json()["event_id"])
        by_stranger = await _reply(stack, store, "approve", author="randomuser")
        by_viewer = await _reply(stack, store, "Approve please", author="vjones")
        still = (await stack.api.get("/api/v1/approvals", headers=stack.auth)).json()["items"]
        by_alice = await _reply(stack, store, "approve - checked with the office manager", author="asmith")
        done = await _status_of_run(stack, paused["id"], "succeeded")
        audit = (await stack.api.get("/api/v1/audit", headers=stack.auth)).json()["items"]
        decided = (
            await stack.api.get("/api/v1/approvals", params={"status": "approved"}, headers=stack.auth)
        ).json()

    assert paused["status"] == "waiting_approval"
    assert (
        by_stranger["status"] == "suppressed"
        and "not mapped to a Deskhand user" in by_stranger["status_reason"]
    )
    assert (
        by_viewer["status"] == "suppressed" and "a viewer, who cannot approve" in by_viewer["status_reason"]
    )
    assert [a["status"] for a in still] == ["pending"]
    assert by_alice["status"] == "suppressed" and "by alice" in by_alice["status_reason"]
    [approval] = decided["items"]
    assert (approval["decided_by"], approval["decided_via"]) == ("alice", "psa_note")
    assert approval["decision_reason"] == "checked with the office manager"
    assert store.ticket(TICKET).status == "Waiting on Client"
    assert done["tool_calls"][0]["status"] == "ok"
    actions = [entry["action"] for entry in audit]
    assert actions.count("approval.psa_note_refused") == 2 and "approval.approve" in actions


async def test_a_deny_note_passes_its_reason_to_the_model(tmp_path: Path) -> None:
    kit = sandbox_kit()
    store = SandboxStore.named(kit.config["store"])
    llm = ScriptedLLM(matcher=match_by_keyword("employee"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, kit=kit) as stack:
        await stack.create_workflow(title="Starters", trigger="A new employee is starting.")
        await _user(stack, "alice@msp.example", "technician", "asmith")
        before = store.ticket(TICKET).status
        response = await stack.deliver_event(ticket_event(store.ticket(TICKET), "created", actor="portal"))
        paused = await stack.wait_for_event(response.json()["event_id"])
        await _reply(stack, store, "deny: start date moved to next month", author="asmith")
        done = await _status_of_run(stack, paused["id"], "succeeded")

    assert store.ticket(TICKET).status == before
    assert done["tool_calls"][0]["status"] == "denied"
    assert "start date moved to next month" in str(llm.requests[-1]["messages"])
