"""Durable approvals end to end: a gated call pauses the run with a plain-terms card and a note on the ticket;
approve, approve with edited arguments, deny (the model reads the reason) and expiry each resume the run
once; a pause decided in another app instance resumes there."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from agent.approval_tables import Approval
from agent.resume import expire_and_resume
from core.clock import system_clock
from core.database import Database
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword, tool_results
from tests.harness import Stack, make_settings, running_stack

TICKET = 4711


def _llm() -> ScriptedLLM:
    return ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))


async def _pause(stack: Stack, message_id: str = "msg-1") -> dict[str, Any]:
    """Deliver the printer ticket; the status change needs approval (the default for writes)."""
    await stack.create_workflow(
        title="Printer problems",
        trigger="The ticket reports a printer that will not print.",
        instructions="1. Ask for a power-cycle.\n"
        "2. Set the status with `set_ticket_status` to Waiting on Client.",
    )
    response = await stack.deliver(stack.ticket_callback(TICKET, message_id=message_id))
    done = await stack.wait_for_event(response.json()["event_id"])
    assert done["status"] == "waiting_approval", done
    return done


async def _pending(stack: Stack) -> dict[str, Any]:
    [approval] = (await stack.api.get("/api/v1/approvals", headers=stack.auth)).json()["items"]
    return dict(approval)


async def _wait_run(stack: Stack, run_id: int, status: str = "succeeded") -> dict[str, Any]:
    import asyncio

    for _ in range(400):
        detail = (await stack.api.get(f"/api/v1/runs/{run_id}", headers=stack.auth)).json()
        if detail["status"] == status:
            return dict(detail)
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} did not reach {status}: {detail['status']}")


@asynccontextmanager
async def _stack(tmp_path: Path, database_url: str | None, fake: FakeConnectWise) -> AsyncIterator[Stack]:
    if TICKET not in fake.tickets:
        fake.add_ticket(TICKET, summary="Printer on floor 2 will not print")
    async with running_stack(make_settings(tmp_path, database_url), _llm(), fake) as stack:
        yield stack


async def test_approve_resumes_the_run_and_the_call_runs_once(
    tmp_path: Path, database_url: str | None
) -> None:
    fake = FakeConnectWise()
    async with _stack(tmp_path, database_url, fake) as stack:
        paused = await _pause(stack)
        approval = await _pending(stack)
        notes_while_waiting = [n["text"] for n in fake.notes[TICKET]]
        decided = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=stack.auth
        )
        done = await _wait_run(stack, paused["id"])
        again = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=stack.auth
        )

    card = approval["card"]
    assert approval["tool_name"] == "set_ticket_status" and approval["status"] == "pending"
    assert card["before"] == "status 'New'" and card["after"] == "status 'Waiting on Client'"
    assert card["object"] == f"ticket #{TICKET}" and card["reversible"] is True
    assert "set_ticket_status" in card["workflow_step"] and "Printer problems" in card["workflow_step"]
    assert card["model_reason"]  # the scripted model gives none: the card says so
    assert any(
        f"approval #{approval['id']}" in text and "/activity/runs/" in text for text in notes_while_waiting
    )
    assert decided.status_code == 200 and decided.json()["resumed"] is True
    assert fake.tickets[TICKET]["status"]["name"] == "Waiting on Client"
    [call] = done["tool_calls"]
    assert (call["tool_name"], call["status"]) == ("set_ticket_status", "ok")
    assert [n["purpose"] for n in done["notes"]] == ["summary", "resume-1"]
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    assert len(fake.writes("PATCH")) == 1  # approved once, run once


async def test_edited_arguments_run_instead(tmp_path: Path, database_url: str | None) -> None:
    fake = FakeConnectWise()
    async with _stack(tmp_path, database_url, fake) as stack:
        paused = await _pause(stack)
        approval = await _pending(stack)
        bad = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/approve", json={"args": {"state": "x"}}, headers=stack.auth
        )
        edited = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/approve",
            json={"args": {"status": "In Progress"}},
            headers=stack.auth,
        )
        done = await _wait_run(stack, paused["id"])

    assert (
        bad.status_code == 400 and bad.json()["code"] == "invalid_args" and "status" in bad.json()["detail"]
    )
    assert edited.json()["approval"]["edited_args"] == {"status": "In Progress"}
    assert fake.tickets[TICKET]["status"]["name"] == "In Progress"
    assert done["tool_calls"][0]["args"] == {"status": "In Progress"}


async def test_deny_reason_reaches_the_model_and_nothing_changes(
    tmp_path: Path, database_url: str | None
) -> None:
    fake = FakeConnectWise()
    async with _stack(tmp_path, database_url, fake) as stack:
        paused = await _pause(stack)
        approval = await _pending(stack)
        no_reason = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/deny", json={"reason": ""}, headers=stack.auth
        )
        denied = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/deny",
            json={"reason": "Client is on site today; keep it In Progress"},
            headers=stack.auth,
        )
        done = await _wait_run(stack, paused["id"])
        last_agent_request = [r for r in stack.llm.requests if tool_results(r)][-1]

    assert no_reason.status_code == 422
    assert denied.json()["approval"]["status"] == "denied"
    assert fake.tickets[TICKET]["status"]["name"] == "New"
    told = json.dumps(tool_results(last_agent_request))
    assert "Client is on site today" in told
    assert done["tool_calls"][0]["status"] == "denied"


async def test_expired_requests_count_as_denied_with_a_note(tmp_path: Path, database_url: str | None) -> None:
    fake = FakeConnectWise()
    async with _stack(tmp_path, database_url, fake) as stack:
        paused = await _pause(stack)
        db = Database(stack.settings.resolved_database_url)
        async with db.write_session() as session:
            await session.execute(update(Approval).values(expires_at=system_clock() - timedelta(minutes=1)))
        await db.dispose()
        assert await expire_and_resume() == 1
        done = await _wait_run(stack, paused["id"])
        approval = (
            await stack.api.get("/api/v1/approvals", params={"status": "expired"}, headers=stack.auth)
        ).json()

    [expired] = approval["items"]
    assert expired["decided_via"] == "expiry" and "expired" in expired["decision_reason"]
    assert fake.tickets[TICKET]["status"]["name"] == "New"
    assert "expired by Deskhand" in fake.notes[TICKET][-1]["text"]
    assert done["tool_calls"][0]["status"] == "expired"


async def test_a_pause_decided_in_another_app_instance_resumes_there(tmp_path: Path) -> None:
    fake = FakeConnectWise()
    async with _stack(tmp_path, None, fake) as first:
        paused = await _pause(first)
    # A new app (a new DBOS executor) on the same database: the first one is gone.
    async with running_stack(make_settings(tmp_path, None), _llm(), fake, with_integration=False) as second:
        approval = await _pending(second)
        await second.api.post(f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=second.auth)
        done = await _wait_run(second, paused["id"])

    assert fake.tickets[TICKET]["status"]["name"] == "Waiting on Client"
    assert done["tool_calls"][0]["status"] == "ok"


async def _person(stack: Stack, email: str, role: str) -> dict[str, str]:
    """A user of ``role`` and the bearer header of a token of theirs."""
    from core.tokens import create_token

    created = await stack.api.post(
        "/api/v1/users",
        json={
            "email": email,
            "display_name": email.split("@")[0],
            "role": role,
            "password": "a long passphrase 1",
        },
        headers=stack.auth,
    )
    assert created.status_code == 201, created.text
    db = Database(stack.settings.resolved_database_url)
    async with db.write_session() as session:
        _, token = await create_token(session, name=email, user_id=created.json()["id"])
    await db.dispose()
    return {"Authorization": f"Bearer {token}"}


async def test_roles_and_the_two_person_rule_for_destructive_calls(tmp_path: Path) -> None:
    from connectors.sandbox import TENANT_BY_COMPANY, SandboxDirectoryStore, SandboxStore, ticket_event
    from evals.fakes.llm import agent_calls
    from tests.psa_kits import sandbox_kit

    kit = sandbox_kit()
    tenant = TENANT_BY_COMPANY["251"]
    directory_store = f"two-person-{kit.config['store']}"
    user = "mreid@whitmorelane.co.uk"
    llm = ScriptedLLM(
        matcher=match_by_keyword("employee"), agent=agent_calls(("m365_disable_sign_in", {"user": user}))
    )
    settings = make_settings(tmp_path, None, approval_two_person_destructive=True)
    async with running_stack(settings, llm, kit=kit) as stack:
        api = stack.api
        await api.post(
            "/api/v1/integrations",
            json={"kind": "sandbox_m365", "name": "Tenants", "config": {"store": directory_store}},
            headers=stack.auth,
        )
        await api.post(
            "/api/v1/clients",
            json={"name": "Whitmore & Lane", "m365_tenant_id": tenant,
                  "psa_companies": [{"integration_id": stack.integration_id, "company_external_id": "251"}]},
            headers=stack.auth,
        )  # fmt: skip
        await stack.create_workflow(title="Leavers", trigger="An employee is leaving the firm.")
        viewer = await _person(stack, "vic@msp.example", "viewer")
        alice = await _person(stack, "alice@msp.example", "technician")
        bob = await _person(stack, "bob@msp.example", "technician")
        ticket = SandboxStore.named(kit.config["store"]).ticket("5004")
        response = await stack.deliver_event(ticket_event(ticket, "created", actor="portal"))
        paused = await stack.wait_for_event(response.json()["event_id"])
        approval = await _pending(stack)
        url = f"/api/v1/approvals/{approval['id']}/approve"
        by_viewer = await api.post(url, json={}, headers=viewer)
        first = await api.post(url, json={}, headers=alice)
        same_again = await api.post(url, json={}, headers=alice)
        enabled_meanwhile = (
            SandboxDirectoryStore.named(directory_store).tenant(tenant).resolve_user(user).account_enabled
        )
        second = await api.post(url, json={}, headers=bob)
        done = await _wait_run(stack, paused["id"])
        audit = (
            await api.get("/api/v1/audit", params={"action": "approval.approve"}, headers=stack.auth)
        ).json()

    assert paused["status"] == "waiting_approval"
    card = approval["card"]
    assert approval["risk"] == "destructive" and card["object"] == f"user {user}"
    assert card["before"] == "sign-in enabled" and card["after"] == "sign-in blocked"
    assert tenant in card["tenant"]
    assert by_viewer.status_code == 403 and "technician" in by_viewer.json()["detail"]
    assert first.json()["waiting_for_second_approver"] is True and first.json()["resumed"] is False
    assert same_again.status_code == 409 and same_again.json()["code"] == "second_approver_required"
    assert enabled_meanwhile is True  # nothing ran on one approval
    decided = second.json()["approval"]
    assert (decided["status"], decided["first_approver"], decided["decided_by"]) == (
        "approved",
        "alice",
        "bob",
    )
    assert (
        SandboxDirectoryStore.named(directory_store).tenant(tenant).resolve_user(user).account_enabled
        is False
    )
    assert done["tool_calls"][0]["status"] == "ok"
    [entry] = audit["items"]
    assert entry["actor_name"] == "bob" and entry["target_id"] == str(approval["id"])
