"""One ``PsaKit`` per PSA, so API and end-to-end tests run the same scenario against each of them."""

from __future__ import annotations

import uuid

import httpx

from connectors.sandbox import signature_headers
from evals.fakes import autotask_payloads as at
from evals.fakes import halopsa_payloads as hp
from evals.fakes.autotask import FakeAutotask
from evals.fakes.halopsa import FakeHalo
from tests.harness import PsaKit

SANDBOX_SECRET = "sandbox-webhook-secret-for-tests"


def sandbox_kit() -> PsaKit:
    return PsaKit(
        kind="sandbox",
        config={"store": f"e2e-{uuid.uuid4().hex[:10]}", "webhook_secret": SANDBOX_SECRET},
        auth_headers=lambda body: signature_headers(SANDBOX_SECRET, body),
    )


def halo_kit(fake: FakeHalo) -> PsaKit:
    return PsaKit(
        kind="halopsa",
        config=hp.integration_config(fake.origin),
        auth_headers=lambda body: hp.auth_headers(body),
        host=httpx.URL(fake.origin).host,
        handle=fake.handle,
    )


def autotask_kit(fake: FakeAutotask) -> PsaKit:
    return PsaKit(
        kind="autotask",
        config=at.integration_config(fake.origin),
        auth_headers=lambda body: at.signed_headers(body),
        host=httpx.URL(fake.origin).host,
        handle=fake.handle,
    )
