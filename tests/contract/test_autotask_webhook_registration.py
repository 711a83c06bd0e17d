"""Autotask connection test and webhook registration, against the stateful fake or respx."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from connectors.base import Capability
from evals.fakes import autotask_payloads as at
from evals.fakes.autotask import FakeAutotask
from tests.contract import autotask_fixtures as fx
from tests.contract.autotask_fixtures import WEBHOOK_URL

# The shared fixtures, bound here so that pytest finds them in this module.
router, sleeper, clock, limits = fx.router, fx.sleeper, fx.clock, fx.limits
make, client = fx.make, fx.client


# -- connection test and webhook registration -----------------------------------------------------------


async def test_check_access_probes_reads_and_asks_entity_information_for_writes(make: Any) -> None:
    fake = FakeAutotask(access={"ticketnotes": "None", "tickets": "Restricted"})
    checks = await make(transport=httpx.MockTransport(fake.respond)).check_access()

    by_capability = {c.capability: c for c in checks}
    assert list(by_capability) == [c.value for c in Capability]
    assert by_capability[Capability.WRITE_NOTES].ok is False
    assert "may not create TicketNotes" in by_capability[Capability.WRITE_NOTES].detail
    assert by_capability[Capability.UPDATE_TICKETS].ok is True
    assert "restricted" in by_capability[Capability.UPDATE_TICKETS].detail
    assert by_capability[Capability.READ_TICKETS].ok is True
    assert "of 10000 API requests used" in by_capability[Capability.READ_TICKETS].detail
    assert "impersonation_resource_id" in by_capability[Capability.LOG_TIME].detail
    assert all(r.method == "GET" or r.path.lower().endswith("/query") for r in fake.requests)  # no writes
    paths = {r.path for r in fake.requests}
    assert "/ATServicesRest/V1.0/TicketWebhooks/entityInformation" in paths
    assert "/ATServicesRest/V1.0/ThresholdInformation" in paths


async def test_check_access_reports_bad_credentials_on_every_line(
    make: Any, router: respx.MockRouter
) -> None:
    router.get(at.DISCOVERY_URL).respond(401, json={"message": f"Bad secret {at.SECRET}"})
    checks = await make(zone_url=None).check_access()
    assert len(checks) == len(Capability) and all(c.ok is False for c in checks)
    assert all("401" in c.detail and at.SECRET not in c.detail for c in checks)


async def test_register_webhook_creates_subscribes_fields_and_excludes_our_resource(make: Any) -> None:
    fake = FakeAutotask()
    client = make(transport=httpx.MockTransport(fake.respond))

    registration = await client.register_webhook(WEBHOOK_URL)

    writes = [(r.method, r.path.removeprefix("/ATServicesRest/V1.0"), r.body) for r in fake.writes()]
    assert writes[0] == ("POST", "/TicketWebhooks", {
        "name": "Deskhand ticket events", "webhookUrl": WEBHOOK_URL, "deactivationUrl": WEBHOOK_URL,
        "secretKey": at.WEBHOOK_SECRET, "isActive": True, "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True, "isSubscribedToDeleteEvents": True,
        "sendThresholdExceededNotification": False,
    })  # fmt: skip
    field_posts = [body for method, path, body in writes if path == "/TicketWebhooks/1/Fields"]
    assert {b["fieldID"] for b in field_posts} == {
        v for k, v in at.WEBHOOK_FIELD_IDS.items() if k != "DueDateTime"
    }
    assert all(b["webhookID"] == 1 for b in field_posts)
    by_id = {b["fieldID"]: b for b in field_posts}
    assert (by_id[4]["isSubscribedField"], by_id[4]["isDisplayAlwaysField"]) == (True, True)  # CompanyID
    assert (by_id[3]["isSubscribedField"], by_id[3]["isDisplayAlwaysField"]) == (False, True)  # TicketNumber
    assert writes[-1] == (
        "POST",
        "/TicketWebhooks/1/ExcludedResources",
        {"webhookID": 1, "resourceID": at.RESOURCE_ID},
    )
    assert (registration.registered, registration.external_id) == (True, "1")
    assert fake.webhooks[1]["isReady"] is True and fake.webhooks[1]["secretKey"] == at.WEBHOOK_SECRET
    assert at.WEBHOOK_SECRET not in registration.detail


async def test_register_webhook_again_reuses_it_resets_the_secret_and_adds_only_whats_missing(
    make: Any,
) -> None:
    fake = FakeAutotask()
    fake.webhooks[4] = {**at.ticket_webhook(4, WEBHOOK_URL), "secretKey": "an-older-secret-123"}
    fake.webhook_fields[4] = [{"id": 1, "fieldID": 4, "webhookID": 4, "isSubscribedField": True}]
    client = make(transport=httpx.MockTransport(fake.respond))

    registration = await client.register_webhook(WEBHOOK_URL)

    writes = [(r.method, r.path.removeprefix("/ATServicesRest/V1.0"), r.body) for r in fake.writes()]
    assert writes[0][:2] == ("PATCH", "/TicketWebhooks") and writes[0][2]["id"] == 4
    assert fake.webhooks[4]["secretKey"] == at.WEBHOOK_SECRET
    assert [b["fieldID"] for _, p, b in writes if p.endswith("/Fields")].count(4) == 0
    assert len(fake.webhook_fields[4]) == 11 and len(fake.excluded_resources[4]) == 1
    assert not any(m == "POST" and p == "/TicketWebhooks" for m, p, _ in writes)
    assert registration.external_id == "4" and "Reused" in registration.detail
    await client.register_webhook(WEBHOOK_URL)
    assert len(fake.webhook_fields[4]) == 11 and len(fake.excluded_resources[4]) == 1
