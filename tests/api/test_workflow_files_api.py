"""Workflow files over the API: export, import (create, update, unchanged), all-or-nothing on errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import Stack, make_settings, running_stack

EXPORT = "/api/v1/workflows/export"
IMPORT = "/api/v1/workflows/import"

PRINTER_INSTRUCTIONS = (
    "Ask which printer and what the panel shows.   \n"
    "\n"
    "status: not a field\n"
    "  - clear the queue with the print spooler\n"
    "Then set the ticket to `Waiting on Client`."
)


def _llm() -> ScriptedLLM:
    return ScriptedLLM(matcher=match_by_keyword("nothing"), agent=agent_sets_status("New"))


async def _workflows(stack: Stack) -> dict[tuple[str, int | None], dict[str, Any]]:
    listed = (await stack.api.get("/api/v1/workflows", headers=stack.auth)).json()["items"]
    return {(w["title"], w["client_id"]): w for w in listed}


async def _import(stack: Stack, files: dict[str, str]) -> httpx.Response:
    return await stack.api.post(IMPORT, json={"files": files}, headers=stack.auth)


def _titles(summary: dict[str, Any], key: str) -> list[str]:
    return sorted(f"{item['file']}:{item['title']}" for item in summary[key])


async def test_export_then_import_creates_updates_and_leaves_the_rest(
    tmp_path: Path, database_url: str | None
) -> None:
    async with running_stack(make_settings(tmp_path, database_url), _llm(), FakeConnectWise()) as stack:
        api, auth = stack.api, stack.auth
        client = (await api.post("/api/v1/clients", json={"name": "Acme Dental"}, headers=auth)).json()
        await stack.create_workflow(
            title="VPN problems", trigger="VPN will not connect", instructions="Check"
        )
        await stack.create_workflow(
            title="VPN problems", trigger="VPN drops", instructions="Acme's own", client_id=client["id"]
        )
        await stack.create_workflow(title="Printer jam", status="draft", instructions=PRINTER_INSTRUCTIONS)
        before = await _workflows(stack)

        exported = await api.get(EXPORT, headers=auth)
        assert exported.status_code == 200
        files = exported.json()["files"]
        assert list(files) == ["printer-jam.yaml", "vpn-problems-acme-dental.yaml", "vpn-problems.yaml"]
        assert files["vpn-problems-acme-dental.yaml"] == (
            "deskhand_workflow: 1\ntitle: VPN problems\nstatus: active\nclient: Acme Dental\n"
            "trigger: VPN drops\nrequires: []\ninstructions: |-\n  Acme's own\n"
        )
        assert "  status: not a field\n" in files["printer-jam.yaml"]

        again = await _import(stack, files)
        assert again.status_code == 200, again.text
        assert again.json()["created"] == [] and again.json()["updated"] == []
        assert len(again.json()["unchanged"]) == 3
        assert await _workflows(stack) == before  # no new versions, nothing touched

        edited = dict(files)
        edited["printer-jam.yaml"] = (
            files["printer-jam.yaml"]
            .replace("status: draft", "status: active")
            .replace("trigger: ''", "trigger: A printer is jammed or offline")
        )
        edited["new-hire.yaml"] = (
            "deskhand_workflow: 1\ntitle: '  new   HIRE '\nclient: acme dental\ntrigger: Someone starts\n"
        )
        applied = await _import(stack, edited)
        assert applied.status_code == 200, applied.text
        summary = applied.json()
        assert _titles(summary, "updated") == ["printer-jam.yaml:Printer jam"]
        assert _titles(summary, "created") == ["new-hire.yaml:new   HIRE"]
        assert len(summary["unchanged"]) == 2
        after = await _workflows(stack)
        printer = after[("Printer jam", None)]
        assert (printer["version"], printer["status"]) == (2, "active")
        assert printer["instructions"] == PRINTER_INSTRUCTIONS
        assert after[("new   HIRE", client["id"])]["status"] == "draft"

        reexported = (await api.get(EXPORT, headers=auth)).json()["files"]
        assert reexported["printer-jam.yaml"] == edited["printer-jam.yaml"]  # lossless through the database
        own = (await api.get(EXPORT, params={"client_id": client["id"]}, headers=auth)).json()["files"]
        assert sorted(own) == ["new-hire-acme-dental.yaml", "vpn-problems-acme-dental.yaml"]
        shared = (await api.get(EXPORT, params={"shared_only": True}, headers=auth)).json()["files"]
        assert sorted(shared) == ["printer-jam.yaml", "vpn-problems.yaml"]
        unknown = await api.get(EXPORT, params={"client_id": 9999}, headers=auth)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
        both = await api.get(EXPORT, params={"client_id": client["id"], "shared_only": True}, headers=auth)
        assert (both.status_code, both.json()["code"]) == (400, "bad_scope")
        assert (await api.get(EXPORT)).status_code == 401

        for workflow in after.values():
            deleted = await api.delete(
                f"/api/v1/workflows/{workflow['id']}", params={"confirm": True}, headers=auth
            )
            assert deleted.status_code == 204
        restored = await _import(stack, reexported)
        assert restored.status_code == 200, restored.text
        assert len(restored.json()["created"]) == 4
        final = await _workflows(stack)
        assert {key: (w["trigger"], w["status"]) for key, w in final.items()} == {
            key: (w["trigger"], w["status"]) for key, w in after.items()
        }  # the client found again by name
        assert (await api.get(EXPORT, headers=auth)).json()["files"] == reexported


async def test_an_invalid_import_changes_nothing_and_reports_every_error(
    tmp_path: Path, database_url: str | None
) -> None:
    async with running_stack(make_settings(tmp_path, database_url), _llm(), FakeConnectWise()) as stack:
        api, auth = stack.api, stack.auth
        await stack.create_workflow(title="VPN", trigger="VPN problems", instructions="Check it")
        before = await _workflows(stack)
        header = "deskhand_workflow: 1\n"
        valid = {
            "ok.yaml": header + "title: Brand new\ntrigger: Something new\n",
            "vpn.yaml": header + "title: vpn\nstatus: active\ntrigger: VPN down\ninstructions: Check it\n",
        }
        broken = {
            **valid,
            "status.yaml": header + "title: A\nstatus: live\n",
            "client.yaml": header + "title: B\nclient: Nobody Inc\n",
            "trigger.yaml": header + "title: C\nstatus: active\n",
            "syntax.yaml": header + "title: D\ntrigger: a: b\n",
            "twin-1.yaml": header + "title: Twin\n",
            "twin-2.yaml": header + "title: '  TWIN'\n",
            "long.yaml": header + f"title: {'x' * 201}\n",
        }

        rejected = await _import(stack, broken)
        assert rejected.status_code == 422
        body = rejected.json()
        assert body["code"] == "invalid_workflow_files" and "nothing was" in body["detail"]
        found = {(e["file"], e["field"]) for e in body["errors"]}
        assert found == {
            ("status.yaml", "status"),
            ("client.yaml", "client"),
            ("trigger.yaml", "trigger"),
            ("syntax.yaml", None),
            ("twin-1.yaml", "title"),
            ("twin-2.yaml", "title"),
            ("long.yaml", "title"),
        }
        messages = {e["file"]: e["message"] for e in body["errors"]}
        assert "no client named 'Nobody Inc'" in messages["client.yaml"]
        assert messages["syntax.yaml"].startswith("invalid YAML at line 3, column 11")
        assert "Traceback" not in rejected.text
        assert await _workflows(stack) == before

        # A rule only the service knows (Microsoft 365 is not connected) rolls back files already applied.
        needs_m365 = header + "title: Offboard\nstatus: active\ntrigger: Leaver\nrequires: [m365]\n"
        refused = await _import(stack, {**valid, "offboard.yaml": needs_m365})
        assert refused.status_code == 422
        errors = refused.json()["errors"]
        assert [(e["file"], e["field"]) for e in errors] == [("offboard.yaml", "status")]
        assert "Microsoft 365" in errors[0]["message"]
        assert await _workflows(stack) == before  # neither ok.yaml's create nor vpn.yaml's update was kept

        accepted = await _import(stack, valid)
        assert accepted.status_code == 200, accepted.text
        assert _titles(accepted.json(), "updated") == ["vpn.yaml:vpn"]
        bad_body = await api.post(IMPORT, json={"files": ["not", "a", "mapping"]}, headers=auth)
        assert (bad_body.status_code, bad_body.json()["code"]) == (422, "validation_error")
