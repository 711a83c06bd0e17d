"""No webhook body, however mangled, makes a parser fail with anything but a 400-style ValidationFailed.

Each valid envelope has every top-level field replaced in turn by values of the wrong type; the parser
must either accept the result or refuse it with ``ValidationFailed`` (never KeyError/TypeError -> 500).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from connectors.autotask import AutotaskWebhookReceiver
from connectors.connectwise import ConnectWiseWebhookReceiver
from connectors.halopsa import HaloWebhookReceiver
from connectors.sandbox import SandboxConfig, SandboxStore, SandboxWebhookReceiver, ticket_event
from core.domain import ParsedWebhook
from core.errors import ValidationFailed
from evals.fakes import autotask_payloads as at
from evals.fakes import connectwise_payloads as cw
from evals.fakes import halopsa_payloads as hp

WRONG_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x" * 300, [], [1, "a"], {}, {"id": "x"}]


def _cw_envelope() -> dict[str, Any]:
    return cw.callback(record_id=4711, entity=cw.ticket(4711), key_url_value=cw.key_url(), message_id="m-1")


def _sandbox_envelope() -> dict[str, Any]:
    store = SandboxStore.named("robustness")
    return ticket_event(store.ticket(store.sample_ticket_ids()[0]), "updated", "jsmith")


PARSERS: dict[str, tuple[Callable[[bytes], ParsedWebhook], Callable[[], dict[str, Any]]]] = {
    "connectwise": (ConnectWiseWebhookReceiver(cw.config(), http=None).parse, _cw_envelope),  # type: ignore[arg-type]
    "halopsa": (HaloWebhookReceiver(hp.config()).parse, lambda: hp.ticket_event()),
    "autotask": (AutotaskWebhookReceiver(at.config()).parse, lambda: at.ticket_event()),
    "sandbox": (SandboxWebhookReceiver(SandboxConfig(store="robustness")).parse, _sandbox_envelope),
}


def mutations(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{}]
    for field in envelope:
        out.append({k: v for k, v in envelope.items() if k != field})
        out.extend({**envelope, field: value} for value in WRONG_VALUES)
    return out


@pytest.mark.parametrize("kind", list(PARSERS))
def test_mangled_envelopes_are_accepted_or_refused_cleanly(kind: str) -> None:
    parse, envelope = PARSERS[kind]
    assert isinstance(parse(json.dumps(envelope()).encode()), ParsedWebhook)
    refused = 0
    for mutated in mutations(envelope()):
        try:
            parsed = parse(json.dumps(mutated).encode())
        except ValidationFailed as exc:
            refused += 1
            assert exc.detail
        else:
            assert isinstance(parsed, ParsedWebhook) and parsed.idempotency_key
    assert refused > 0


@pytest.mark.parametrize("kind", list(PARSERS))
@pytest.mark.parametrize("body", [b"null", b"[]", b"1", b'"text"', b"[{}]", b"true"])
def test_json_that_is_not_an_object_is_refused(kind: str, body: bytes) -> None:
    parse, _ = PARSERS[kind]
    with pytest.raises(ValidationFailed):
        parse(body)
