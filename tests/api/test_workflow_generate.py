"""Generate with a scripted model: the three example descriptions, validation with one regeneration,
typed blanks checked against the client's sandbox tenant, and Accept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.sandbox import TENANT_BY_COMPANY
from evals.fakes.llm import (
    Reply,
    ScriptedLLM,
    agent_sets_status,
    completion,
    match_by_keyword,
    output_tool_name,
)
from tests.harness import Stack, make_settings, running_stack

W = "/api/v1/workflows"
LAW_TENANT = TENANT_BY_COMPANY["251"]  # Whitmore & Lane: SKUs SPB and FLOW_FREE; groups incl. "Partners"

NEW_HIRE = {
    "title": "Onboard new hire",
    "trigger": "HR asks for a Microsoft 365 account for someone joining the firm.",
    "instructions": "1. Check `m365_find_user` that no account exists yet.\n"
    "2. Create the account with `m365_create_user`.\n"
    "3. Assign the {{licence_sku}} licence with `m365_assign_license`.\n"
    "4. Add them to {{distribution_list}} with `m365_add_to_group`.\n"
    "5. Record what was done with `add_internal_note`.",
    "blanks": [
        {"name": "licence_sku", "kind": "license_sku", "label": "Licence for new staff"},
        {"name": "distribution_list", "kind": "group", "label": "Distribution list for new staff"},
    ],
}
STUCK_PRINT = {
    "title": "Stuck print job",
    "trigger": "Someone reports print jobs stuck in the queue or a printer that stopped printing.",
    "instructions": "1. Look for earlier fixes with `similar_past_tickets`.\n"
    "2. Write the likely fix in `add_internal_note`.\n"
    "3. Set the status to {{waiting_status}} with `set_ticket_status` and expect a reply within {{sla}}.",
    "blanks": [
        {"name": "waiting_status", "kind": "ticket_status", "label": "Status while waiting on the client"},
        {"name": "sla", "kind": "sla", "label": "Response time promised"},
    ],
}
SIGN_IN = {
    "title": "Suspicious sign-in verdict",
    "trigger": "An alert or user reports a sign-in they do not recognise.",
    "instructions": "1. Read `m365_risky_users` and `m365_recent_sign_ins` for the user.\n"
    "2. Give a verdict (benign, suspicious or compromised) with evidence in `add_internal_note`.\n"
    "3. Only if compromised: `m365_disable_sign_in`, then `m365_revoke_sessions`, and tell "
    "{{security_contact}}.",
    "blanks": [{"name": "security_contact", "kind": "mailbox", "label": "Who to tell about a compromise"}],
}
DESCRIPTIONS = {
    "new hire": "When HR asks for a new hire, create their account, license them and add them to the DL.",
    "print": "When a print job is stuck, suggest the fix from past tickets and wait for the client.",
    "sign-in": "For suspicious sign-in alerts, decide whether the account is compromised and act on it.",
}


def generator(*drafts: dict[str, Any]) -> Callable[[dict[str, Any]], Reply]:
    """Answers Generate's requests with ``drafts`` in turn (the last one repeats)."""
    queue = list(drafts)

    def reply(request: dict[str, Any]) -> Reply:
        draft = queue.pop(0) if len(queue) > 1 else queue[0]
        return completion(tool_calls=[(output_tool_name(request), draft)])

    return reply


def _llm(*drafts: dict[str, Any]) -> ScriptedLLM:
    return ScriptedLLM(
        matcher=match_by_keyword("x"), agent=agent_sets_status("New"), generator=generator(*drafts)
    )


async def _law_client(stack: Stack, *, with_m365: bool) -> int:
    if with_m365:
        created = await stack.api.post(
            "/api/v1/integrations",
            json={"kind": "sandbox_m365", "name": "Tenants", "config": {"store": f"gen-{id(stack)}"}},
            headers=stack.auth,
        )
        assert created.status_code == 201, created.text
    client = await stack.api.post(
        "/api/v1/clients", json={"name": "Whitmore & Lane", "m365_tenant_id": LAW_TENANT}, headers=stack.auth
    )
    return int(client.json()["id"])


