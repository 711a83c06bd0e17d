"""Onboarding a client tenant: find its tenant id from a domain, and the admin-consent link to send.

Entra publishes each tenant's OpenID configuration without authentication; its ``issuer`` is
``https://login.microsoftonline.com/{tenant id}/v2.0`` (``https://sts.windows.net/{tenant id}/`` on the
v1 document), so the tenant id is the GUID path segment of the issuer.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import httpx

from connectors.msgraph import ids
from connectors.msgraph.config import DEFAULT_AUTHORITY_HOST, MsGraphConfig, normalise_authority_host
from connectors.msgraph.errors import RETRYABLE_STATUSES, scrub
from core.errors import IntegrationError, ValidationFailed

# Entra's answer for a domain no tenant has verified: 400 {"error": "invalid_tenant", ...AADSTS90002...}.
_UNKNOWN_TENANT = "AADSTS90002"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


def openid_configuration_url(domain: str, authority_host: str = DEFAULT_AUTHORITY_HOST) -> str:
    host = normalise_authority_host(authority_host)
    return f"{host}/{ids.domain_name(domain)}/v2.0/.well-known/openid-configuration"


def tenant_id_from_issuer(issuer: str) -> str | None:
    for segment in urlsplit(issuer).path.split("/"):
        if ids.is_guid(segment):
            return segment.lower()
    return None


async def tenant_id_for_domain(
    domain: str, *, http: httpx.AsyncClient, authority_host: str = DEFAULT_AUTHORITY_HOST
) -> str:
    """The tenant id of the Microsoft 365 tenant that verified ``domain`` (404 when none did)."""
    name = ids.domain_name(domain)
    url = openid_configuration_url(name, authority_host)
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise IntegrationError(
            f"Could not reach Microsoft Entra to look up {name}: {type(exc).__name__}", retryable=True
        ) from exc
    try:
        payload = response.json()
    except ValueError:
        payload = None
    body = payload if isinstance(payload, dict) else {}
    if response.status_code == 200:
        tenant = tenant_id_from_issuer(str(body.get("issuer", "")))
        if tenant is None:
            raise IntegrationError(f"Microsoft Entra's OpenID document for {name} names no tenant id")
        return tenant
    description = scrub(str(body.get("error_description") or response.reason_phrase or ""), ())
    if response.status_code in (400, 404) and _UNKNOWN_TENANT in description:
        raise IntegrationError(f"No Microsoft 365 tenant has verified the domain {name}", status=404)
    raise IntegrationError(
        f"Microsoft Entra could not look up {name} (HTTP {response.status_code}): {description}",
        status=response.status_code,
        retryable=response.status_code in RETRYABLE_STATUSES,
    )


def _redirect(redirect_uri: str) -> str:
    parts = urlsplit(redirect_uri.strip())
    local = parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS
    if not (parts.scheme == "https" or local) or not parts.hostname or parts.fragment:
        raise ValidationFailed(
            "redirect_uri must be an https URL (http only for localhost), without fragment"
        )
    return redirect_uri.strip()


def admin_consent_url(
    config: MsGraphConfig, tenant_id: str, redirect_uri: str, *, state: str | None = None
) -> str:
    """The link a client's Global Administrator opens to consent the app's permissions in their tenant.

    ``redirect_uri`` must be registered on the app; Entra returns there with ``tenant`` and
    ``admin_consent=True`` (or ``error``), plus ``state`` when given."""
    tenant = ids.guid(tenant_id, "tenant id") if ids.is_guid(tenant_id) else ids.domain_name(tenant_id)
    query = {"client_id": config.client_id, "redirect_uri": _redirect(redirect_uri)}
    if state:
        query["state"] = state
    return f"{config.authority_host}/{tenant}/adminconsent?{urlencode(query)}"
