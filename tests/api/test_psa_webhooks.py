"""Webhook intake for HaloPSA, Autotask and the sandbox through the real app (ConnectWise has its own file).

Every PSA must: refuse forged or unauthenticated deliveries before parsing, refuse oversized and
malformed bodies with a 4xx and a reason, store a redelivery once, acknowledge deletes and other
entities without running, and suppress the echo of Deskhand's own writes without a model call.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import SandboxStore
from connectors.sandbox import ticket_event as sandbox_event
from evals.fakes import autotask_payloads as at
from evals.fakes import halopsa_payloads as hp
from evals.fakes.autotask import FakeAutotask
from evals.fakes.halopsa import FakeHalo
from evals.fakes.llm import ScriptedLLM, agent_sets_status, match_by_keyword
from tests.harness import PsaKit, Stack, make_settings, running_stack
from tests.psa_kits import autotask_kit, halo_kit, sandbox_kit

Envelope = dict[str, Any]


@dataclass
class Case:
    """How to build each kind of delivery for one PSA."""

    kit: PsaKit
    ticket: Callable[[str], Envelope]  # a person changed the ticket; the argument makes the key unique
    echo: Callable[[str], Envelope]  # Deskhand's own identity changed it
    deleted: Callable[[str], Envelope]
    other_entity: Callable[[str], Envelope]
    forged_headers: Callable[[bytes], dict[str, str]]


def halo_case() -> Case:
    fake = FakeHalo()
    fake.add_ticket(4242)
    body = fake.tickets[4242]
    return Case(
        kit=halo_kit(fake),
        ticket=lambda key: hp.ticket_event(delivery_id=key, ticket_body=body, agent_id=hp.TECH_ID + 5),
        echo=lambda key: hp.ticket_event(delivery_id=key, ticket_body=body, agent_id=hp.AGENT_ID),
        deleted=lambda key: hp.ticket_event(delivery_id=key, event="ticket deleted", ticket_body=body),
        other_entity=lambda key: {
            **hp.ticket_event(
                delivery_id=key, event="new client created", include_ticket=False, object_id=12
            ),
            "client": hp.client(),
        },
        forged_headers=lambda body: hp.auth_headers(body, password="guessed-password-1234"),
    )


def autotask_case() -> Case:
    fake = FakeAutotask()
    fake.add_ticket(at.TICKET_ID)

    def sequence(key: str) -> int:
        return int(uuid.UUID(key).int % 1_000_000)

    return Case(
        kit=autotask_kit(fake),
        ticket=lambda key: at.ticket_event(sequence=sequence(key), guid=key),
        echo=lambda key: at.ticket_event(sequence=sequence(key), guid=key, person_id=at.RESOURCE_ID),
        deleted=lambda key: at.ticket_event(action="Delete", sequence=sequence(key), guid=key, fields={}),
        other_entity=lambda key: at.ticket_event(sequence=sequence(key), guid=key, entity_type="Contact"),
        forged_headers=lambda body: at.signed_headers(body, secret="not-the-webhook-secret"),
    )


def sandbox_case() -> Case:
    kit = sandbox_kit()
    store = SandboxStore.named(kit.config["store"])
    ticket = store.ticket("5001")

    def event(key: str, action: str, actor: str) -> Envelope:
        return sandbox_event(ticket, action, actor, event_id=key)

    return Case(
        kit=kit,
        ticket=lambda key: event(key, "updated", "jsmith"),
        echo=lambda key: event(key, "updated", "deskhand"),
        deleted=lambda key: event(key, "deleted", "jsmith"),
        other_entity=lambda key: {**event(key, "updated", "jsmith"), "entity": "contact"},
        forged_headers=lambda body: {"X-Sandbox-Signature": "sha256=" + "0" * 64},
    )


CASES = {"halopsa": halo_case, "autotask": autotask_case, "sandbox": sandbox_case}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]()


def key() -> str:
    return str(uuid.uuid4())


async def post(stack: Stack, body: bytes, headers: dict[str, str]) -> Any:
    url = f"/webhooks/{stack.kit.kind if stack.kit else ''}/{stack.integration_id}"
    return await stack.api.post(url, content=body, headers={"content-type": "application/json", **headers})


async def test_authentication_and_body_checks(tmp_path: Path, case: Case) -> None:
    llm = ScriptedLLM(matcher=match_by_keyword("nothing"), agent=agent_sets_status("New"))
    async with running_stack(make_settings(tmp_path, None, llm=False), llm, kit=case.kit) as stack:
        body = json.dumps(case.ticket(key())).encode()
        forged = await post(stack, body, case.forged_headers(body))
        missing = await post(stack, body, {})
        huge = json.dumps({**case.ticket(key()), "padding": "x" * 1_100_000}).encode()
        oversized = await post(stack, huge, case.kit.auth_headers(huge))
        malformed = await post(stack, b"{not json", case.kit.auth_headers(b"{not json"))
        not_an_envelope = await post(stack, b"[1, 2]", case.kit.auth_headers(b"[1, 2]"))
        wrong_kind = await stack.api.post(
            f"/webhooks/connectwise/{stack.integration_id}", content=body, headers=case.kit.auth_headers(body)
        )
        activity = (await stack.api.get("/api/v1/activity", headers=stack.auth)).json()

    assert (forged.status_code, forged.json()["code"]) == (401, "unauthenticated")
    assert missing.status_code == 401
    assert oversized.status_code == 413
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    assert not_an_envelope.status_code == 400 and not_an_envelope.json()["detail"]
    assert wrong_kind.status_code == 404
    assert activity["runs"] == [] and activity["waiting"] == []  # nothing refused was stored


async def test_duplicates_deletes_other_entities_and_echoes(tmp_path: Path, case: Case) -> None:
    llm = ScriptedLLM(matcher=match_by_keyword("nothing"), agent=agent_sets_status("New"))
    async with running_stack(make_settings(tmp_path, None), llm, kit=case.kit) as stack:
        once = case.ticket(key())
        responses = await asyncio.gather(*(stack.deliver_event(once) for _ in range(5)))
        deleted = await stack.deliver_event(case.deleted(key()))
        other = await stack.deliver_event(case.other_entity(key()))
        echo = await stack.deliver_event(case.echo(key()))
        echoed = await stack.wait_for_event(echo.json()["event_id"])
        first = await stack.wait_for_event(responses[0].json()["event_id"])
        activity = (await stack.api.get("/api/v1/activity", headers=stack.auth)).json()

    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["event_id"] for r in responses}) == 1
    assert [r.json()["duplicate"] for r in responses].count(False) == 1
    assert first["kind"] == "run" and len(activity["runs"]) == 1
    assert (deleted.status_code, deleted.json()["status"]) == (202, "ignored")
    assert (other.status_code, other.json()["status"]) == (202, "ignored")
    assert echoed["status"] == "suppressed" and "own" in echoed["status_reason"]
    matcher_calls = [r for r in llm.requests if "decisions" in json.dumps(r.get("tools", []))]
    assert len(matcher_calls) <= 1  # only the genuine update reached the model
