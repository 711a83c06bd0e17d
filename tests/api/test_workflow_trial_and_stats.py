"""Trying a workflow before it goes live (try, backtest) and per-workflow analytics, through the API, on
SQLite and Postgres. Tickets really go through the pipeline first, so runs with stored tickets exist."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import null, update

from agent.tables import Run
from core.database import Database
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import (
    Reply,
    ScriptedLLM,
    completion,
    is_matcher,
    listed_workflows,
    output_tool_name,
    tool_results,
    user_text,
)
from tests.harness import Stack, make_settings, running_stack

W = "/api/v1/workflows"
SUBJECTS = ("printer", "vpn")


def match_on_shared_subject(request: dict[str, Any]) -> Reply:
    """Matches a workflow when its trigger and the ticket name the same subject (printer, VPN)."""
    ticket = user_text(request).split("Workflows:")[0].lower()
    decisions = []
    for wid, trigger in listed_workflows(request):
        shared = [s for s in SUBJECTS if s in trigger.lower() and s in ticket]
        reason = f"both are about {shared[0]}" if shared else "the ticket is about something else"
        decisions.append({"workflow_id": wid, "matched": bool(shared), "reason": reason})
    return completion(tool_calls=[(output_tool_name(request), {"decisions": decisions})])


def agent_by_ticket(request: dict[str, Any]) -> Reply:
    """Succeeds, asks to change the status (held for approval), or keeps calling a tool that does not
    exist until the run fails, depending on the ticket."""
    text = user_text(request)
    if "offline" in text:
        return completion(tool_calls=[("no_such_tool", {})])
    if "drops every hour" in text and not tool_results(request):
        return completion(tool_calls=[("set_ticket_status", {"status": "Waiting on Client"})])
    return completion(content="Read the ticket; nothing to change.")


def _fake_cw() -> FakeConnectWise:
    fake = FakeConnectWise()
    fake.add_ticket(701, summary="Printer jammed on floor 2")
    fake.add_ticket(702, summary="VPN drops every hour")
    fake.add_ticket(703, summary="Printer offline and the VPN is down")
    fake.add_ticket(
        704, summary="Keyboard missing keys", company=cw.company_ref(260, "Globex", "Globex Corp")
    )
    return fake


async def _run_of(stack: Stack, ticket_id: int, message_id: str) -> dict[str, Any]:
    response = await stack.deliver(stack.ticket_callback(ticket_id, message_id=message_id))
    assert response.status_code == 202, response.text
    done = await stack.wait_for_event(response.json()["event_id"])
    assert done["kind"] == "run", done
    return done


def _seconds(run: dict[str, Any]) -> float:
    started, finished = (datetime.fromisoformat(run[k]) for k in ("started_at", "finished_at"))
    return (finished - started).total_seconds()


async def _seed(stack: Stack) -> dict[str, Any]:
    """Clients A (company 250) and B (260, created on first sight); shared 'Printer problems' (S),
    A's own 'printer problems' (P, overrides S for A) and shared 'VPN' (V); five runs."""
    api, auth = stack.api, stack.auth
    company = {"integration_id": stack.integration_id, "company_external_id": "250"}
    client_a = await api.post(
        "/api/v1/clients", json={"name": "Contoso", "psa_companies": [company]}, headers=auth
    )
    a = client_a.json()["id"]
    steps = "1. Read the ticket.\n2. Summarise it."
    s = await stack.create_workflow(
        title="Printer problems", trigger="Printer jams, toner, paper.", instructions=steps
    )
    p = await stack.create_workflow(
        title="printer  problems", trigger="Printer problems at Contoso.", instructions=steps, client_id=a
    )
    v = await stack.create_workflow(title="VPN", trigger="VPN connection problems.", instructions=steps)
    runs = {
        "701a": await _run_of(stack, 701, "m-701a"),  # A: P matches; succeeds
        "702": await _run_of(stack, 702, "m-702"),  # A: V matches; waits for approval
        "703": await _run_of(stack, 703, "m-703"),  # A: P and V match; fails
        "704": await _run_of(stack, 704, "m-704"),  # B: nothing matches; succeeds
    }
    stack.cw.tickets[701]["summary"] = "Printer jammed on floor 2 again"
    runs["701b"] = await _run_of(stack, 701, "m-701b")  # A: P matches again; succeeds
    return {"a": a, "s": s["id"], "p": p["id"], "v": v["id"], "runs": runs}


