"""Connecting a client's Microsoft 365 tenant: by domain, admin-consent link, health and offered tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.fakes import msgraph_payloads as gp
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from evals.fakes.msgraph import FakeGraph
from tests.harness import make_settings, running_stack
from tests.psa_kits import sandbox_kit


def entra_discovery(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    """login.microsoftonline.com's OpenID configuration: the issuer carries the tenant id."""
    known = {gp.DOMAIN_A: gp.TENANT_A, gp.DOMAIN_B: gp.TENANT_B}
    domain = url.split("/")[3]
    if domain not in known:
        return 400, {
            "error": "invalid_tenant",
            "error_description": f"AADSTS90002: Tenant '{domain}' not found.",
        }
    return 200, {"issuer": f"https://login.microsoftonline.com/{known[domain]}/v2.0"}


async def test_tenant_by_domain_consent_link_and_per_tenant_tool_availability(tmp_path: Path) -> None:
    graph = FakeGraph()
    llm = ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))
    async with running_stack(
        make_settings(tmp_path, None, llm=False),
        llm,
        kit=sandbox_kit(),
        extra_fakes={gp.GRAPH_HOST: graph.handle, gp.LOGIN_HOST: entra_discovery},
        graph_credentials=lambda _config, tenant_id: graph.credential(tenant_id),
    ) as stack:
        auth = stack.auth
        no_integration = await stack.api.get("/api/v1/clients/1/m365/health", headers=auth)
        created = await stack.api.post(
            "/api/v1/integrations",
            json={
                "kind": "msgraph",
                "name": "M365",
                "config": {"client_id": gp.CLIENT_ID, "client_secret": gp.CLIENT_SECRET},
            },
            headers=auth,
        )
        contoso = (await stack.api.post("/api/v1/clients", json={"name": "Contoso"}, headers=auth)).json()
        fabrikam = (await stack.api.post("/api/v1/clients", json={"name": "Fabrikam"}, headers=auth)).json()
        by_domain = await stack.api.put(
            f"/api/v1/clients/{contoso['id']}/m365", json={"tenant": gp.DOMAIN_A}, headers=auth
        )
        unknown = await stack.api.put(
            f"/api/v1/clients/{fabrikam['id']}/m365", json={"tenant": "nobody.example"}, headers=auth
        )
        by_id = await stack.api.put(
            f"/api/v1/clients/{fabrikam['id']}/m365", json={"tenant": gp.TENANT_B}, headers=auth
        )
        consent = await stack.api.get(
            f"/api/v1/clients/{contoso['id']}/m365/consent-url",
            params={"redirect_uri": "https://deskhand.example.com/consented"},
            headers=auth,
        )
        full = (await stack.api.get(f"/api/v1/clients/{contoso['id']}/m365/health", headers=auth)).json()
        limited = (await stack.api.get(f"/api/v1/clients/{fabrikam['id']}/m365/health", headers=auth)).json()

    assert no_integration.status_code in (404, 409)
    assert created.status_code == 201 and created.json()["config"]["client_secret"] == "••••••"
    assert by_domain.status_code == 200 and by_domain.json()["m365_tenant_id"] == gp.TENANT_A
    assert unknown.status_code == 400 and "nobody.example" in unknown.json()["detail"]
    assert by_id.json()["m365_tenant_id"] == gp.TENANT_B
    url = consent.json()["url"]
    assert url.startswith(
        f"https://login.microsoftonline.com/{gp.TENANT_A}/adminconsent?client_id={gp.CLIENT_ID}"
    )
    assert full["health"]["token_ok"] is True and full["health"]["tenant_id"] == gp.TENANT_A
    assert all(t["available"] for t in full["tools"] if t["tool"] == "m365_find_user")
    blocked = {t["tool"]: t["missing_permission"] for t in limited["tools"] if not t["available"]}
    assert blocked.get("m365_create_user")
    assert "m365_find_user" not in blocked  # the read-only consent still allows reads
