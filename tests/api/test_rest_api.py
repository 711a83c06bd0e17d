"""The REST surface: auth, errors, workflow rules, secrets never shown, no-match and budget behaviour."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.database import Database
from core.tables import Integration
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, completion, match_by_keyword
from tests.harness import make_settings, running_stack


async def test_auth_errors_workflow_rules_and_masked_secrets(
    tmp_path: Path, database_url: str | None
) -> None:
    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    settings = make_settings(tmp_path, database_url)
    async with running_stack(settings, llm, FakeConnectWise()) as stack:
        api, auth = stack.api, stack.auth
        assert (await api.get("/healthz")).json() == {"status": "ok"}
        assert "/api/v1/workflows" in (await api.get("/openapi.json")).json()["paths"]
        no_token = await api.get("/api/v1/workflows")
        bad_token = await api.get("/api/v1/workflows", headers={"Authorization": "Bearer dh_wrong"})
        assert (no_token.status_code, no_token.json()["code"]) == (401, "missing_token")
        assert (bad_token.status_code, bad_token.json()["code"]) == (401, "invalid_token")

        inactive = await api.post("/api/v1/workflows", json={"title": "T", "status": "active"}, headers=auth)
        assert inactive.status_code == 400 and inactive.json()["code"] == "trigger_required"
        created = await stack.create_workflow(title="VPN", trigger="VPN problems", instructions="Check it")
        wid = created["id"]
        saved = await api.patch(
            f"/api/v1/workflows/{wid}", json={"instructions": "New", "base_version": 1}, headers=auth
        )
        assert saved.status_code == 200 and saved.json()["version"] == 2
        stale = await api.patch(
            f"/api/v1/workflows/{wid}", json={"title": "Old tab", "base_version": 1}, headers=auth
        )
        assert stale.status_code == 409 and "current version is 2" in stale.json()["detail"]
        unknown_client = await api.post(
            "/api/v1/workflows", json={"title": "X", "client_id": 12345}, headers=auth
        )
        assert unknown_client.status_code == 400 and unknown_client.json()["code"] == "unknown_client"
        listed = (await api.get("/api/v1/workflows", params={"status": "active"}, headers=auth)).json()
        assert [w["id"] for w in listed["items"]] == [wid]
        refused = await api.delete(f"/api/v1/workflows/{wid}", headers=auth)
        assert (refused.status_code, refused.json()["code"]) == (400, "confirmation_required")
        assert "archive" in refused.json()["detail"]
        deleted = await api.delete(f"/api/v1/workflows/{wid}", params={"confirm": "true"}, headers=auth)
        assert deleted.status_code == 204
        missing = await api.get(f"/api/v1/workflows/{wid}", headers=auth)
        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
        body_error = await api.post("/api/v1/workflows", json={"title": ""}, headers=auth)
        assert body_error.status_code == 422 and body_error.json()["code"] == "validation_error"

        integration = (await api.get(f"/api/v1/integrations/{stack.integration_id}", headers=auth)).json()
        assert integration["config"]["private_key"] == "••••••"
        assert integration["webhook_url"].endswith(f"/webhooks/connectwise/{stack.integration_id}")
        bad = await api.post(
            "/api/v1/integrations",
            json={"kind": "connectwise", "name": "x", "config": {"site": "na.myconnectwise.net"}},
            headers=auth,
        )
        assert bad.status_code == 400 and "company_id" in bad.json()["detail"]
        unknown_kind = await api.post(
            "/api/v1/integrations", json={"kind": "zendesk", "name": "x", "config": {}}, headers=auth
        )
        assert unknown_kind.status_code == 400
        assert (
            await api.put("/api/v1/policies/rm_rf", json={"mode": "auto"}, headers=auth)
        ).status_code == 404
        tested = (await api.post(f"/api/v1/integrations/{stack.integration_id}/test", headers=auth)).json()
        assert tested["ok"] is True and tested["learned"] == {"codebase": cw.CODEBASE}
        checks = {c["capability"]: c["ok"] for c in tested["checks"]}
        assert checks["read_tickets"] is True and checks["write_notes"] is True
        saved = (await api.get(f"/api/v1/integrations/{stack.integration_id}", headers=auth)).json()
        assert saved["config"]["codebase"] == cw.CODEBASE  # discovered once, then stored

    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            stored = (await session.scalars(select(Integration.config_encrypted))).all()
    finally:
        await db.dispose()
    assert stored and all(cw.PRIVATE_KEY not in s and cw.PUBLIC_KEY not in s for s in stored)


async def test_no_match_override_and_run_budget(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(701, summary="Printer toner low")
    llm = ScriptedLLM(
        matcher=match_by_keyword("nothing-matches-this"),
        agent=lambda request: completion(content="Toner is low; ordered nothing, flagged for a technician."),
    )
    settings = make_settings(tmp_path, None, run_budget_per_ticket=1)
    async with running_stack(settings, llm, fake_cw) as stack:
        await stack.create_workflow(
            title="Printer  problems", trigger="printer issues", instructions="Shared way"
        )
        first = await stack.deliver(stack.ticket_callback(701, message_id="b-1"))
        done = await stack.wait_for_event(first.json()["event_id"])
        client_id = done["client_id"]
        await stack.create_workflow(
            title="printer problems", trigger="printer issues", instructions="Client way", client_id=client_id
        )
        fake_cw.tickets[701]["summary"] = "Printer toner low - still"
        second = await stack.deliver(stack.ticket_callback(701, message_id="b-2"))
        over_budget = await stack.wait_for_event(second.json()["event_id"])
        retried = await stack.api.post(
            f"/api/v1/activity/events/{second.json()['event_id']}/retry", headers=stack.auth
        )
        manual = await stack.wait_for_event(second.json()["event_id"], attempt=2)
        detail = (await stack.api.get(f"/api/v1/runs/{manual['id']}", headers=stack.auth)).json()
        by_client = (
            await stack.api.get("/api/v1/activity", params={"client_id": client_id}, headers=stack.auth)
        ).json()
        first_detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()

    assert done["status"] == "succeeded"
    assert first_detail["plan"] == []
    [summary_note] = first_detail["notes"]
    assert summary_note["text"].startswith("[Deskhand] No workflow matched ticket #701")
    assert "Toner is low" in summary_note["text"]
    assert over_budget["status"] == "suppressed" and "run budget reached" in over_budget["status_reason"]
    assert retried.status_code == 202  # a technician's retry is not bound by the budget
    outcomes = {(d["workflow_title"], d["outcome"]) for d in detail["decisions"]}
    assert outcomes == {("printer problems", "not_matched"), ("Printer  problems", "overridden")}
    overridden = next(d for d in detail["decisions"] if d["outcome"] == "overridden")
    assert "replaced for this client" in overridden["reason"]
    assert len(by_client["runs"]) == 2
