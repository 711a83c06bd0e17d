"""A full Deskhand stack for API and end-to-end tests: real app, real DBOS, fakes only at HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import respx
from pydantic import SecretStr
from pydantic_ai import models

from api.app import create_app
from connectors.connectwise.webhook import sign_body
from core.settings import Settings
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import LLM_BASE, LLM_MODEL, ScriptedLLM

Handle = Callable[[str, str, dict[str, str], bytes], tuple[int, Any]]
FINAL = {"succeeded", "failed", "suppressed", "ignored", "waiting_approval", "waiting_llm", "limited"}


def make_settings(
    data_dir: Path, database_url: str | None, *, llm: bool = True, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "llm_model": LLM_MODEL if llm else None,
        "llm_api_base": LLM_BASE if llm else None,
        "llm_api_key": SecretStr("sk-test-not-a-real-key") if llm else None,
        "step_retry_interval_seconds": 0.01,
        "queue_polling_interval_seconds": 0.05,
        # Most tests exercise the agent's actions; Plan mode (the product default) has its own tests.
        "new_client_mode": "execute",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass(frozen=True)
class PsaKit:
    """How a test reaches one PSA: its integration config, its fake at the HTTP boundary (none for the
    in-memory sandbox) and how its webhooks are authenticated."""

    kind: str
    config: dict[str, Any]
    auth_headers: Callable[[bytes], dict[str, str]]
    host: str | None = None
    handle: Callable[[str, str, dict[str, str], bytes], tuple[int, Any]] | None = None


@dataclass
class Stack:
    api: httpx.AsyncClient
    token: str
    cw: FakeConnectWise
    llm: ScriptedLLM
    integration_id: int
    settings: Settings
    kit: PsaKit | None = None

    async def deliver_event(self, envelope: dict[str, Any]) -> httpx.Response:
        """Deliver a webhook of the stack's PSA kit, authenticated as that PSA would."""
        assert self.kit is not None
        body = json.dumps(envelope).encode()
        headers = {"content-type": "application/json", **self.kit.auth_headers(body)}
        return await self.api.post(
            f"/webhooks/{self.kit.kind}/{self.integration_id}", content=body, headers=headers
        )

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def deliver(self, envelope: dict[str, Any], *, signature: str | None = None) -> httpx.Response:
        body = json.dumps(envelope).encode()
        headers = {"content-type": "application/json"}
        headers["x-content-signature"] = signature or sign_body(self.cw.signing_key, body)
        return await self.api.post(
            f"/webhooks/connectwise/{self.integration_id}", content=body, headers=headers
        )

    def ticket_callback(
        self, ticket_id: int, *, message_id: str, updated_by: str = "jsmith"
    ) -> dict[str, Any]:
        entity = dict(self.cw.tickets[ticket_id])
        entity["_info"] = {**entity.get("_info", {}), "updatedBy": updated_by}
        return cw.callback(
            record_id=ticket_id,
            entity=entity,
            key_url_value=self.cw.key_url(),
            message_id=message_id,
            member_id=updated_by,
        )

    async def wait_for_event(self, event_id: int, timeout: float = 30.0, attempt: int = 1) -> dict[str, Any]:
        """The event's run once it finished (or the event, if it was suppressed or is waiting)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            activity = (
                await self.api.get("/api/v1/activity", params={"limit": 500}, headers=self.auth)
            ).json()
            for run in activity["runs"]:
                if run["event_id"] == event_id and run["attempt"] == attempt and run["status"] in FINAL:
                    return {"kind": "run", **run}
            for event in activity["suppressed"] + activity["waiting"]:
                if event["id"] == event_id and attempt == 1:
                    return {"kind": "event", **event}
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"event {event_id} did not finish in {timeout}s: {await self._event_row(event_id)}"
                )
            await asyncio.sleep(0.05)

    async def _event_row(self, event_id: int) -> dict[str, Any]:
        from sqlalchemy import select

        from agent.tables import Run, TicketEvent
        from core.database import Database

        db = Database(self.settings.resolved_database_url)
        try:
            async with db.session() as session:
                row = await session.get(TicketEvent, event_id)
                runs = (await session.execute(select(Run.id, Run.status, Run.attempt))).all()
                return {"status": row and row.status, "reason": row and row.status_reason, "runs": runs}
        finally:
            await db.dispose()

    async def create_workflow(self, **fields: Any) -> dict[str, Any]:
        body = {"status": "active", **fields}
        response = await self.api.post("/api/v1/workflows", json=body, headers=self.auth)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def set_policy(self, tool: str, mode: str) -> None:
        response = await self.api.put(f"/api/v1/policies/{tool}", json={"mode": mode}, headers=self.auth)
        assert response.status_code == 200, response.text


def _side_effect(handle: Handle) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = handle(request.method, str(request.url), headers, request.content)
        return httpx.Response(status, json=payload)

    return respond


def mount_fakes(router: respx.MockRouter, fake_cw: FakeConnectWise, llm: ScriptedLLM) -> None:
    cw_side_effect = _side_effect(fake_cw.handle)

    def llm_side_effect(request: httpx.Request) -> httpx.Response:
        status, payload = llm.handle(request.content)
        return httpx.Response(status, json=payload)

    router.route(host=httpx.URL(fake_cw.origin).host).mock(side_effect=cw_side_effect)
    router.post(f"{LLM_BASE}/chat/completions").mock(side_effect=llm_side_effect)


@asynccontextmanager
async def running_stack(
    settings: Settings,
    llm: ScriptedLLM,
    fake_cw: FakeConnectWise | None = None,
    *,
    kit: PsaKit | None = None,
    extra_fakes: dict[str, Handle] | None = None,
    graph_credentials: Any = None,
    with_integration: bool = True,
) -> AsyncIterator[Stack]:
    """The app with one PSA integration: ConnectWise on ``fake_cw`` by default, or ``kit``'s PSA
    (none with ``with_integration=False``; ``integration_id`` is then 0)."""
    fake_cw = fake_cw or FakeConnectWise()
    from core.database import Database
    from core.migrations.runner import upgrade
    from core.tokens import create_token

    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    async with db.session() as session:
        _, token = await create_token(session, name="tests")
    await db.dispose()

    app = create_app(settings, graph_credentials=graph_credentials)
    with respx.mock(assert_all_called=False) as router, models.override_allow_model_requests(True):
        mount_fakes(router, fake_cw, llm)
        if kit is not None and kit.host is not None and kit.handle is not None:
            router.route(host=kit.host).mock(side_effect=_side_effect(kit.handle))
        for host, handle in (extra_fakes or {}).items():  # e.g. Microsoft Graph next to the PSA
            router.route(host=host).mock(side_effect=_side_effect(handle))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://deskhand.test") as api:
                if not with_integration:
                    yield Stack(
                        api=api, token=token, cw=fake_cw, llm=llm, integration_id=0, settings=settings
                    )
                    return
                response = await api.post(
                    "/api/v1/integrations",
                    json={
                        "kind": kit.kind if kit else "connectwise",
                        "name": f"Acme {kit.kind if kit else 'connectwise'}",
                        "config": kit.config if kit else cw.integration_config(fake_cw.origin),
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 201, response.text
                yield Stack(
                    api=api,
                    token=token,
                    cw=fake_cw,
                    llm=llm,
                    integration_id=response.json()["id"],
                    settings=settings,
                    kit=kit,
                )
