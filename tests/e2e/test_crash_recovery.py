"""A worker killed with SIGKILL right after the agent's first write resumes without repeating it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.connectwise.webhook import sign_body
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword, tool_results
from evals.fakes.server import FakeVendorServer, serving

pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, server: FakeVendorServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKHAND_")}
    env.update(
        DESKHAND_DATA_DIR=str(data_dir),
        DESKHAND_LLM_MODEL="openai/gpt-4o-mini",
        DESKHAND_LLM_API_BASE=server.llm_base,
        DESKHAND_LLM_API_KEY="sk-test-not-a-real-key",
        DESKHAND_QUEUE_POLLING_INTERVAL_SECONDS="0.1",
        DESKHAND_STEP_RETRY_INTERVAL_SECONDS="0.05",
        DESKHAND_NEW_CLIENT_MODE="execute",  # the scripted status change must run
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    return env


def _deskhand(*args: str) -> list[str]:
    return [sys.executable, "-c", "from api.cli import app; app()", *args]


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def _run_status(db_path: Path) -> str | None:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])


def test_sigkill_after_first_write_resumes_without_resending_it(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(880, summary="Printer in accounts prints garbage characters")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    wrote_once = threading.Event()
    hold = threading.Event()

    def gate(request: dict[str, Any]) -> None:
        # The first model request carrying a tool result means the write step has been checkpointed.
        if tool_results(request) and not wrote_once.is_set():
            wrote_once.set()
            hold.wait(timeout=60)

    server = FakeVendorServer(fake_cw, llm, on_llm_request=gate)
    with serving(server):
        env = _env(tmp_path, server)
        token = (
            subprocess.run(
                _deskhand("tokens", "create", "--name", "crash-test"),
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = _free_port()
        serve = subprocess.Popen(
            _deskhand("serve", "--port", str(port)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker: subprocess.Popen[bytes] | None = None
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_http(f"{base}/healthz")
            auth = {"Authorization": f"Bearer {token}"}
            integration = httpx.post(
                f"{base}/api/v1/integrations",
                headers=auth,
                json={
                    "kind": "connectwise",
                    "name": "CW",
                    "config": cw.integration_config(server.origin),
                },
            ).json()
            httpx.post(
                f"{base}/api/v1/workflows",
                headers=auth,
                json={
                    "title": "Printer",
                    "trigger": "printer problems",
                    "instructions": "Set status to Waiting on Client.",
                    "status": "active",
                },
            ).raise_for_status()
            httpx.put(
                f"{base}/api/v1/policies/set_ticket_status", headers=auth, json={"mode": "auto"}
            ).raise_for_status()
            entity = dict(fake_cw.tickets[880])
            body = json.dumps(
                cw.callback(
                    record_id=880, entity=entity, key_url_value=fake_cw.key_url(), message_id="crash-1"
                )
            ).encode()
            accepted = httpx.post(
                f"{base}/webhooks/connectwise/{integration['id']}",
                content=body,
                headers={"x-content-signature": sign_body(fake_cw.signing_key, body)},
            )
            assert accepted.status_code == 202, accepted.text

            assert wrote_once.wait(timeout=60), "the agent never made its write"
            serve.send_signal(signal.SIGKILL)
            serve.wait(timeout=10)
            hold.set()
            assert len(fake_cw.writes("PATCH")) == 1
            assert _run_status(tmp_path / "deskhand.sqlite") == "running"

            worker = subprocess.Popen(
                _deskhand("worker"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 90
            while _run_status(tmp_path / "deskhand.sqlite") == "running" and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            for proc in (serve, worker):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=15)

    assert _run_status(tmp_path / "deskhand.sqlite") == "succeeded"
    assert len(fake_cw.writes("PATCH")) == 1  # the status change was not sent again
    notes = [w for w in fake_cw.writes("POST") if w.path.endswith("/notes")]
    assert len(notes) == 1  # one summary note, not repeated either
    with sqlite3.connect(tmp_path / "deskhand.sqlite") as conn:
        calls = conn.execute("SELECT tool_name, status FROM tool_calls").fetchall()
    assert calls == [("set_ticket_status", "ok")]
