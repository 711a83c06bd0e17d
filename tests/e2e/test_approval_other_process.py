"""A run paused for approval in one `deskhand serve` process is approved through, and resumed by, another
process after the first has exited: the pause lives in the database, not in a process."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from connectors.connectwise.webhook import sign_body
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from evals.fakes.server import FakeVendorServer, serving
from tests.e2e.test_crash_recovery import _deskhand, _env, _free_port, _run_status, _wait_http

pytestmark = pytest.mark.slow


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        _deskhand("serve", "--port", str(port)), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    _wait_http(f"{base}/healthz")
    return proc, base


def _wait_run(db: Path, wanted: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while _run_status(db) != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _run_status(db) == wanted


def test_approval_in_a_second_process_resumes_the_run_there(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(881, summary="Printer in accounts prints garbage characters")
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    db = tmp_path / "deskhand.sqlite"
    with serving(FakeVendorServer(fake_cw, llm)) as server:
        env = _env(tmp_path, server)
        created = subprocess.run(
            _deskhand("tokens", "create", "--name", "approver"),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        auth = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
        first, base = _serve(env)
        second: subprocess.Popen[bytes] | None = None
        try:
            integration = httpx.post(
                f"{base}/api/v1/integrations",
                headers=auth,
                json={"kind": "connectwise", "name": "CW", "config": cw.integration_config(server.origin)},
            ).json()
            httpx.post(
                f"{base}/api/v1/workflows",
                headers=auth,
                json={"title": "Printer", "trigger": "printer problems", "instructions": "Set the status.",
                      "status": "active"},
            ).raise_for_status()  # fmt: skip
            body = json.dumps(
                cw.callback(
                    record_id=881, entity=dict(fake_cw.tickets[881]), key_url_value=fake_cw.key_url(),
                    message_id="other-process-1",
                )
            ).encode()  # fmt: skip
            accepted = httpx.post(
                f"{base}/webhooks/connectwise/{integration['id']}",
                content=body,
                headers={"x-content-signature": sign_body(fake_cw.signing_key, body)},
            )
            assert accepted.status_code == 202, accepted.text
            _wait_run(db, "waiting_approval")
            first.terminate()
            first.wait(timeout=15)

            second, other = _serve(env)
            [approval] = httpx.get(f"{other}/api/v1/approvals", headers=auth).json()["items"]
            decided = httpx.post(f"{other}/api/v1/approvals/{approval['id']}/approve", headers=auth, json={})
            assert decided.status_code == 200 and decided.json()["resumed"] is True, decided.text
            _wait_run(db, "succeeded")
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=15)

    assert fake_cw.tickets[881]["status"]["name"] == "Waiting on Client"
    assert len(fake_cw.writes("PATCH")) == 1
