"""Clients set up ahead of their first ticket: PSA companies mapped, Microsoft 365 tenant recorded."""

from __future__ import annotations

from pathlib import Path

from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack

TENANT = "6f1c3a52-8d0e-4c8b-9a57-3e2d1b0c4f11"


async def test_create_client_with_company_and_tenant_then_tickets_resolve_to_it(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(801, summary="Printer offline")
    company_id = str(fake_cw.tickets[801]["company"]["id"])
    llm = ScriptedLLM(matcher=match_by_keyword("nothing"), agent=agent_sets_status("New"))
    async with running_stack(make_settings(tmp_path, None), llm, fake_cw) as stack:
        body = {
            "name": "Acme Dental",
            "m365_tenant_id": TENANT.upper(),
            "psa_companies": [{"integration_id": stack.integration_id, "company_external_id": company_id}],
        }
        created = await stack.api.post("/api/v1/clients", json=body, headers=stack.auth)
        again = await stack.api.post("/api/v1/clients", json={**body, "name": "Other"}, headers=stack.auth)
        bad_tenant = await stack.api.patch(
            f"/api/v1/clients/{created.json()['id']}", json={"m365_tenant_id": "contoso"}, headers=stack.auth
        )
        response = await stack.deliver(stack.ticket_callback(801, message_id="c-1"))
        run = await stack.wait_for_event(response.json()["event_id"])

    assert created.status_code == 201
    assert created.json()["m365_tenant_id"] == TENANT
    assert again.status_code == 409 and "already belongs to client" in again.json()["detail"]
    assert bad_tenant.status_code == 422
    assert run["client_id"] == created.json()["id"]  # the ticket landed on the prepared client
