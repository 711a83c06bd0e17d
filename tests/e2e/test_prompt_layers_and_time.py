"""Prompt layers (base -> MSP -> client) reaching the model, who may change them, and time entries logged
for workflows with ``log_time`` through the real tool and its policy; through the API and full pipeline."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.prompts import BASE_INSTRUCTIONS
from api.auth import CSRF_HEADER, SESSION_COOKIE
from core.fencing import UNTRUSTED_RULE
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, is_matcher, match_by_keyword
from tests.harness import Stack, make_settings, running_stack

MSP_TEXT = "Always write notes in British English and sign them 'Acme MSP'."
CLIENT_TEXT = "Contoso's printers are leased from PrintCo: never reorder toner yourself."
PASSWORD = "a long passphrase 1"


def _systems(request: dict[str, Any]) -> list[str]:
    return [str(m["content"]) for m in request["messages"] if m["role"] == "system"]


def _agent_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if not is_matcher(r)]


async def _run(stack: Stack, ticket_id: int, message_id: str) -> dict[str, Any]:
    response = await stack.deliver(stack.ticket_callback(ticket_id, message_id=message_id))
    done = await stack.wait_for_event(response.json()["event_id"])
    return dict((await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json())


async def _client(stack: Stack, name: str, company_id: int, **settings: Any) -> int:
    body = {
        "name": name,
        "agent_mode": "execute",
        "psa_companies": [{"integration_id": stack.integration_id, "company_external_id": str(company_id)}],
        **settings,
    }
    response = await stack.api.post("/api/v1/clients", json=body, headers=stack.auth)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_the_msp_and_client_layers_follow_the_base_in_order_for_their_client_only(
    tmp_path: Path, database_url: str | None
) -> None:
    fake = FakeConnectWise()
    fabrikam = cw.company_ref(260, "Fabrikam", "Fabrikam Inc")
    fake.add_ticket(6101, summary="Printer jams at Fabrikam", company=fabrikam)
    fake.add_ticket(6102, summary="Printer jams at Contoso")
    fake.add_ticket(6103, summary="Printer jams at Fabrikam again", company=fabrikam)
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, database_url), llm, fake) as stack:
        contoso = await _client(stack, "Contoso", 250)
        await _client(stack, "Fabrikam", 260)
        await stack.create_workflow(title="Printers", trigger="A printer problem.", instructions="1. Look.")
        await stack.set_policy("set_ticket_status", "auto")
        await _run(stack, 6101, "m1")
        before_layers = _agent_requests(llm.requests)
        put_msp = await stack.api.put("/api/v1/prompts/msp", json={"text": MSP_TEXT}, headers=stack.auth)
        put_client = await stack.api.put(
            f"/api/v1/prompts/clients/{contoso}", json={"text": f"  {CLIENT_TEXT}\n"}, headers=stack.auth
        )
        seen = len(llm.requests)
        contoso_run = await _run(stack, 6102, "m2")
        contoso_requests = _agent_requests(llm.requests[seen:])
        seen = len(llm.requests)
        await _run(stack, 6103, "m3")
        fabrikam_requests = _agent_requests(llm.requests[seen:])
        effective = (
            await stack.api.get(
                "/api/v1/prompts/effective", params={"client_id": contoso}, headers=stack.auth
            )
        ).json()
        read_back = (await stack.api.get(f"/api/v1/prompts/clients/{contoso}", headers=stack.auth)).json()
        too_long = await stack.api.put("/api/v1/prompts/msp", json={"text": "x" * 4001}, headers=stack.auth)

    assert put_msp.status_code == 200 and put_client.status_code == 200
    # Before any layer is written the model gets the base prompt alone.
    assert before_layers and all(_systems(r) == [BASE_INSTRUCTIONS] for r in before_layers)
    # Contoso: base, then the MSP's, then the client's, each request of the run (the tool round too).
    assert len(contoso_requests) == 2
    for request in contoso_requests:
        text = "\n\n".join(_systems(request))
        assert text.startswith(BASE_INSTRUCTIONS)
        base_at, msp_at, client_at = (
            text.index(BASE_INSTRUCTIONS),
            text.index(MSP_TEXT),
            text.index(CLIENT_TEXT),
        )
        assert (
            base_at
            < text.index("MSP instructions:")
            < msp_at
            < text.index("Client instructions:")
            < client_at
        )
        assert "cannot lift a rule above" in text[:msp_at]  # the layers are introduced as subordinate
        assert text.endswith(UNTRUSTED_RULE)  # and the base's untrusted-data rule has the last word
    assert effective["instructions"] == "\n\n".join(_systems(contoso_requests[0]))
    assert [layer["layer"] for layer in effective["layers"]] == ["base", "msp", "client"]
    assert [layer["editable"] for layer in effective["layers"]] == [False, True, True]
    # Fabrikam: the MSP's layer, and no other client's.
    fabrikam_text = "\n\n".join(_systems(fabrikam_requests[0]))
    assert MSP_TEXT in fabrikam_text and CLIENT_TEXT not in fabrikam_text
    assert "Client instructions:" not in fabrikam_text
    assert read_back["text"] == CLIENT_TEXT and read_back["updated_by"] == "service token tests"
    assert too_long.status_code == 422
    # A workflow without log_time books no time, whatever the layers say.
    assert contoso_run["status"] == "succeeded" and _time_posts(fake) == []


async def _token_for(stack: Stack, email: str, role: str) -> dict[str, str]:
    body = {"email": email, "display_name": email.split("@")[0], "role": role, "password": PASSWORD}
    created = await stack.api.post("/api/v1/users", json=body, headers=stack.auth)
    assert created.status_code == 201, created.text
    login = await stack.api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookie_headers = {
        "Cookie": f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}",
        CSRF_HEADER: login.json()["csrf_token"],
    }
    token = await stack.api.post("/api/v1/users/me/tokens", json={"name": "t"}, headers=cookie_headers)
    assert token.status_code == 201, token.text
    stack.api.cookies.clear()
    return {"Authorization": f"Bearer {token.json()['token']}"}


async def test_only_admins_change_prompt_layers_and_each_change_is_audited(tmp_path: Path) -> None:
    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    async with running_stack(make_settings(tmp_path, None), llm) as stack:
        viewer = await _token_for(stack, "vic@msp.example", "viewer")
        technician = await _token_for(stack, "tess@msp.example", "technician")
        admin = await _token_for(stack, "ada@msp.example", "admin")
        client_id = await _client(stack, "Contoso", 250)
        by_viewer = await stack.api.put("/api/v1/prompts/msp", json={"text": "Be terse."}, headers=viewer)
        by_technician = await stack.api.put(
            "/api/v1/prompts/msp", json={"text": "Be terse."}, headers=technician
        )
        on_client = await stack.api.put(
            f"/api/v1/prompts/clients/{client_id}", json={"text": "Be kind."}, headers=technician
        )
        viewer_reads = await stack.api.get("/api/v1/prompts/msp", headers=viewer)
        by_admin = await stack.api.put("/api/v1/prompts/msp", json={"text": "Be terse."}, headers=admin)
        again = await stack.api.put("/api/v1/prompts/msp", json={"text": "Be terse."}, headers=admin)
        unknown = await stack.api.put("/api/v1/prompts/clients/999", json={"text": "x"}, headers=admin)
        after = (await stack.api.get("/api/v1/prompts/msp", headers=viewer)).json()
        audit = (
            await stack.api.get("/api/v1/audit", params={"action": "prompt.updated"}, headers=stack.auth)
        ).json()

    assert (by_viewer.status_code, by_technician.status_code, on_client.status_code) == (403, 403, 403)
    assert viewer_reads.status_code == 200 and viewer_reads.json()["text"] == ""
    assert by_admin.status_code == 200 and again.status_code == 200
    assert unknown.status_code == 404
    assert after["text"] == "Be terse." and after["updated_by"] == "ada"
    [entry] = audit["items"]  # the unchanged second save records nothing
    assert entry["actor_name"] == "ada"
    assert entry["detail"] == {"layer": "msp", "client_id": None, "before": "", "after": "Be terse."}


def _time_posts(fake: FakeConnectWise) -> list[Any]:
    return [r for r in fake.writes("POST") if r.path.endswith("/time/entries")]


async def _log_time_stack_run(stack: Stack, ticket_id: int) -> dict[str, Any]:
    await _client(stack, "Contoso", 250, time_work_type="Regular", time_billable=True, time_member="jsmith")
    await stack.create_workflow(
        title="Printers",
        trigger="A printer problem.",
        instructions="1. Set the status with `set_ticket_status`.",
        log_time=True,
    )
    await stack.set_policy("set_ticket_status", "auto")
    return await _run(stack, ticket_id, "m1")


def _assert_time_entry(body: dict[str, Any], ticket_id: int) -> None:
    start = datetime.fromisoformat(body["timeStart"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(body["timeEnd"].replace("Z", "+00:00"))
    assert (end - start).total_seconds() == 15 * 60  # a run of seconds is billed as one quarter hour
    assert body["chargeToId"] == ticket_id and body["chargeToType"] == "ServiceTicket"
    assert body["workType"] == {"id": 3}  # "Regular", from the client's settings
    assert body["billableOption"] == "Billable"
    assert body["member"] == {"identifier": "jsmith"}
    assert body["notes"] == ""  # customer-facing notes stay empty; the work list is internal
    lines = body["internalNotes"].splitlines()
    assert (
        lines[0].startswith(f"Deskhand worked ticket #{ticket_id} (run #")
        and "workflow: Printers" in lines[0]
    )
    assert lines[1:] == [f"- set_ticket_status: Ticket #{ticket_id}: status New → Waiting on Client"]


async def test_a_log_time_workflow_logs_its_work_at_once_under_policy_auto(tmp_path: Path) -> None:
    fake = FakeConnectWise()
    fake.add_ticket(6201, summary="Printer jams")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, fake) as stack:
        await stack.set_policy("log_time", "auto")
        run = await _log_time_stack_run(stack, 6201)

    assert run["status"] == "succeeded"
    [post] = _time_posts(fake)
    assert post.method == "POST" and post.path.endswith("/apis/3.0/time/entries")
    assert post.headers["content-type"].startswith("application/json") and fake.authorized(post.headers)
    _assert_time_entry(post.body, 6201)
    calls = {c["tool_name"]: c for c in run["tool_calls"]}
    assert calls["log_time"]["status"] == "ok"  # in Activity like any tool call
    assert calls["log_time"]["args"]["hours"] == 0.25 and calls["log_time"]["args"]["billable"] is True
    [note] = run["notes"]
    assert "Time entry: Logged 0.25 h for John Smith on ticket #6201" in note["text"]


async def _wait_status(stack: Stack, run_id: int, wanted: str) -> dict[str, Any]:
    for _ in range(400):
        detail = dict((await stack.api.get(f"/api/v1/runs/{run_id}", headers=stack.auth)).json())
        if detail["status"] == wanted:
            return detail
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} is {detail['status']}, not {wanted}")


async def test_under_policy_approval_the_time_entry_waits_for_a_technician_then_is_logged(
    tmp_path: Path,
) -> None:
    fake = FakeConnectWise()
    fake.add_ticket(6301, summary="Printer jams")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, fake) as stack:
        paused = await _log_time_stack_run(stack, 6301)  # log_time keeps the write default: approval
        pending = (await stack.api.get("/api/v1/approvals", headers=stack.auth)).json()["items"]
        posts_while_waiting = len(_time_posts(fake))
        decided = await stack.api.post(
            f"/api/v1/approvals/{pending[0]['id']}/approve", json={}, headers=stack.auth
        )
        done = await _wait_status(stack, paused["id"], "succeeded")

    assert paused["status"] == "waiting_approval"
    [approval] = pending
    assert approval["tool_name"] == "log_time" and approval["risk"] == "write"
    card = approval["card"]
    assert card["after"].startswith("a time entry of 0.25 h, work type ")
    assert ": Deskhand worked ticket #6301" in card["after"]
    assert "set_ticket_status: Ticket #6301: status New → Waiting on Client" in card["after"]
    assert card["undo"] == "Cannot be undone: once done, it stays done."
    assert "Workflow 'Printers' asks for the work on this ticket to be logged" in card["model_reason"]
    assert posts_while_waiting == 0  # nothing is booked before a technician says yes
    [first_note] = paused["notes"]
    assert "Set the status and left a summary." in first_note["text"]  # the run's own outcome is kept
    assert "log_time on ticket #6301" in first_note["text"]
    assert decided.status_code == 200 and decided.json()["resumed"] is True
    [post] = _time_posts(fake)
    _assert_time_entry(post.body, 6301)
    calls = [c for c in done["tool_calls"] if c["tool_name"] == "log_time"]
    assert [c["status"] for c in calls] == ["ok"]


async def test_a_run_that_pauses_carries_its_time_entry_in_the_same_pause(tmp_path: Path) -> None:
    fake = FakeConnectWise()
    fake.add_ticket(6401, summary="Printer jams")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    async with running_stack(make_settings(tmp_path, None), llm, fake) as stack:
        await _client(stack, "Contoso", 250, time_work_type="Regular")
        await stack.create_workflow(
            title="Printers", trigger="A printer problem.", instructions="1. Look.", log_time=True
        )
        paused = await _run(stack, 6401, "m1")  # both writes keep their default: approval
        pending = (await stack.api.get("/api/v1/approvals", headers=stack.auth)).json()["items"]
        for approval in pending:
            await stack.api.post(f"/api/v1/approvals/{approval['id']}/approve", json={}, headers=stack.auth)
        done = await _wait_status(stack, paused["id"], "succeeded")

    assert paused["status"] == "waiting_approval"
    assert sorted(a["tool_name"] for a in pending) == ["log_time", "set_ticket_status"]
    assert {a["round"] for a in pending} == {1}
    assert fake.tickets[6401]["status"]["name"] == "Waiting on Client"
    [post] = _time_posts(fake)
    assert post.body["workType"] == {"id": 3} and post.body["billableOption"] == "DoNotBill"
    assert "member" not in post.body  # no member configured: booked to Deskhand's own API member
    assert {c["tool_name"]: c["status"] for c in done["tool_calls"]} == {
        "set_ticket_status": "ok",
        "log_time": "ok",
    }
