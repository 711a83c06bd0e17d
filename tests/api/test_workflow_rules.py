"""Issue 6's workflow rules, each through the API, on SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.sandbox import TENANT_BY_COMPANY
from evals.fakes.llm import ScriptedLLM, agent_sets_status, listed_workflows, match_by_keyword
from tests.harness import Stack, make_settings, running_stack
from tests.psa_kits import sandbox_kit
from workflows.templates import TEMPLATES

W = "/api/v1/workflows"
M365_STEPS = "1. Look the user up with `m365_find_user`.\n2. Add them to the group with `m365_add_to_group`."


def _llm() -> ScriptedLLM:
    return ScriptedLLM(matcher=match_by_keyword("printer"), agent=agent_sets_status("New"))


async def _client(stack: Stack, name: str, tenant: str | None = None) -> int:
    body: dict[str, Any] = {"name": name}
    if tenant:
        body["m365_tenant_id"] = tenant
    created = await stack.api.post("/api/v1/clients", json=body, headers=stack.auth)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def _connect_m365(stack: Stack) -> None:
    created = await stack.api.post(
        "/api/v1/integrations",
        json={"kind": "sandbox_m365", "name": "Client tenants", "config": {"store": f"rules-{id(stack)}"}},
        headers=stack.auth,
    )
    assert created.status_code == 201, created.text


async def test_creating_a_workflow_needs_an_integration(tmp_path: Path, database_url: str | None) -> None:
    async with running_stack(make_settings(tmp_path, database_url), _llm(), with_integration=False) as stack:
        refused = await stack.api.post(W, json={"title": "Printers"}, headers=stack.auth)
        from_template = await stack.api.post(f"{W}/templates/reset-password", json={}, headers=stack.auth)
        listed = await stack.api.get(f"{W}/templates", headers=stack.auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "no_integration")
    assert "Settings → Integrations" in refused.json()["detail"]
    assert from_template.status_code == 409
    assert all(item["missing_integrations"] for item in listed.json()["items"])


async def test_activation_rules_status_changes_and_delete(tmp_path: Path, database_url: str | None) -> None:
    async with running_stack(make_settings(tmp_path, database_url), _llm()) as stack:
        api, auth = stack.api, stack.auth
        no_trigger = await api.post(W, json={"title": "T", "status": "active"}, headers=auth)
        unknown_tool = await api.post(
            W,
            json={"title": "T", "trigger": "Printer jams.", "instructions": "1. Run `fix_printer`.",
                  "status": "active"},
            headers=auth,
        )  # fmt: skip
        needs_m365 = await api.post(
            W,
            json={"title": "Groups", "trigger": "Group requests.", "instructions": M365_STEPS},
            headers=auth,
        )
        wid = needs_m365.json()["id"]
        activate = await api.patch(f"{W}/{wid}", json={"status": "active"}, headers=auth)
        still = (await api.get(f"{W}/{wid}", headers=auth)).json()
        await _connect_m365(stack)
        activated = await api.patch(f"{W}/{wid}", json={"status": "active"}, headers=auth)
        client_id = await _client(stack, "No tenant yet")
        scoped = await api.post(
            W,
            json={"title": "Groups", "trigger": "Group requests.", "instructions": M365_STEPS,
                  "client_id": client_id, "status": "active"},
            headers=auth,
        )  # fmt: skip
        archived = await api.patch(f"{W}/{wid}", json={"status": "archived"}, headers=auth)
        back_to_draft = await api.patch(f"{W}/{wid}", json={"status": "draft"}, headers=auth)
        active_again = await api.patch(f"{W}/{wid}", json={"status": "active"}, headers=auth)
        unconfirmed = await api.delete(f"{W}/{wid}", headers=auth)
        kept = await api.get(f"{W}/{wid}", headers=auth)
        deleted = await api.delete(f"{W}/{wid}", params={"confirm": "true"}, headers=auth)
        gone = await api.get(f"{W}/{wid}/versions", headers=auth)

    assert (no_trigger.status_code, no_trigger.json()["code"]) == (400, "trigger_required")
    assert (unknown_tool.status_code, unknown_tool.json()["code"]) == (400, "unknown_tool")
    assert "`fix_printer`" in unknown_tool.json()["detail"]
    assert needs_m365.json()["requires"] == ["psa", "m365"]
    assert needs_m365.json()["missing_integrations"] == ["m365"]
    assert (activate.status_code, activate.json()["code"]) == (409, "integration_missing")
    assert "Microsoft 365" in activate.json()["detail"] and "stays a draft" in activate.json()["detail"]
    assert (still["status"], still["version"]) == ("draft", 1)
    assert activated.status_code == 200 and activated.json()["missing_integrations"] == []
    # A client's own workflow needs that client's tenant, not just the integration.
    assert scoped.status_code == 409 and "this client's tenant" in scoped.json()["detail"]
    assert [r.json()["status"] for r in (archived, back_to_draft, active_again)] == [
        "archived",
        "draft",
        "active",
    ]
    assert (unconfirmed.status_code, unconfirmed.json()["code"]) == (400, "confirmation_required")
    assert kept.status_code == 200
    assert deleted.status_code == 204 and gone.status_code == 404


async def test_only_active_workflows_are_matched_and_own_overrides_shared(tmp_path: Path) -> None:
    kit = sandbox_kit()
    company = "251"
    async with running_stack(make_settings(tmp_path, None), _llm(), kit=kit) as stack:
        api, auth = stack.api, stack.auth
        client = await api.post(
            "/api/v1/clients",
            json={"name": "Whitmore & Lane", "m365_tenant_id": TENANT_BY_COMPANY[company],
                  "psa_companies": [{"integration_id": stack.integration_id,
                                     "company_external_id": company}]},
            headers=auth,
        )  # fmt: skip
        client_id = client.json()["id"]
        shared = await stack.create_workflow(title="Printer  problems", trigger="Any printer problem.")
        own = await stack.create_workflow(
            title="printer problems ", trigger="Printer problems at this firm.", client_id=client_id
        )
        await stack.create_workflow(title="Draft printer", trigger="Printer drafts.", status="draft")
        archived = await stack.create_workflow(title="Old printer", trigger="Printer archive.")
        await api.patch(f"{W}/{archived['id']}", json={"status": "archived"}, headers=auth)
        from connectors.sandbox import SandboxStore, ticket_event

        ticket = SandboxStore.named(kit.config["store"]).ticket("5004")  # a Whitmore & Lane ticket
        response = await stack.deliver_event(ticket_event(ticket, "created", actor="portal"))
        done = await stack.wait_for_event(response.json()["event_id"])
        detail = (await api.get(f"/api/v1/runs/{done['id']}", headers=auth)).json()

    read_by_model = [trigger for request in stack.llm.requests for _, trigger in listed_workflows(request)]
    assert read_by_model == ["Printer problems at this firm."]
    outcomes = {d["workflow_id"]: (d["outcome"], d["reason"]) for d in detail["decisions"]}
    assert outcomes[own["id"]][0] == "matched"
    assert outcomes[shared["id"]][0] == "overridden" and f"#{own['id']}" in outcomes[shared["id"]][1]
    assert set(outcomes) == {own["id"], shared["id"]}  # the draft and the archived one are never considered


async def test_autosave_versions_diff_and_restore(tmp_path: Path, database_url: str | None) -> None:
    async with running_stack(make_settings(tmp_path, database_url), _llm()) as stack:
        api, auth = stack.api, stack.auth
        created = await stack.create_workflow(
            title="VPN", trigger="VPN problems.", instructions="1. Check it."
        )
        wid = created["id"]
        first = await api.patch(f"{W}/{wid}", json={"instructions": "1. Check it.\n2. Restart the tunnel.",
                                                    "base_version": 1}, headers=auth)  # fmt: skip
        same = await api.patch(f"{W}/{wid}", json={"instructions": "1. Check it.\n2. Restart the tunnel."},
                               headers=auth)  # fmt: skip
        stale = await api.patch(f"{W}/{wid}", json={"title": "Other tab", "base_version": 1}, headers=auth)
        second = await api.patch(f"{W}/{wid}", json={"title": "VPN outages", "base_version": 2}, headers=auth)
        versions = (await api.get(f"{W}/{wid}/versions", headers=auth)).json()
        one = (await api.get(f"{W}/{wid}/versions/1", headers=auth)).json()
        diff = (await api.get(f"{W}/{wid}/diff", params={"from": 1, "to": 3}, headers=auth)).json()
        stale_restore = await api.post(
            f"{W}/{wid}/versions/1/restore", json={"base_version": 2}, headers=auth
        )
        restored = await api.post(f"{W}/{wid}/versions/1/restore", json={"base_version": 3}, headers=auth)
        missing = await api.get(f"{W}/{wid}/versions/9", headers=auth)

    assert first.json()["version"] == 2 and first.json()["updated_at"] > created["updated_at"]
    assert same.json()["version"] == 2  # an autosave that changes nothing is not a new version
    assert stale.status_code == 409 and "current version is 2" in stale.json()["detail"]
    assert second.json()["version"] == 3
    assert versions["current_version"] == 3 and [v["version"] for v in versions["items"]] == [3, 2, 1]
    assert (one["title"], one["instructions"]) == ("VPN", "1. Check it.")
    assert {c["field"] for c in diff["changes"]} == {"title", "instructions"}
    instructions = next(c for c in diff["changes"] if c["field"] == "instructions")
    assert "+2. Restart the tunnel." in instructions["unified"]
    assert stale_restore.status_code == 409
    body = restored.json()
    assert (body["version"], body["title"], body["instructions"], body["status"]) == (
        4,
        "VPN",
        "1. Check it.",
        "active",
    )
    assert missing.status_code == 404 and "current is 4" in missing.json()["detail"]


async def test_templates_say_what_they_require_and_start_as_drafts(
    tmp_path: Path, database_url: str | None
) -> None:
    async with running_stack(make_settings(tmp_path, database_url), _llm()) as stack:
        api, auth = stack.api, stack.auth
        before = (await api.get(f"{W}/templates", headers=auth)).json()["items"]
        onboard = await api.post(f"{W}/templates/onboard-new-hire", json={}, headers=auth)
        activate = await api.patch(f"{W}/{onboard.json()['id']}", json={"status": "active"}, headers=auth)
        triage = await api.post(
            f"{W}/templates/enrich-similar-tickets", json={"title": "Enrich"}, headers=auth
        )
        triage_active = await api.patch(f"{W}/{triage.json()['id']}", json={"status": "active"}, headers=auth)
        unknown = await api.post(f"{W}/templates/no-such-template", json={}, headers=auth)
        await _connect_m365(stack)
        after = (await api.get(f"{W}/templates", headers=auth)).json()["items"]
        activated = await api.patch(f"{W}/{onboard.json()['id']}", json={"status": "active"}, headers=auth)

    assert len(before) == 13 == len(TEMPLATES)
    hints = {t["key"]: t["requires_hint"] for t in before}
    assert hints["onboard-new-hire"] == "Requires Microsoft 365"
    assert hints["update-ticket-status"] is None
    assert all(t["requires_hint"] is None for t in after)
    assert onboard.status_code == 201 and onboard.json()["status"] == "draft"
    assert onboard.json()["missing_integrations"] == ["m365"]
    assert activate.status_code == 409 and "Microsoft 365" in activate.json()["detail"]
    assert triage.json()["title"] == "Enrich" and triage_active.json()["status"] == "active"
    assert unknown.status_code == 404
    assert activated.status_code == 200 and activated.json()["status"] == "active"