async def test_new_hire_draft_blanks_checked_in_the_tenant_then_accepted(
    tmp_path: Path, database_url: str | None
) -> None:
    llm = _llm(NEW_HIRE)
    async with running_stack(make_settings(tmp_path, database_url), llm) as stack:
        api, auth = stack.api, stack.auth
        client_id = await _law_client(stack, with_m365=True)
        made = await api.post(
            f"{W}/generate",
            json={"description": DESCRIPTIONS["new hire"], "client_id": client_id},
            headers=auth,
        )
        draft_id = made.json()["id"]
        early = await api.post(f"{W}/drafts/{draft_id}/accept", headers=auth)
        wrong = await api.put(
            f"{W}/drafts/{draft_id}/blanks",
            json={"values": {"licence_sku": "SPE_E3", "distribution_list": "No Such List", "typo": "x"}},
            headers=auth,
        )
        unchanged = (await api.get(f"{W}/drafts/{draft_id}", headers=auth)).json()
        filled = await api.put(
            f"{W}/drafts/{draft_id}/blanks",
            json={"values": {"licence_sku": "spb", "distribution_list": "partners"}},
            headers=auth,
        )
        accepted = await api.post(f"{W}/drafts/{draft_id}/accept", headers=auth)
        again = await api.post(f"{W}/drafts/{draft_id}/accept", headers=auth)

    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["title"], body["ready"], body["attempts"]) == ("Onboard new hire", False, 1)
    assert [(b["name"], b["kind"], b["value"]) for b in body["blanks"]] == [
        ("licence_sku", "license_sku", None),
        ("distribution_list", "group", None),
    ]
    assert body["requires"] == ["psa", "m365"]
    prompt = " ".join(str(m["content"]) for m in llm.requests[0]["messages"])
    assert "`m365_create_user`" in prompt and DESCRIPTIONS["new hire"] in prompt
    assert (early.status_code, early.json()["code"]) == (400, "blanks_unfilled")
    assert "'licence_sku' (Licence for new staff)" in early.json()["detail"]
    detail = wrong.json()["detail"]
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_blank")
    assert "blank 'licence_sku'" in detail and "subscribed: FLOW_FREE, SPB" in detail
    assert "blank 'distribution_list'" in detail and "no group named 'No Such List'" in detail
    assert "no blank named 'typo'" in detail
    assert all(b["value"] is None for b in unchanged["blanks"])  # nothing stored when any value is wrong
    values = {b["name"]: (b["value"], b["checked"]) for b in filled.json()["blanks"]}
    assert values["licence_sku"][0] == "SPB" and "subscribed" in values["licence_sku"][1]
    assert values["distribution_list"][0] == "Partners" and "exists" in values["distribution_list"][1]
    assert filled.json()["ready"] is True
    workflow = accepted.json()
    assert accepted.status_code == 201 and workflow["status"] == "draft"
    assert workflow["client_id"] == client_id
    assert "Assign the SPB licence" in workflow["instructions"] and "{{" not in workflow["instructions"]
    assert "Add them to Partners" in workflow["instructions"]
    assert (again.status_code, again.json()["code"]) == (409, "draft_accepted")


async def test_stuck_print_and_sign_in_drafts_on_a_psa_only_install(
    tmp_path: Path, database_url: str | None
) -> None:
    sign_in_without_m365 = SIGN_IN
    llm = _llm(STUCK_PRINT)
    async with running_stack(make_settings(tmp_path, database_url), llm) as stack:
        api, auth = stack.api, stack.auth
        made = await api.post(f"{W}/generate", json={"description": DESCRIPTIONS["print"]}, headers=auth)
        bad_sla = await api.put(
            f"{W}/drafts/{made.json()['id']}/blanks", json={"values": {"sla": "soon"}}, headers=auth
        )
        filled = await api.put(
            f"{W}/drafts/{made.json()['id']}/blanks",
            json={"values": {"sla": "4 business hours", "waiting_status": "Waiting on Client"}},
            headers=auth,
        )
        accepted = await api.post(f"{W}/drafts/{made.json()['id']}/accept", headers=auth)
        activated = await api.patch(f"{W}/{accepted.json()['id']}", json={"status": "active"}, headers=auth)
        # The sign-in verdict needs Microsoft 365, which this install does not have: both drafts rejected.
        stack.llm.generator = generator(sign_in_without_m365)
        rejected = await api.post(
            f"{W}/generate", json={"description": DESCRIPTIONS["sign-in"]}, headers=auth
        )
        generator_requests = [r for r in stack.llm.requests if "helpdesk workflows" in str(r["messages"][0])]

    assert made.status_code == 201 and made.json()["requires"] == ["psa"]
    prompt = " ".join(str(m["content"]) for m in generator_requests[0]["messages"])
    assert "`m365_create_user`" not in prompt and "Not connected" in prompt and "Microsoft 365" in prompt
    assert bad_sla.status_code == 400 and "blank 'sla'" in bad_sla.json()["detail"]
    assert filled.json()["ready"] is True
    assert "Set the status to Waiting on Client" in accepted.json()["instructions"]
    assert "within 4 business hours" in accepted.json()["instructions"]
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert (rejected.status_code, rejected.json()["code"]) == (422, "generation_rejected")
    assert "`m365_risky_users` needs Microsoft 365, which is not connected" in rejected.json()["detail"]
    assert len(generator_requests) == 3  # print: 1; sign-in: the first draft and one regeneration
    retry_prompt = " ".join(str(m.get("content")) for m in generator_requests[2]["messages"])
    assert "That draft was rejected" in retry_prompt and "`m365_disable_sign_in`" in retry_prompt


async def test_a_rejected_draft_is_regenerated_once(tmp_path: Path, database_url: str | None) -> None:
    invented = {**SIGN_IN, "instructions": SIGN_IN["instructions"] + "\n4. Run `m365_block_country`."}
    undeclared = {**SIGN_IN, "blanks": []}
    llm = _llm(invented, SIGN_IN)
    async with running_stack(make_settings(tmp_path, database_url), llm) as stack:
        client_id = await _law_client(stack, with_m365=True)
        body = {"description": DESCRIPTIONS["sign-in"], "client_id": client_id}
        made = await stack.api.post(f"{W}/generate", json=body, headers=stack.auth)
        stack.llm.generator = generator(undeclared)
        twice = await stack.api.post(f"{W}/generate", json=body, headers=stack.auth)
        mailbox = await stack.api.put(
            f"{W}/drafts/{made.json()['id']}/blanks",
            json={"values": {"security_contact": "nobody@whitmorelane.co.uk"}},
            headers=stack.auth,
        )

    assert made.status_code == 201 and made.json()["attempts"] == 2
    assert made.json()["requires"] == ["psa", "m365"]
    assert (
        twice.status_code == 422 and "{{security_contact}} is used but not declared" in twice.json()["detail"]
    )
    assert mailbox.status_code == 400 and "does not exist in tenant" in mailbox.json()["detail"]
