"""Connection tests and webhook registration, shared by the REST routes and the CLI."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas import AccessCheckRead, IntegrationTestRead, WebhookRegistrationRead
from connectors.base import ConnectorFactory
from core.errors import IntegrationError
from core.integration_store import load_integration, update_integration_config
from core.secrets import SecretBox

SECRET_SHOWN_ELSEWHERE = "•••••• (shown only by `deskhand integrations register-webhook {id}`)"  # noqa: S105 - a placeholder, not a password


def webhook_url(public_url: str, kind: str, integration_id: int) -> str:
    return f"{public_url.rstrip('/')}/webhooks/{kind}/{integration_id}"


async def test_integration(
    session: AsyncSession, integration_id: int, *, connectors: ConnectorFactory, box: SecretBox
) -> IntegrationTestRead:
    """Probe every capability with read calls; values discovered on the way (codebase, zone) are saved."""
    record = await load_integration(session, integration_id, box=box)
    psa = connectors.new_psa(record.kind, record.config)
    try:
        try:
            checks = await psa.check_access()
        except IntegrationError as exc:
            return IntegrationTestRead(ok=False, detail=exc.detail, checks=[], learned={})
        learned = psa.learned_config()
    finally:
        await psa.aclose()
    changed = {key: value for key, value in learned.items() if record.config.get(key) != value}
    if changed:
        await update_integration_config(session, integration_id, box=box, config={**record.config, **changed})
    refused = [check for check in checks if check.ok is False]
    if refused:
        detail = "the PSA refused: " + ", ".join(check.capability for check in refused)
    else:
        detail = "reached the PSA; every capability that can be checked without writing is allowed"
    return IntegrationTestRead(
        ok=not refused,
        detail=detail,
        checks=[AccessCheckRead(capability=c.capability, ok=c.ok, detail=c.detail) for c in checks],
        learned=learned,
    )


async def register_webhook(
    session: AsyncSession,
    integration_id: int,
    *,
    connectors: ConnectorFactory,
    box: SecretBox,
    public_url: str,
    reveal_secrets: bool,
) -> WebhookRegistrationRead:
    """Create the PSA's webhook to this integration's URL, or say what to enter where the PSA has no API.

    Instructions may have to name the webhook password (Halo); only the CLI, run by someone who can
    read the data dir anyway, shows it (``reveal_secrets``)."""
    record = await load_integration(session, integration_id, box=box)
    url = webhook_url(public_url, record.kind, integration_id)
    psa = connectors.new_psa(record.kind, record.config)
    try:
        registration = await psa.register_webhook(url)
    finally:
        await psa.aclose()
    instructions = list(registration.instructions)
    if not reveal_secrets:
        hidden = SECRET_SHOWN_ELSEWHERE.format(id=integration_id)
        for secret in sorted(connectors.secret_values(record.kind, record.config), key=len, reverse=True):
            instructions = [line.replace(secret, hidden) for line in instructions]
    return WebhookRegistrationRead(
        webhook_url=url,
        registered=registration.registered,
        external_id=registration.external_id,
        detail=registration.detail,
        instructions=instructions,
    )
