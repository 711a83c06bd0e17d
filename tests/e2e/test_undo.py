"""Undo of a finished tool call, through the API: asking opens an approval request (kind "undo") whose card
says what will change back; approving it runs the inverse once on the client's own tenant or ticket, records
it on the run, marks the original undone and notes it on the ticket. Calls that cannot be undone are refused
with the reason, as their approval card said beforehand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from agent.undo_inverses import CANNOT_UNDO, INVERSES, NotReversible, inverse_of
from connectors.catalogue import ALL_ACTIONS
from connectors.sandbox import TENANT_BY_COMPANY, SandboxDirectoryStore, SandboxStore, ticket_event
from core.database import Database
from evals.fakes.llm import ScriptedLLM, agent_calls, match_by_keyword
from tests.harness import Stack, make_settings, running_stack
from tests.psa_kits import sandbox_kit

TICKET = "5004"  # Whitmore & Lane: "New starter next Monday - Emily Clarke"
LAW_COMPANY = "251"
TENANT = TENANT_BY_COMPANY[LAW_COMPANY]
AISHA, MARCUS = "abegum@whitmorelane.co.uk", "mreid@whitmorelane.co.uk"
CALLS = (
    ("m365_add_to_group", {"user": AISHA, "group": "Trainees"}),
    ("m365_assign_license", {"user": MARCUS, "sku": "FLOW_FREE"}),
    ("set_ticket_status", {"status": "In Progress"}),
    ("add_customer_note", {"text": "We are setting Emily up today."}),
)


@asynccontextmanager
async def _worked_ticket(tmp_path: Path, database_url: str | None) -> AsyncIterator[tuple[Stack, int, str]]:
    """The new-starter ticket worked with every call above run (policy auto): (stack, run id, store)."""
    kit = sandbox_kit()
    directory_store = f"undo-{kit.config['store']}"
    llm = ScriptedLLM(matcher=match_by_keyword("employee"), agent=agent_calls(*CALLS))
    async with running_stack(make_settings(tmp_path, database_url), llm, kit=kit) as stack:
        await stack.api.post(
            "/api/v1/integrations",
            json={"kind": "sandbox_m365", "name": "Tenants", "config": {"store": directory_store}},
            headers=stack.auth,
        )
        await stack.api.post(
            "/api/v1/clients",
            json={
                "name": "Whitmore & Lane",
                "m365_tenant_id": TENANT,
                "psa_companies": [
                    {"integration_id": stack.integration_id, "company_external_id": LAW_COMPANY}
                ],
            },
            headers=stack.auth,
        )
        await stack.create_workflow(title="New starter", trigger="A new employee starts soon.")
        for tool, _ in CALLS:
            await stack.set_policy(tool, "auto")
        ticket = SandboxStore.named(kit.config["store"]).ticket(TICKET)
        response = await stack.deliver_event(ticket_event(ticket, "created", actor="portal"))
        done = await stack.wait_for_event(response.json()["event_id"])
        assert done["status"] == "succeeded", done
        yield stack, done["id"], directory_store


def _psa(stack: Stack) -> SandboxStore:
    assert stack.kit is not None
    return SandboxStore.named(stack.kit.config["store"])


async def _call(stack: Stack, run_id: int, tool: str) -> dict[str, Any]:
    detail = (await stack.api.get(f"/api/v1/runs/{run_id}", headers=stack.auth)).json()
    return dict(next(c for c in detail["tool_calls"] if c["tool_name"] == tool))


async def _request(stack: Stack, run_id: int, call_id: str, headers: dict[str, str] | None = None) -> Any:
    return await stack.api.post(
        f"/api/v1/runs/{run_id}/tool-calls/{call_id}/undo", headers=headers or stack.auth
    )


async def _undone(stack: Stack, run_id: int, approval: dict[str, Any]) -> dict[str, Any]:
    """The run once the approved undo recorded its call and its note."""
    for _ in range(400):
        detail = (await stack.api.get(f"/api/v1/runs/{run_id}", headers=stack.auth)).json()
        undo_calls = [c for c in detail["tool_calls"] if c["tool_call_id"] == approval["tool_call_id"]]
        if undo_calls and f"undo-{approval['id']}" in [n["purpose"] for n in detail["notes"]]:
            return dict(detail)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the undo of approval {approval['id']} did not finish")


async def _person(stack: Stack, name: str, role: str) -> dict[str, str]:
    """A user of ``role`` and the bearer header of a token of theirs."""
    from core.tokens import create_token

    created = await stack.api.post(
        "/api/v1/users",
        json={"email": f"{name}@msp.example", "display_name": name, "role": role,
              "password": "a long passphrase 1"},
        headers=stack.auth,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    db = Database(stack.settings.resolved_database_url)
    async with db.write_session() as session:
        _, token = await create_token(session, name=name, user_id=created.json()["id"])
    await db.dispose()
    return {"Authorization": f"Bearer {token}"}


async def test_undo_of_a_group_add_removes_the_member_only_after_approval(tmp_path: Path) -> None:
    async with _worked_ticket(tmp_path, None) as (stack, run_id, directory_store):
        directory = SandboxDirectoryStore.named(directory_store).tenant(TENANT)
        trainees = next(g for g in directory.groups.values() if g.display_name == "Trainees")
        aisha = directory.resolve_user(AISHA)
        assert aisha is not None
        member_after_run = aisha.id in trainees.member_ids
        original = await _call(stack, run_id, "m365_add_to_group")
        viewer = await _request(
            stack, run_id, original["tool_call_id"], await _person(stack, "vic", "viewer")
        )
        alice = await _person(stack, "alice", "technician")
        asked = await _request(stack, run_id, original["tool_call_id"])
        approval = asked.json()
        twice = await _request(stack, run_id, original["tool_call_id"])
        member_while_waiting = aisha.id in trainees.member_ids
        edited = await stack.api.post(
            f"/api/v1/approvals/{approval['id']}/approve", json={"args": {"user": MARCUS}}, headers=stack.auth
        )
        approved = await stack.api.post(f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=alice)
        detail = await _undone(stack, run_id, approval)
        again = await _request(stack, run_id, original["tool_call_id"])
        notes = _psa(stack).notes_of(TICKET)

    assert member_after_run is True
    assert viewer.status_code == 403
    assert asked.status_code == 201, asked.text
    assert (approval["kind"], approval["status"]) == ("undo", "pending") and approval["undo_of"] > 0
    assert approval["tool_name"] == "m365_remove_from_group"
    assert approval["args"] == {"user": aisha.id, "group": trainees.id}
    card = approval["card"]
    assert (card["before"], card["after"]) == ("member of Trainees", "not in Trainees")
    assert card["object"] == f"user {AISHA}" and TENANT in card["tenant"]
    assert card["undo_of"]["tool_call_id"] == original["tool_call_id"]
    assert twice.status_code == 409 and twice.json()["code"] == "undo_pending"
    assert member_while_waiting is True  # nothing changes before a technician approves
    assert edited.status_code == 400 and edited.json()["code"] == "undo_not_editable"
    assert approved.status_code == 200 and approved.json()["approval"]["status"] == "approved"
    assert aisha.id not in trainees.member_ids
    calls = {c["tool_call_id"]: c for c in detail["tool_calls"]}
    undo_call = calls[f"undo-{original['tool_call_id']}"]
    assert (undo_call["tool_name"], undo_call["status"]) == ("m365_remove_from_group", "ok")
    assert undo_call["result"]["before"]["member"] is True and undo_call["result"]["after"]["member"] is False
    undone_by = calls[original["tool_call_id"]]["result"]["undone_by"]
    assert (
        undone_by["tool_call_id"] == undo_call["tool_call_id"] and undone_by["approval_id"] == approval["id"]
    )
    assert again.status_code == 409 and again.json()["code"] == "already_undone"
    [note] = [n for n in notes if "Undone" in n.text]
    assert note.internal and "m365_add_to_group" in note.text and "Trainees" in note.text
    assert (
        "asked for by service token tests, approved by alice" in note.text.lower()
        and f"approval #{approval['id']}" in note.text
    )


async def test_undo_of_a_license_assignment_removes_the_licence(tmp_path: Path) -> None:
    async with _worked_ticket(tmp_path, None) as (stack, run_id, directory_store):
        directory = SandboxDirectoryStore.named(directory_store).tenant(TENANT)
        flow = next(s for s in directory.skus.values() if s.part_number == "FLOW_FREE")
        marcus = directory.resolve_user(MARCUS)
        assert marcus is not None
        licensed_after_run = flow.sku_id in marcus.license_sku_ids
        original = await _call(stack, run_id, "m365_assign_license")
        approval = (await _request(stack, run_id, original["tool_call_id"])).json()
        licensed_while_waiting = flow.sku_id in marcus.license_sku_ids
        await stack.api.post(f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=stack.auth)
        detail = await _undone(stack, run_id, approval)
        store_calls = list(SandboxDirectoryStore.named(directory_store).calls)

    assert licensed_after_run is True and licensed_while_waiting is True
    assert approval["tool_name"] == "m365_remove_license"
    assert approval["args"] == {"user": marcus.id, "sku": flow.sku_id}
    assert (approval["card"]["before"], approval["card"]["after"]) == (
        "licensed FLOW_FREE",
        "without licence FLOW_FREE",
    )
    assert flow.sku_id not in marcus.license_sku_ids
    assert store_calls.count("change_licenses") == 2  # the assignment, then its undo: once each
    undo_call = next(c for c in detail["tool_calls"] if c["tool_call_id"] == approval["tool_call_id"])
    assert undo_call["status"] == "ok" and undo_call["result"]["summary"].startswith("Removed FLOW_FREE")


async def test_undo_of_a_status_change_and_a_denied_undo(tmp_path: Path, database_url: str | None) -> None:
    async with _worked_ticket(tmp_path, database_url) as (stack, run_id, _):
        status_after_run = _psa(stack).ticket(TICKET).status
        original = await _call(stack, run_id, "set_ticket_status")
        first = (await _request(stack, run_id, original["tool_call_id"])).json()
        denied = await stack.api.post(
            f"/api/v1/approvals/{first['id']}/deny", json={"reason": "Keep it for now"}, headers=stack.auth
        )
        await asyncio.sleep(0.3)
        status_after_denial = _psa(stack).ticket(TICKET).status
        second = (await _request(stack, run_id, original["tool_call_id"])).json()
        await stack.api.post(f"/api/v1/approvals/{second['id']}/approve", json={}, headers=stack.auth)
        detail = await _undone(stack, run_id, second)

    assert status_after_run == "In Progress"
    assert denied.json()["approval"]["status"] == "denied" and denied.json()["resumed"] is False
    assert status_after_denial == "In Progress"
    assert (first["tool_name"], first["card"]["object"]) == ("set_ticket_status", f"ticket #{TICKET}")
    assert (first["card"]["before"], first["card"]["after"]) == ("status 'In Progress'", "status 'New'")
    assert second["tool_call_id"] == f"undo-{original['tool_call_id']}-2"  # its own id after the denial
    assert _psa(stack).ticket(TICKET).status == "New"
    undo_call = next(c for c in detail["tool_calls"] if c["tool_call_id"] == second["tool_call_id"])
    assert undo_call["result"]["before"]["status"] == "In Progress"
    assert undo_call["result"]["after"]["status"] == "New"
    assert not any(c["tool_call_id"] == first["tool_call_id"] for c in detail["tool_calls"])


async def test_a_sent_customer_note_cannot_be_undone(tmp_path: Path) -> None:
    async with _worked_ticket(tmp_path, None) as (stack, run_id, _):
        original = await _call(stack, run_id, "add_customer_note")
        refused = await _request(stack, run_id, original["tool_call_id"])
        missing = await _request(stack, run_id, "no-such-call")
        pending = (await stack.api.get("/api/v1/approvals", headers=stack.auth)).json()["items"]

    assert original["status"] == "ok"
    assert refused.status_code == 409 and refused.json()["code"] == "not_reversible"
    assert "cannot be taken back" in refused.json()["detail"]
    assert missing.status_code == 404
    assert pending == []


# -- The inverse table, per tool, on the before/after each tool records ---------------------------------

USER, GROUP, SKU = "u-1", "g-1", "sku-1"
INVERSE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], str, dict[str, Any]]] = {
    # tool: (args, before, after, inverse tool, inverse args)
    "m365_add_to_group": (
        {"user": AISHA, "group": "Trainees"},
        {"user_id": USER, "group_id": GROUP, "member": False},
        {"user_id": USER, "group_id": GROUP, "member": True},
        "m365_remove_from_group",
        {"user": USER, "group": GROUP},
    ),
    "m365_remove_from_group": (
        {"user": AISHA, "group": "Trainees"},
        {"user_id": USER, "group_id": GROUP, "member": True},
        {"user_id": USER, "group_id": GROUP, "member": False},
        "m365_add_to_group",
        {"user": USER, "group": GROUP},
    ),
    "m365_assign_license": (
        {"user": AISHA, "sku": "SPB"},
        {"user_id": USER, "had_sku": False},
        {"user_id": USER, "sku_id": SKU, "sku": "SPB"},
        "m365_remove_license",
        {"user": USER, "sku": SKU},
    ),
    "m365_remove_license": (
        {"user": AISHA, "sku": "SPB"},
        {"user_id": USER, "sku_id": SKU, "sku": "SPB"},
        {"user_id": USER, "had_sku": False},
        "m365_assign_license",
        {"user": USER, "sku": SKU},
    ),
    "m365_set_out_of_office": (
        {"user": AISHA, "enabled": True, "internal_message": "Away"},
        {
            "user_id": USER,
            "enabled": False,
            "internal_message": "",
            "external_message": "",
            "external_audience": "all",
        },
        {
            "user_id": USER,
            "enabled": True,
            "internal_message": "Away",
            "external_message": "",
            "external_audience": "all",
        },
        "m365_set_out_of_office",
        {
            "user": USER,
            "enabled": False,
            "internal_message": "",
            "external_message": "",
            "external_audience": "all",
        },
    ),
    "m365_update_profile": (
        {"user": AISHA, "job_title": "Solicitor", "manager": "dlane@whitmorelane.co.uk"},
        {
            "user_id": USER,
            "job_title": "Trainee",
            "manager": "Eleanor Whitmore <ewhitmore@whitmorelane.co.uk>",
        },
        {"user_id": USER, "job_title": "Solicitor", "manager_id": "m-2"},
        "m365_update_profile",
        {"user": USER, "job_title": "Trainee", "manager": "ewhitmore@whitmorelane.co.uk"},
    ),
    "set_ticket_status": (
        {"status": "In Progress"},
        {"status": "New", "status_id": "11"},
        {"status": "In Progress", "status_id": "12"},
        "set_ticket_status",
        {"status": "11"},
    ),
    "assign_ticket": (
        {"board": "Projects", "member": "akowalski"},
        {"board": "Service Desk", "board_id": "1", "assignee": "Jamie Smith", "assignee_id": "102"},
        {"board": "Projects", "board_id": "2", "assignee": "Anna Kowalski", "assignee_id": "103"},
        "assign_ticket",
        {"board": "1", "member": "102"},
    ),
    "classify_ticket": (
        {"priority": "P2 High"},
        {"priority": "P3 Normal", "priority_id": "3"},
        {"priority": "P2 High", "priority_id": "2"},
        "classify_ticket",
        {"priority": "3"},
    ),
}


@pytest.mark.parametrize("tool", sorted(INVERSE_CASES))
def test_each_reversible_tool_has_its_inverse(tool: str) -> None:
    args, before, after, inverse_tool, inverse_args = INVERSE_CASES[tool]
    inverse = inverse_of(tool, risk="write", args=args, result={"before": before, "after": after})
    assert (inverse.tool_name, inverse.args) == (inverse_tool, inverse_args)
    assert inverse.now and inverse.restores and inverse.now != inverse.restores
    no_change = {"summary": "already so", "before": None, "after": None}
    with pytest.raises(NotReversible) as nothing:
        inverse_of(tool, risk="write", args=args, result=no_change)
    assert nothing.value.code == "nothing_to_undo"  # undoing a no-op would change what it never touched


def test_every_write_tool_is_either_undoable_or_says_why_not() -> None:
    writes = {action.name: action for action in ALL_ACTIONS if action.writes}
    assert set(INVERSES) | set(CANNOT_UNDO) == set(writes)
    assert set(INVERSES) == set(INVERSE_CASES)
    for name, action in writes.items():
        if not action.reversible:  # its approval card said "Cannot be undone"
            assert name in CANNOT_UNDO, name
    with pytest.raises(NotReversible, match="not reversible by Deskhand"):
        inverse_of("m365_disable_sign_in", risk="destructive", args={"user": AISHA}, result={})


def test_an_unrecoverable_earlier_value_is_refused() -> None:
    with pytest.raises(NotReversible, match="had no assignee before"):
        inverse_of(
            "assign_ticket",
            risk="write",
            args={"member": "jsmith"},
            result={"before": {"assignee": None, "assignee_id": None}, "after": {"assignee": "Jamie Smith"}},
        )


async def test_an_expired_undo_request_just_closes(tmp_path: Path) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from agent.approval_tables import Approval
    from agent.resume import expire_and_resume
    from core.clock import system_clock

    async with _worked_ticket(tmp_path, None) as (stack, run_id, _):
        original = await _call(stack, run_id, "set_ticket_status")
        approval = (await _request(stack, run_id, original["tool_call_id"])).json()
        db = Database(stack.settings.resolved_database_url)
        async with db.write_session() as session:
            await session.execute(update(Approval).values(expires_at=system_clock() - timedelta(minutes=1)))
        await db.dispose()
        resumed = await expire_and_resume()
        await asyncio.sleep(0.3)
        decided = (await stack.api.get(f"/api/v1/approvals/{approval['id']}", headers=stack.auth)).json()
        run = (await stack.api.get(f"/api/v1/runs/{run_id}", headers=stack.auth)).json()
        status = _psa(stack).ticket(TICKET).status

    assert resumed == 0  # no paused run behind an undo request: nothing resumes, nothing fails
    assert decided["status"] == "expired"
    assert run["status"] == "succeeded" and status == "In Progress"
    assert not any(c["tool_call_id"] == approval["tool_call_id"] for c in run["tool_calls"])