async def test_try_backtest_and_stats(tmp_path: Path, database_url: str | None) -> None:
    fake = _fake_cw()
    llm = ScriptedLLM(matcher=match_on_shared_subject, agent=agent_by_ticket)
    settings = make_settings(tmp_path, database_url)
    async with running_stack(settings, llm, fake) as stack:
        api, auth = stack.api, stack.auth
        seed = await _seed(stack)
        runs = seed["runs"]
        draft = await stack.create_workflow(
            title="Printers (draft)", trigger="Any printer trouble.", status="draft"
        )
        d = draft["id"]
        detail_before = (await api.get(f"/api/v1/runs/{runs['701a']['id']}", headers=auth)).json()
        psa_calls, model_calls = len(fake.requests), len(llm.requests)

        tried_match = await api.post(f"{W}/{d}/try", json={"run_id": runs["701a"]["id"]}, headers=auth)
        try_prompt = llm.requests[-1]
        tried_other = await api.post(f"{W}/{d}/try", json={"run_id": runs["702"]["id"]}, headers=auth)
        await api.patch(f"{W}/{d}", json={"status": "archived"}, headers=auth)
        tried_archived = await api.post(f"{W}/{d}/try", json={"run_id": runs["701b"]["id"]}, headers=auth)
        tried_own = await api.post(f"{W}/{seed['p']}/try", json={"run_id": runs["703"]["id"]}, headers=auth)

        backtest_d = await api.post(f"{W}/{d}/backtest", json={"last": 2}, headers=auth)
        backtest_p = await api.post(f"{W}/{seed['p']}/backtest", json={}, headers=auth)
        await api.patch(
            f"{W}/{seed['v']}", json={"trigger": "VPN or printer connection problems."}, headers=auth
        )
        backtest_v = await api.post(f"{W}/{seed['v']}/backtest", json={"last": 200}, headers=auth)

        detail_after = (await api.get(f"/api/v1/runs/{runs['701a']['id']}", headers=auth)).json()
        new_psa_calls = fake.requests[psa_calls:]
        trial_prompts = llm.requests[model_calls:]

        all_stats = (await api.get(f"{W}/stats", headers=auth)).json()
        one_stats = (await api.get(f"{W}/{seed['p']}/stats", headers=auth)).json()
        since = runs["703"]["started_at"]
        since_stats = (await api.get(f"{W}/stats", params={"since": since}, headers=auth)).json()
        future = await api.get(
            f"{W}/{seed['v']}/stats", params={"since": "2999-01-01T00:00:00"}, headers=auth
        )

    # Try: the decision and reason for this one workflow, whatever its status.
    assert tried_match.status_code == 200, tried_match.text
    body = tried_match.json()
    assert (body["workflow_id"], body["matched"], body["reason"]) == (d, True, "both are about printer")
    assert body["ticket"] == {
        "run_id": runs["701a"]["id"],
        "ticket_external_id": "701",
        "number": "701",
        "summary": "Printer jammed on floor 2",
    }
    assert body["model"] == "openai/gpt-4o-mini"
    assert body["usage"]["requests"] == 1
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (120, 30)
    assert body["usage"]["cost_usd"] > 0
    # The model read the stored ticket and only this workflow's trigger.
    assert is_matcher(try_prompt) and listed_workflows(try_prompt) == [(d, "Any printer trouble.")]
    assert "Printer jammed on floor 2" in user_text(try_prompt) and "priority: Priority 3" in user_text(
        try_prompt
    )
    assert (tried_other.json()["matched"], tried_other.json()["reason"]) == (
        False,
        "the ticket is about something else",
    )
    assert tried_archived.status_code == 200 and tried_archived.json()["matched"] is True
    assert tried_own.status_code == 200 and tried_own.json()["matched"] is True

    # Backtest: the latest run of each distinct ticket, latest first, next to the real run's decision.
    bd = backtest_d.json()
    assert [(i["ticket"]["run_id"], i["matched"], i["change"]) for i in bd["items"]] == [
        (runs["701b"]["id"], True, "not_considered_then"),
        (runs["704"]["id"], False, "not_considered_then"),
    ]
    assert bd["totals"]["tickets"] == 2 and bd["totals"]["matched"] == 1
    assert bd["totals"]["cost_usd"] == pytest.approx(2 * body["usage"]["cost_usd"])
    bp = backtest_p.json()
    assert bp["client_id"] == seed["a"]  # client-scoped: only its client's tickets, 701 once
    assert [
        (i["ticket"]["number"], i["matched"], i["previous_outcome"], i["change"]) for i in bp["items"]
    ] == [
        ("701", True, "matched", "unchanged"),
        ("703", True, "matched", "unchanged"),
        ("702", False, "not_matched", "unchanged"),
    ]
    assert bp["items"][0]["ticket"]["summary"] == "Printer jammed on floor 2 again"
    bv = backtest_v.json()
    assert [
        (i["ticket"]["number"], i["matched"], i["previous_outcome"], i["change"]) for i in bv["items"]
    ] == [
        ("701", True, "not_matched", "would_now_match"),
        ("704", False, "not_matched", "unchanged"),
        ("703", True, "matched", "unchanged"),
        ("702", True, "matched", "unchanged"),
    ]
    assert bv["items"][0]["previous_reason"] == "the ticket is about something else"
    assert {
        k: bv["totals"][k] for k in ("tickets", "matched", "would_now_match", "would_no_longer_match")
    } == {
        "tickets": 4,
        "matched": 3,
        "would_now_match": 1,
        "would_no_longer_match": 0,
    }
    assert bv["totals"]["errors"] == 0

    # Nothing was written to Activity and the PSA was never called; one matcher call per ticket tried.
    assert detail_after == detail_before
    assert new_psa_calls == []
    assert len(trial_prompts) == 4 + 2 + 3 + 4 and all(is_matcher(r) for r in trial_prompts)
    assert all(len(listed_workflows(r)) == 1 for r in trial_prompts)

    # Analytics, from Activity only.
    statuses = {name: run["status"] for name, run in runs.items()}
    assert statuses == {
        "701a": "succeeded",
        "702": "waiting_approval",
        "703": "failed",
        "704": "succeeded",
        "701b": "succeeded",
    }
    by_id = {item["workflow_id"]: item for item in all_stats["items"]}
    assert list(by_id) == [seed["s"], seed["p"], seed["v"], d]
    assert by_id[seed["p"]] == one_stats
    cost = {name: run["cost_usd"] for name, run in runs.items()}
    assert all(c and c > 0 for c in cost.values())
    expected_p = {
        "workflow_id": seed["p"],
        "workflow_title": "printer  problems",
        "status": "active",
        "considered": 4,
        "matches": 3,
        "not_matched": 1,
        "not_shortlisted": 0,
        "overridden": 0,
        "runs": 3,
        "finished_runs": 3,
        "succeeded_runs": 2,
        "success_rate": pytest.approx(2 / 3),
        "average_duration_seconds": pytest.approx(
            sum(_seconds(runs[n]) for n in ("701a", "703", "701b")) / 3, abs=1e-3
        ),
        "approvals_requested": 0,
        "cost_usd": pytest.approx(cost["701a"] + cost["703"] + cost["701b"]),
    }
    assert one_stats == expected_p
    v_stats = by_id[seed["v"]]
    assert {k: v_stats[k] for k in ("considered", "matches", "not_matched", "overridden", "runs")} == {
        "considered": 5,
        "matches": 2,
        "not_matched": 3,
        "overridden": 0,
        "runs": 2,
    }
    assert (v_stats["finished_runs"], v_stats["succeeded_runs"], v_stats["success_rate"]) == (1, 0, 0.0)
    assert v_stats["average_duration_seconds"] == pytest.approx(_seconds(runs["703"]), abs=1e-3)
    assert v_stats["approvals_requested"] == 1  # 702's status change, held for approval
    assert v_stats["cost_usd"] == pytest.approx(cost["702"] + cost["703"])
    s_stats = by_id[seed["s"]]
    assert (s_stats["considered"], s_stats["overridden"], s_stats["not_matched"], s_stats["matches"]) == (
        5,
        4,
        1,
        0,
    )
    assert (s_stats["runs"], s_stats["success_rate"], s_stats["average_duration_seconds"]) == (0, None, None)
    assert s_stats["cost_usd"] == 0.0
    assert by_id[d]["considered"] == 0 and by_id[d]["status"] == "archived"

    # Since 703 started: runs 703, 704 and 701b only.
    after = {item["workflow_id"]: item for item in since_stats["items"]}
    assert datetime.fromisoformat(since_stats["since"]) == datetime.fromisoformat(since)
    p_after, v_after, s_after = after[seed["p"]], after[seed["v"]], after[seed["s"]]
    assert (p_after["considered"], p_after["matches"], p_after["finished_runs"], p_after["success_rate"]) == (
        2,
        2,
        2,
        0.5,
    )
    assert (v_after["considered"], v_after["matches"], v_after["approvals_requested"]) == (3, 1, 0)
    assert v_after["cost_usd"] == pytest.approx(cost["703"])
    assert (s_after["considered"], s_after["overridden"], s_after["not_matched"]) == (3, 2, 1)
    assert future.status_code == 200 and future.json()["considered"] == 0 and future.json()["cost_usd"] == 0.0


