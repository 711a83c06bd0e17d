"""Webhook intake through the real app: authentication, limits, idempotency and our own echoes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import func, select

from agent.tables import NotePosted, Run, TicketEvent
from core.database import Database
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM, agent_sets_status, completion, match_by_keyword
from tests.harness import make_settings, running_stack


def _llm() -> ScriptedLLM:
    return ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("In Progress"))


async def _count(database_url: str, table: type) -> int:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        await db.dispose()


async def test_same_callback_delivered_ten_times_starts_one_run(
    tmp_path: Path, database_url: str | None
) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(501, summary="Printer offline")
    settings = make_settings(tmp_path, database_url)
    async with running_stack(settings, _llm(), fake_cw) as stack:
        envelope = stack.ticket_callback(501, message_id="dup-msg")
        responses = await asyncio.gather(*(stack.deliver(envelope) for _ in range(10)))
        assert {r.status_code for r in responses} == {202}
        event_ids = {r.json()["event_id"] for r in responses}
        assert len(event_ids) == 1
        assert sum(1 for r in responses if not r.json()["duplicate"]) == 1
        await stack.wait_for_event(event_ids.pop())
        await asyncio.sleep(0.3)  # a second workflow, if one were started, would have shown up by now
        activity = (await stack.api.get("/api/v1/activity", headers=stack.auth)).json()
    assert len(activity["runs"]) == 1
    assert await _count(settings.resolved_database_url, TicketEvent) == 1
    assert await _count(settings.resolved_database_url, Run) == 1
    # Exactly one summary note (plan and outcome) on the ticket.
    assert len(fake_cw.writes("POST")) == 1


async def test_forged_or_missing_signature_is_401_and_nothing_is_stored(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(502)
    settings = make_settings(tmp_path, None)
    async with running_stack(settings, _llm(), fake_cw) as stack:
        envelope = stack.ticket_callback(502, message_id="forged")
        forged = await stack.deliver(envelope, signature="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        body = json.dumps(envelope).encode()
        missing = await stack.api.post(
            f"/webhooks/connectwise/{stack.integration_id}",
            content=body,
            headers={"content-type": "application/json"},
        )
        evil = cw.callback(record_id=502, message_id="evil", key_url_value="https://evil.example.com/key")
        off_list = await stack.deliver(evil)
    assert forged.status_code == 401 and forged.json()["code"] == "unauthenticated"
    assert missing.status_code == 401
    assert off_list.status_code == 401
    assert await _count(settings.resolved_database_url, TicketEvent) == 0
    assert not [r for r in fake_cw.requests if "apis/3.0" in r.path]


async def test_bad_bodies_get_clear_4xx(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    settings = make_settings(tmp_path, None, webhook_max_body_bytes=4096)
    async with running_stack(settings, _llm(), fake_cw) as stack:
        url = f"/webhooks/connectwise/{stack.integration_id}"
        too_big = await stack.api.post(
            url, content=b"{" + b" " * 5000 + b"}", headers={"x-content-signature": "x"}
        )
        malformed = await stack.api.post(url, content=b"{not json", headers={"x-content-signature": "x"})
        unknown = await stack.api.post("/webhooks/connectwise/999", content=b"{}")
        wrong_kind = await stack.api.post(f"/webhooks/autotask/{stack.integration_id}", content=b"{}")
        # Authentic but not a ConnectWise envelope: no MessageId.
        signed_garbage = await stack.deliver({"Metadata": {"key_url": fake_cw.key_url()}, "Type": "ticket"})
    assert too_big.status_code == 413 and too_big.json()["code"] == "payload_too_large"
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    assert unknown.status_code == 404
    assert wrong_kind.status_code == 404
    assert signed_garbage.status_code == 400
    assert await _count(settings.resolved_database_url, TicketEvent) == 0


async def test_our_own_note_echoed_back_is_suppressed(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(503, summary="Printer prints blank pages")
    settings = make_settings(tmp_path, None)
    async with running_stack(settings, _llm(), fake_cw) as stack:
        await stack.set_policy("set_ticket_status", "auto")
        first = await stack.deliver(stack.ticket_callback(503, message_id="m-1"))
        assert (await stack.wait_for_event(first.json()["event_id"]))["status"] == "succeeded"
        llm_calls = len(stack.llm.requests)

        # ConnectWise tells us about the note and status change our API member made.
        echo = await stack.deliver(stack.ticket_callback(503, message_id="m-2", updated_by=cw.API_MEMBER))
        echoed = await stack.wait_for_event(echo.json()["event_id"])
        # Attributed to a person, but nothing changed except what Deskhand itself wrote (notes, status).
        silent = await stack.deliver(stack.ticket_callback(503, message_id="m-3", updated_by="jsmith"))
        unchanged = await stack.wait_for_event(silent.json()["event_id"])
        llm_calls_after_echoes = len(stack.llm.requests)
        # A real change by a technician runs again.
        fake_cw.tickets[503]["status"] = {"id": 18, "name": "Waiting on Client"}
        real = await stack.deliver(stack.ticket_callback(503, message_id="m-4", updated_by="jsmith"))
        changed = await stack.wait_for_event(real.json()["event_id"])
        activity = (await stack.api.get("/api/v1/activity", headers=stack.auth)).json()

    assert echoed["kind"] == "event" and echoed["status"] == "suppressed"
    assert "Deskhand's own PSA identity" in echoed["status_reason"]
    assert unchanged["status"] == "suppressed"
    assert "except Deskhand's own notes" in unchanged["status_reason"]
    assert {e["id"] for e in activity["suppressed"]} == {echo.json()["event_id"], silent.json()["event_id"]}
    assert llm_calls_after_echoes == llm_calls  # no model call for either echo
    assert changed["kind"] == "run" and changed["status"] == "succeeded"
    assert len(activity["runs"]) == 2
    assert await _count(settings.resolved_database_url, NotePosted) == 2  # one summary note per run


async def test_non_ticket_and_delete_events_are_acknowledged_and_ignored(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    settings = make_settings(tmp_path, None)
    async with running_stack(settings, _llm(), fake_cw) as stack:
        contact = cw.callback(
            record_type="contact",
            record_id=57961,
            entity=cw.contact_entity(),
            key_url_value=fake_cw.key_url(),
            message_id="contact-1",
        )
        deleted = cw.callback(
            action="deleted", record_id=777, entity=None, key_url_value=fake_cw.key_url(), message_id="del-1"
        )
        responses = [await stack.deliver(contact), await stack.deliver(deleted)]
    assert [r.status_code for r in responses] == [202, 202]
    assert [r.json()["status"] for r in responses] == ["ignored", "ignored"]
    assert not [r for r in fake_cw.requests if "apis/3.0" in r.path]


async def test_without_a_model_tickets_wait_and_the_api_says_why(tmp_path: Path) -> None:
    fake_cw = FakeConnectWise()
    fake_cw.add_ticket(504)
    settings = make_settings(tmp_path, None, llm=False)
    llm = ScriptedLLM(
        matcher=lambda r: completion(content="unused"), agent=lambda r: completion(content="unused")
    )
    async with running_stack(settings, llm, fake_cw) as stack:
        status = (await stack.api.get("/api/v1/status", headers=stack.auth)).json()
        response = await stack.deliver(stack.ticket_callback(504, message_id="wait-1"))
        waited = await stack.wait_for_event(response.json()["event_id"])
        retry = await stack.api.post(f"/api/v1/activity/events/{waited['id']}/retry", headers=stack.auth)
    assert status["llm_configured"] is False and "DESKHAND_LLM_MODEL" in status["detail"]
    assert response.json()["status"] == "waiting_llm"
    assert waited["status"] == "waiting_llm" and "DESKHAND_LLM_MODEL" in waited["status_reason"]
    assert retry.status_code == 409 and retry.json()["code"] == "llm_not_configured"
    assert llm.requests == []
