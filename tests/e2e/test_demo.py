"""`deskhand demo` end to end: a subprocess with the sandbox PSA and a model faked at its HTTP endpoint."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.sandbox import SandboxStore
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_calls, match_by_keyword
from evals.fakes.server import FakeVendorServer, serving

pytestmark = pytest.mark.slow


def _env(data_dir: Path, llm_base: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKHAND_")}
    env.update(
        DESKHAND_DATA_DIR=str(data_dir),
        DESKHAND_QUEUE_POLLING_INTERVAL_SECONDS="0.1",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    if llm_base is not None:
        env.update(
            DESKHAND_LLM_MODEL="openai/gpt-4o-mini",
            DESKHAND_LLM_API_BASE=llm_base,
            DESKHAND_LLM_API_KEY="sk-test-not-a-real-key",
        )
    return env


def _demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from api.cli import app; app()", "demo", "--port", "0", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_demo_runs_every_sample_ticket_through_the_pipeline(tmp_path: Path) -> None:
    llm = ScriptedLLM(
        matcher=match_by_keyword("printer"),
        agent=agent_calls(("add_internal_note", {"text": "Looked at it."}), summary="Noted."),
    )
    with serving(FakeVendorServer(FakeConnectWise(), llm)) as server:
        result = _demo(_env(tmp_path, server.llm_base), "--exit", "--auto-approve", "--wait-seconds", "240")
    samples = len(SandboxStore.named("demo-test-count").sample_ticket_ids())

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Done: {samples} succeeded" in result.stdout, result.stdout
    assert "matched Printer problems; tools add_internal_note" in result.stdout
    assert (tmp_path / "demo" / "deskhand.sqlite").exists()  # kept apart from the real data
    assert not (tmp_path / "deskhand.sqlite").exists()
    with sqlite3.connect(tmp_path / "demo" / "deskhand.sqlite") as db:
        tenants = db.execute("SELECT name, m365_tenant_id FROM clients ORDER BY name").fetchall()
        kinds = {row[0] for row in db.execute("SELECT kind FROM integrations")}
    assert len(tenants) == 4 and all(tenant for _, tenant in tenants)  # each client on its own tenant
    assert kinds == {"sandbox", "sandbox_m365"}


def test_demo_without_a_model_says_how_to_configure_one(tmp_path: Path) -> None:
    result = _demo(_env(tmp_path, None), "--exit")
    assert result.returncode == 2
    assert "DESKHAND_LLM_MODEL" in result.stdout and "Traceback" not in result.stderr
