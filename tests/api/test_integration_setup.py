"""Connecting a PSA: the connection test and webhook registration, through the API and the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from core.database import Database
from core.integration_store import create_integration
from core.migrations.runner import upgrade
from core.secrets import SecretBox
from evals.fakes import autotask_payloads as at
from evals.fakes import halopsa_payloads as hp
from evals.fakes.autotask import FakeAutotask
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.halopsa import FakeHalo
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import make_settings, running_stack
from tests.psa_kits import autotask_kit, halo_kit


def _llm() -> ScriptedLLM:
    return ScriptedLLM(matcher=match_by_keyword("x"), agent=agent_sets_status("New"))


async def test_connectwise_callback_is_registered_once_with_a_slot_for_the_record_id(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    async with running_stack(make_settings(tmp_path, None, llm=False), _llm(), fake_cw) as stack:
        url = f"/api/v1/integrations/{stack.integration_id}/register-webhook"
        first = (await stack.api.post(url, headers=stack.auth)).json()
        second = (await stack.api.post(url, headers=stack.auth)).json()

    assert first["registered"] is True and first["external_id"] == second["external_id"]
    [callback] = fake_cw.callbacks
    assert callback["url"] == f"{first['webhook_url']}?recordId="
    assert first["webhook_url"].endswith(f"/webhooks/connectwise/{stack.integration_id}")


async def test_autotask_webhook_is_created_with_fields_and_our_resource_excluded(tmp_path: Path) -> None:
    fake = FakeAutotask()
    kit = autotask_kit(fake)
    async with running_stack(make_settings(tmp_path, None, llm=False), _llm(), kit=kit) as stack:
        registered = await stack.api.post(
            f"/api/v1/integrations/{stack.integration_id}/register-webhook", headers=stack.auth
        )
        tested = await stack.api.post(f"/api/v1/integrations/{stack.integration_id}/test", headers=stack.auth)

    assert registered.status_code == 200 and registered.json()["registered"] is True
    [webhook] = fake.webhooks.values()
    assert webhook["webhookUrl"] == registered.json()["webhook_url"]
    assert webhook["secretKey"] == at.WEBHOOK_SECRET
    [webhook_id] = fake.webhooks
    assert len(fake.webhook_fields[webhook_id]) >= 5
    assert [r["resourceID"] for r in fake.excluded_resources[webhook_id]] == [at.RESOURCE_ID]
    assert tested.json()["ok"] is True, tested.json()
    assert {c["capability"] for c in tested.json()["checks"]} >= {"read_tickets", "write_notes", "log_time"}


async def test_halo_instructions_over_the_api_never_show_the_webhook_password(tmp_path: Path) -> None:
    fake = FakeHalo()
    async with running_stack(make_settings(tmp_path, None, llm=False), _llm(), kit=halo_kit(fake)) as stack:
        response = await stack.api.post(
            f"/api/v1/integrations/{stack.integration_id}/register-webhook", headers=stack.auth
        )
    body = response.json()
    assert response.status_code == 200 and body["registered"] is False
    text = "\n".join(body["instructions"])
    assert body["webhook_url"] in text and hp.WEBHOOK_USERNAME in text
    assert hp.WEBHOOK_PASSWORD not in response.text
    assert f"deskhand integrations register-webhook {stack.integration_id}" in text


def test_cli_prints_the_halo_settings_including_the_password(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, llm=False)
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)

    async def create() -> int:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                row = await create_integration(
                    session,
                    box=SecretBox(settings.resolved_secret_key()),
                    kind="halopsa",
                    name="Acme Halo",
                    config=hp.integration_config(hp.ORIGIN),
                )
                return row.id
        finally:
            await db.dispose()

    integration_id = asyncio.run(create())
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKHAND_")}
    env["DESKHAND_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-c", "from api.cli import app; app()", "integrations"]
    shown = subprocess.run(
        [*command, "register-webhook", str(integration_id)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    missing = subprocess.run(
        [*command, "register-webhook", "999"], env=env, capture_output=True, text=True, check=False
    )

    assert shown.returncode == 0, shown.stderr
    assert "set up by hand" in shown.stdout and hp.WEBHOOK_PASSWORD in shown.stdout
    assert f"/webhooks/halopsa/{integration_id}" in shown.stdout
    assert missing.returncode == 1 and "integration 999 does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