async def test_try_and_backtest_refuse_with_clear_errors(tmp_path: Path, database_url: str | None) -> None:
    fake = _fake_cw()
    llm = ScriptedLLM(matcher=match_on_shared_subject, agent=agent_by_ticket)
    settings = make_settings(tmp_path, database_url)
    async with running_stack(settings, llm, fake) as stack:
        api, auth = stack.api, stack.auth
        company = {"integration_id": stack.integration_id, "company_external_id": "250"}
        client_a = await api.post(
            "/api/v1/clients", json={"name": "Contoso", "psa_companies": [company]}, headers=auth
        )
        own = await stack.create_workflow(
            title="Printers", trigger="Printer problems at Contoso.", client_id=client_a.json()["id"]
        )
        shared = await stack.create_workflow(title="Printers everywhere", trigger="Any printer trouble.")
        no_trigger = await stack.create_workflow(title="Untitled idea", status="draft")
        run_a = await _run_of(stack, 701, "e-701")
        run_b = await _run_of(stack, 704, "e-704")
        model_calls = len(llm.requests)

        unknown_run = await api.post(f"{W}/{shared['id']}/try", json={"run_id": 99999}, headers=auth)
        unknown_workflow = await api.post(f"{W}/99999/try", json={"run_id": run_a["id"]}, headers=auth)
        unknown_backtest = await api.post(f"{W}/99999/backtest", json={}, headers=auth)
        unknown_stats = await api.get(f"{W}/99999/stats", headers=auth)
        without_trigger = await api.post(
            f"{W}/{no_trigger['id']}/try", json={"run_id": run_a["id"]}, headers=auth
        )
        backtest_without_trigger = await api.post(f"{W}/{no_trigger['id']}/backtest", json={}, headers=auth)
        other_client = await api.post(f"{W}/{own['id']}/try", json={"run_id": run_b["id"]}, headers=auth)
        too_many = await api.post(f"{W}/{shared['id']}/backtest", json={"last": 201}, headers=auth)
        refused_calls = llm.requests[model_calls:]

        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:  # as runs recorded before tickets were stored
                await session.execute(update(Run).where(Run.id == run_b["id"]).values(ticket_snapshot=null()))
        finally:
            await db.dispose()
        no_snapshot = await api.post(f"{W}/{shared['id']}/try", json={"run_id": run_b["id"]}, headers=auth)
        backtest = await api.post(f"{W}/{shared['id']}/backtest", json={}, headers=auth)

    assert (unknown_run.status_code, unknown_run.json()["code"]) == (404, "not_found")
    assert "run 99999 does not exist" in unknown_run.json()["detail"]
    assert [r.status_code for r in (unknown_workflow, unknown_backtest, unknown_stats)] == [404, 404, 404]
    assert (without_trigger.status_code, without_trigger.json()["code"]) == (400, "trigger_required")
    assert "write its one-sentence trigger" in without_trigger.json()["detail"]
    assert backtest_without_trigger.status_code == 400
    assert (other_client.status_code, other_client.json()["code"]) == (409, "other_client")
    assert "would never apply there" in other_client.json()["detail"]
    assert (too_many.status_code, too_many.json()["code"]) == (422, "validation_error")
    assert refused_calls == []  # nothing refused ever reached the model
    assert (no_snapshot.status_code, no_snapshot.json()["code"]) == (409, "no_ticket_snapshot")
    assert "older than ticket snapshots" in no_snapshot.json()["detail"]
    # A run without a stored ticket is skipped by the backtest.
    assert [i["ticket"]["run_id"] for i in backtest.json()["items"]] == [run_a["id"]]


async def test_trying_needs_a_model(tmp_path: Path, database_url: str | None) -> None:
    llm = ScriptedLLM(matcher=match_on_shared_subject, agent=agent_by_ticket)
    async with running_stack(make_settings(tmp_path, database_url, llm=False), llm, _fake_cw()) as stack:
        draft = await stack.create_workflow(title="Printers", trigger="Any printer trouble.", status="draft")
        tried = await stack.api.post(f"{W}/{draft['id']}/try", json={"run_id": 1}, headers=stack.auth)
        backtest = await stack.api.post(f"{W}/{draft['id']}/backtest", json={}, headers=stack.auth)
        stats = await stack.api.get(f"{W}/{draft['id']}/stats", headers=stack.auth)
    assert (tried.status_code, tried.json()["code"]) == (409, "llm_not_configured")
    assert "DESKHAND_LLM_MODEL" in tried.json()["detail"]
    assert (backtest.status_code, backtest.json()["code"]) == (409, "llm_not_configured")
    assert stats.status_code == 200 and stats.json()["matches"] == 0  # analytics need no model
    assert llm.requests == []
