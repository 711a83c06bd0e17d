"""A new-hire ticket on the sandbox PSA, an onboarding workflow and a scripted model: the user is created,
licensed and grouped in the client's own Microsoft 365 tenant, and Activity shows every call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors.sandbox import TENANT_BY_COMPANY, SandboxDirectoryStore, SandboxStore, ticket_event
from evals.fakes import msgraph_payloads as gp
from evals.fakes.llm import ScriptedLLM, agent_calls, match_by_keyword
from evals.fakes.msgraph import FakeGraph
from tests.harness import Stack, make_settings, running_stack
from tests.psa_kits import sandbox_kit

NEW_STARTER_TICKET = "5004"  # Whitmore & Lane: "New starter next Monday - Emily Clarke"
LAW_COMPANY = "251"
ONBOARDING = (
    ("m365_create_user", {
        "given_name": "Emily", "surname": "Clarke", "username": "eclarke", "domain": "whitmorelane.co.uk",
        "usage_location": "GB", "job_title": "Trainee Solicitor", "manager": "dlane@whitmorelane.co.uk",
    }),
    ("m365_assign_license", {"user": "eclarke@whitmorelane.co.uk", "sku": "SPB"}),
    ("m365_add_to_group", {"user": "eclarke@whitmorelane.co.uk", "group": "Trainees"}),
)  # fmt: skip


async def prepare(stack: Stack, directory_config: dict[str, Any], tenant: str) -> None:
    created = await stack.api.post(
        "/api/v1/integrations",
        json={"kind": directory_config.pop("kind"), "name": "Client tenants", "config": directory_config},
        headers=stack.auth,
    )
    assert created.status_code == 201, created.text
    client = await stack.api.post(
        "/api/v1/clients",
        json={
            "name": "Whitmore & Lane",
            "m365_tenant_id": tenant,
            "psa_companies": [{"integration_id": stack.integration_id, "company_external_id": LAW_COMPANY}],
        },
        headers=stack.auth,
    )
    assert client.status_code == 201, client.text
    await stack.create_workflow(
        title="New starter",
        trigger="The ticket asks to set up a new employee before their start date.",
        instructions="1. Create their Microsoft 365 account.\n2. Give them a Business Premium licence.\n"
        "3. Add them to the Trainees group.",
    )
    for tool, _ in ONBOARDING:
        await stack.set_policy(tool, "auto")


async def test_new_hire_ticket_creates_licenses_and_groups_the_user_on_the_sandbox_tenant(
    tmp_path: Path,
) -> None:
    kit = sandbox_kit()
    tenant = TENANT_BY_COMPANY[LAW_COMPANY]
    directory_store = f"nh-{kit.config['store']}"
    llm = ScriptedLLM(
        matcher=match_by_keyword("employee"), agent=agent_calls(*ONBOARDING, summary="Onboarded.")
    )
    async with running_stack(make_settings(tmp_path, None), llm, kit=kit) as stack:
        await prepare(stack, {"kind": "sandbox_m365", "store": directory_store}, tenant)
        ticket = SandboxStore.named(kit.config["store"]).ticket(NEW_STARTER_TICKET)
        response = await stack.deliver_event(ticket_event(ticket, "created", actor="portal"))
        done = await stack.wait_for_event(response.json()["event_id"])
        assert done["status"] == "succeeded", done
        detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()
        create_call = detail["tool_calls"][0]
        reveal = f"/api/v1/runs/{done['id']}/tool-calls/{create_call['tool_call_id']}/reveal-secret"
        first = await stack.api.post(reveal, headers=stack.auth)
        second = await stack.api.post(reveal, headers=stack.auth)
        after = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()

    calls = {c["tool_name"]: c for c in detail["tool_calls"]}
    assert list(calls) == [name for name, _ in ONBOARDING]
    assert all(c["status"] == "ok" for c in calls.values()), calls
    assert calls["m365_create_user"]["args"]["username"] == "eclarke"
    assert calls["m365_create_user"]["secret_held"] is True
    assert calls["m365_assign_license"]["result"]["after"]["sku"] == "SPB"
    assert calls["m365_add_to_group"]["result"]["summary"].endswith("to Trainees")

    assert first.status_code == 200 and len(first.json()["secret"]) == 16
    password = first.json()["secret"]
    assert second.status_code == 409  # shown once
    assert after["tool_calls"][0]["secret_held"] is False
    assert password not in json.dumps(detail) and password not in json.dumps(after)
    assert all(password not in str(r) for r in llm.requests)  # the model never saw it

    store = SandboxDirectoryStore.named(directory_store)
    emily = store.user(tenant, "eclarke@whitmorelane.co.uk")
    assert store.password_matches(tenant, emily.id, password)
    directory_calls = [c for c in store.calls if c in ("create_user", "change_licenses", "add_group_member")]
    assert directory_calls == ["create_user", "change_licenses", "add_group_member"]


async def test_new_hire_through_microsoft_graph_sends_the_real_graph_requests(tmp_path: Path) -> None:
    graph = FakeGraph()
    kit = sandbox_kit()
    upn = f"eclarke@{gp.DOMAIN_A}"
    onboarding = (
        ("m365_create_user", {
            "given_name": "Emily", "surname": "Clarke", "username": "eclarke", "domain": gp.DOMAIN_A,
            "usage_location": "US", "job_title": "Accountant",
        }),
        ("m365_assign_license", {"user": upn, "sku": "SPB"}),
        ("m365_add_to_group", {"user": upn, "group": "Finance"}),
    )  # fmt: skip
    agent = agent_calls(*onboarding, summary="Done.")
    llm = ScriptedLLM(matcher=match_by_keyword("employee"), agent=agent)
    async with running_stack(
        make_settings(tmp_path, None),
        llm,
        kit=kit,
        extra_fakes={gp.GRAPH_HOST: graph.handle},
        graph_credentials=lambda _config, tenant_id: graph.credential(tenant_id),
    ) as stack:
        config = {"kind": "msgraph", "client_id": gp.CLIENT_ID, "client_secret": gp.CLIENT_SECRET}
        await prepare(stack, config, gp.TENANT_A)
        ticket = SandboxStore.named(kit.config["store"]).ticket(NEW_STARTER_TICKET)
        response = await stack.deliver_event(ticket_event(ticket, "created", actor="portal"))
        done = await stack.wait_for_event(response.json()["event_id"])
        detail = (await stack.api.get(f"/api/v1/runs/{done['id']}", headers=stack.auth)).json()

    assert done["status"] == "succeeded", done
    summaries = [c["result"]["summary"] for c in detail["tool_calls"]]
    assert [c["status"] for c in detail["tool_calls"]] == ["ok", "ok", "ok"], summaries
    writes = [(w.method, w.path) for w in graph.writes()]
    created_id = detail["tool_calls"][0]["result"]["data"]["id"]
    assert writes == [
        ("POST", "/users"),
        ("POST", f"/users/{created_id}/assignLicense"),
        ("POST", f"/groups/{gp.FINANCE}/members/$ref"),
    ]
    create, assign, member = (w.body for w in graph.writes())
    assert (
        create["userPrincipalName"] == upn
        and create["passwordProfile"]["forceChangePasswordNextSignIn"] is True
    )
    assert create["passwordProfile"]["password"] not in json.dumps(detail)
    assert assign == {
        "addLicenses": [{"skuId": gp.SKU_BUSINESS_PREMIUM, "disabledPlans": []}],
        "removeLicenses": [],
    }
    assert member == {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{created_id}"}
    assert all(
        w.headers["authorization"] == graph.writes()[0].headers["authorization"] for w in graph.writes()
    )
