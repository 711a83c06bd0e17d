"""PSA webhooks: size limit, authenticate, parse, persist, answer 202. No PSA or LLM work here."""

from __future__ import annotations

import json
import logging
import time

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from agent.intake import record_delivery
from agent.pipeline import enqueue_ticket_run
from agent.runtime import Runtime
from api.deps import RuntimeDep
from core.errors import AuthenticationError, NotFoundError, PayloadTooLarge, ValidationFailed
from core.integration_store import IntegrationRecord, load_integration

logger = logging.getLogger("deskhand.webhooks")
router = APIRouter(tags=["webhooks"])

# Decrypting the integration on every callback costs a session and a Fernet decrypt; bursts of
# callbacks reuse it for a few seconds (a changed config takes effect within that time).
CONFIG_TTL_SECONDS = 5.0
_configs: dict[tuple[int, int], tuple[float, IntegrationRecord]] = {}


async def integration_for_webhook(runtime: Runtime, integration_id: int) -> IntegrationRecord:
    key = (id(runtime), integration_id)
    cached = _configs.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < CONFIG_TTL_SECONDS:
        return cached[1]
    async with runtime.db.session() as session:
        record = await load_integration(session, integration_id, box=runtime.box)
    if len(_configs) > 1000:
        _configs.clear()
    _configs[key] = (now, record)
    return record


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"webhook body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"webhook body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/{kind}/{integration_id}", status_code=status.HTTP_202_ACCEPTED)
async def receive(kind: str, integration_id: int, request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = await read_limited(request, runtime.settings.webhook_max_body_bytes)
    record = await integration_for_webhook(runtime, integration_id)
    if record.kind != kind:
        raise NotFoundError(f"no {kind} integration {integration_id}")
    try:
        json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("webhook body is not valid JSON", code="malformed_json") from exc
    receiver = runtime.connectors.webhook_receiver(kind, record.config)
    try:
        await receiver.authenticate(request.headers, body)
    except AuthenticationError as exc:
        logger.warning("rejected %s webhook for integration %s: %s", kind, integration_id, exc.detail)
        raise
    parsed = receiver.parse(body)
    try:
        async with runtime.db.write_session() as session:
            intake = await record_delivery(
                session,
                integration_id=integration_id,
                parsed=parsed,
                body=body,
                llm_configured=runtime.model is not None,
            )
    except OperationalError as exc:
        # Not stored: answer 503 so the PSA delivers it again instead of believing it landed.
        logger.error("could not store %s webhook for integration %s: %s", kind, integration_id, exc.orig)
        return JSONResponse(
            {"detail": "the database is busy; deliver again shortly", "code": "busy"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if intake.should_run:
        await enqueue_ticket_run(intake.event_id)
    return JSONResponse(
        {"event_id": intake.event_id, "status": intake.status, "duplicate": intake.duplicate},
        status_code=status.HTTP_202_ACCEPTED,
    )
