"""What Deskhand may do in one client tenant: token, granted application permissions, Entra roles.

Permissions come from the ``roles`` claim of the app-only token (what admin consent granted in that
tenant); Entra roles from the directory roles the app's service principal is a member of there.
"""

from __future__ import annotations

from collections.abc import Iterable

from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.directory_role import DirectoryRole
from msgraph.generated.service_principals_with_app_id.service_principals_with_app_id_request_builder import (
    ServicePrincipalsWithAppIdRequestBuilder,
)
from msgraph.graph_service_client import GraphServiceClient

from connectors.msgraph import permissions as need
from connectors.msgraph.errors import GraphError, graph_call, scrub
from connectors.msgraph.mapping import jwt_claims, roles_claim
from connectors.msgraph.transport import GRAPH_SCOPE
from core.directory import TenantHealth

SpParams = ServicePrincipalsWithAppIdRequestBuilder.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters


async def tenant_health(
    *,
    tenant_id: str,
    client_id: str,
    credential: AsyncTokenCredential,
    graph: GraphServiceClient,
    secrets: Iterable[str] = (),
) -> TenantHealth:
    secret_list = list(secrets)
    try:
        token = await credential.get_token(GRAPH_SCOPE)
    except Exception as exc:  # any credential failure is the answer to "does the token work?"
        text = scrub(getattr(exc, "message", None) or str(exc) or type(exc).__name__, secret_list)
        return TenantHealth(tenant_id=tenant_id, token_ok=False, detail=f"No token for this tenant: {text}")
    claims = jwt_claims(token.token)
    issued_for = claims.get("tid")
    if issued_for is not None and str(issued_for).lower() != tenant_id:
        # Never act on a token for another tenant, whatever the credential returned.
        return TenantHealth(
            tenant_id=tenant_id, token_ok=False, detail=f"The token was issued for tenant {issued_for}"
        )
    permissions = roles_claim(claims)
    notes: list[str] = []
    if not permissions:
        notes.append("The token carries no application permissions: admin consent is missing in this tenant.")
    try:
        roles = await _app_roles(graph, client_id, secret_list)
    except GraphError as exc:
        roles = ()
        notes.append(f"Could not read the app's Entra roles: {exc.detail}")
    return TenantHealth(
        tenant_id=tenant_id, token_ok=True, detail=" ".join(notes), permissions=permissions, roles=roles
    )


async def _app_roles(graph: GraphServiceClient, client_id: str, secrets: list[str]) -> tuple[str, ...]:
    principal = await graph_call(
        graph.service_principals_with_app_id(client_id).get(
            RequestConfiguration(query_parameters=SpParams(select=["id", "displayName"]))
        ),
        action="read the app's service principal",
        permission=need.APP_ROLES_READ,
        secrets=secrets,
    )
    if principal is None or not principal.id:
        raise GraphError("the app has no service principal in this tenant (not consented)", status=404)
    page = await graph_call(
        graph.service_principals.by_service_principal_id(principal.id).member_of.get(),
        action="list the app's Entra roles",
        permission=need.APP_ROLES_READ,
        secrets=secrets,
    )
    members = (page.value if page else None) or []
    return tuple(
        sorted(item.display_name for item in members if isinstance(item, DirectoryRole) and item.display_name)
    )
