"""Microsoft Graph v1.0 payloads for two client tenants, in Graph's real JSON shapes.

Shapes follow the Graph reference (user, group, subscribedSku, signIn, riskyUser, directoryRole, domain,
servicePrincipal, authentication methods, mailboxSettings, OData errors) with ISO-8601 UTC ``Z`` times.
Contoso (tenant A) is fully consented, has Entra ID P1 and gave the app the Helpdesk Administrator
role; Fabrikam (tenant B) granted read permissions only and has no premium licence. Their ids are here;
``msgraph_tenants`` seeds their directories from these builders.
"""

from __future__ import annotations

from typing import Any

from connectors.msgraph.config import MsGraphConfig

GRAPH = "https://graph.microsoft.com/v1.0"
GRAPH_HOST = "graph.microsoft.com"
LOGIN_HOST = "login.microsoftonline.com"

CLIENT_ID = "6f1d2c3b-4a59-4e8d-9c7b-0a1b2c3d4e5f"
CLIENT_SECRET = "dH8Q~fake-graph-client-secret.9zYx"

# -- tenant A: Contoso ---------------------------------------------------------------------------------
TENANT_A = "c0a7e5f0-1111-4a1a-9a1a-0000000000a1"
DOMAIN_A = "contoso.com"
INITIAL_DOMAIN_A = "contoso.onmicrosoft.com"
UNVERIFIED_DOMAIN_A = "contoso-old.com"
APP_SP_A = "5e000000-0000-4a00-8a00-0000000000a1"

ALICE = "0a11ce00-0000-4000-8000-000000000001"
BOB = "0b0b0000-0000-4000-8000-000000000002"
SEAN = "05ea0000-0000-4000-8000-000000000003"
CAROL = "0ca70100-0000-4000-8000-000000000004"
SCANNER = "05ca0000-0000-4000-8000-000000000005"

FINANCE = "9f000000-0000-4000-8000-0000000000f1"
ALL_STAFF = "9a000000-0000-4000-8000-0000000000a5"
SALES_DL = "9d000000-0000-4000-8000-0000000000d1"
ALL_USERS_DYNAMIC = "9e000000-0000-4000-8000-0000000000e1"
VPN_USERS = "9b000000-0000-4000-8000-0000000000b1"

ROLE_USER_ADMIN = "4a000000-0000-4000-8000-0000000000a1"
ROLE_HELPDESK_ADMIN = "4b000000-0000-4000-8000-0000000000b1"

# Real SKU ids and part numbers of common Microsoft 365 business products.
SKU_BUSINESS_PREMIUM = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
SKU_EXCHANGE_STANDARD = "4b9405b0-7788-4568-add1-99614e613b69"
SKU_BUSINESS_STANDARD = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"

# -- tenant B: Fabrikam --------------------------------------------------------------------------------
TENANT_B = "fab00000-2222-4b2b-9b2b-0000000000b2"
DOMAIN_B = "fabrikam.com"
APP_SP_B = "5e000000-0000-4b00-8b00-0000000000b2"
DANA = "0da0a000-0000-4000-8000-000000000006"
FABRIKAM_STAFF = "9c000000-0000-4000-8000-0000000000c1"

# Role template ids of the built-in Entra roles used here.
TEMPLATE_USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
TEMPLATE_HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"

FULL_PERMISSIONS: tuple[str, ...] = (
    "User.ReadWrite.All",
    "User.EnableDisableAccount.All",
    "User.RevokeSessions.All",
    "User-PasswordProfile.ReadWrite.All",
    "Directory.Read.All",
    "GroupMember.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
    "AuditLog.Read.All",
    "IdentityRiskyUser.Read.All",
    "UserAuthenticationMethod.Read.All",
    "MailboxSettings.ReadWrite",
    "Domain.Read.All",
    "Application.Read.All",
)
READ_ONLY_PERMISSIONS: tuple[str, ...] = (
    "User.Read.All",
    "Directory.Read.All",
    "GroupMember.Read.All",
    "LicenseAssignment.Read.All",
    "Domain.Read.All",
    "Application.Read.All",
)


def config(**overrides: Any) -> MsGraphConfig:
    values: dict[str, Any] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    values.update(overrides)
    return MsGraphConfig.model_validate(values)


# -- builders ------------------------------------------------------------------------------------------


def user(
    user_id: str, upn: str, display_name: str, *, licenses: tuple[str, ...] = (), **properties: Any
) -> dict[str, Any]:
    """A user as ``GET /users/{id}?$select=...`` returns it; ``properties`` in Graph's names (jobTitle=)."""
    record: dict[str, Any] = {"id": user_id, "businessPhones": [], "displayName": display_name}
    for name in ("givenName", "surname", "jobTitle", "mail", "mobilePhone", "officeLocation", "department"):
        record[name] = None
    record |= {"preferredLanguage": "en-US", "userPrincipalName": upn, "accountEnabled": True}
    record |= {"usageLocation": "US", "userType": "Member"}
    record["assignedLicenses"] = [{"disabledPlans": [], "skuId": sku} for sku in licenses]
    return record | properties


def sign_in_activity(last_sign_in: str, last_non_interactive: str | None = None) -> dict[str, Any]:
    return {
        "lastSignInDateTime": last_sign_in,
        "lastSignInRequestId": "0e7f1b6c-7d2a-4c1e-9a4f-5b6c7d8e9f00",
        "lastNonInteractiveSignInDateTime": last_non_interactive or last_sign_in,
        "lastNonInteractiveSignInRequestId": "1f8a2c7d-8e3b-4d2f-8b5a-6c7d8e9f0a11",
        "lastSuccessfulSignInDateTime": last_sign_in,
        "lastSuccessfulSignInRequestId": "0e7f1b6c-7d2a-4c1e-9a4f-5b6c7d8e9f00",
    }


def group(
    group_id: str,
    display_name: str,
    *,
    kind: str = "security",
    mail: str | None = None,
    membership_rule: str | None = None,
) -> dict[str, Any]:
    """``kind``: security, microsoft365, distribution or mail_enabled_security (Graph's flag combinations)."""
    flags = {
        "security": ([], False, True),
        "microsoft365": (["Unified"], True, False),
        "distribution": ([], True, False),
        "mail_enabled_security": ([], True, True),
    }
    group_types, mail_enabled, security_enabled = flags[kind]
    types = [*group_types, "DynamicMembership"] if membership_rule else list(group_types)
    return {
        "@odata.type": "#microsoft.graph.group",
        "id": group_id,
        "displayName": display_name,
        "description": None,
        "groupTypes": types,
        "mail": mail,
        "mailEnabled": mail_enabled,
        "mailNickname": display_name.lower().replace(" ", "-"),
        "securityEnabled": security_enabled,
        "membershipRule": membership_rule,
        "membershipRuleProcessingState": "On" if membership_rule else None,
        "visibility": "Private" if kind == "microsoft365" else None,
    }


def subscribed_sku(
    sku_id: str, part_number: str, *, enabled: int, consumed: int, plans: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "accountId": "0c0ffee0-0000-4000-8000-000000000000",
        "accountName": "Contoso",
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": consumed,
        "id": f"0c0ffee0-0000-4000-8000-000000000000_{sku_id}",
        "skuId": sku_id,
        "skuPartNumber": part_number,
        "subscriptionIds": ["d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6"],
        "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
        "servicePlans": [
            {
                "servicePlanId": f"00000000-0000-4000-8000-{index:012d}",
                "servicePlanName": name,
                "provisioningStatus": "Success",
                "appliesTo": "User",
            }
            for index, name in enumerate(plans, start=1)
        ],
    }


def sign_in(
    sign_in_id: str,
    user_id: str,
    upn: str,
    created: str,
    *,
    error_code: int = 0,
    failure_reason: str | None = None,
    ip_address: str = "203.0.113.24",
    city: str | None = "Seattle",
    country: str | None = "US",
    app: str = "Office 365 Exchange Online",
    risk: str = "none",
) -> dict[str, Any]:
    return {
        "id": sign_in_id,
        "createdDateTime": created,
        "userDisplayName": upn.split("@")[0],
        "userPrincipalName": upn,
        "userId": user_id,
        "appId": "00000002-0000-0ff1-ce00-000000000000",
        "appDisplayName": app,
        "ipAddress": ip_address,
        "clientAppUsed": "Browser",
        "conditionalAccessStatus": "notApplied",
        "isInteractive": True,
        "riskDetail": "none",
        "riskLevelAggregated": risk,
        "riskLevelDuringSignIn": risk,
        "riskState": "none",
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Office 365 Exchange Online",
        "status": {"errorCode": error_code, "failureReason": failure_reason, "additionalDetails": None},
        "location": {
            "city": city,
            "state": None,
            "countryOrRegion": country,
            "geoCoordinates": {"altitude": None, "latitude": None, "longitude": None},
        },
    }


def risky_user(
    user_id: str,
    upn: str,
    *,
    level: str = "high",
    state: str = "atRisk",
    updated: str = "2026-03-01T08:00:00Z",
) -> dict[str, Any]:
    return {
        "id": user_id,
        "isDeleted": False,
        "isProcessing": False,
        "riskLastUpdatedDateTime": updated,
        "riskLevel": level,
        "riskState": state,
        "riskDetail": "none",
        "userDisplayName": upn.split("@")[0],
        "userPrincipalName": upn,
    }


def directory_role(role_id: str, display_name: str, template_id: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": role_id,
        "deletedDateTime": None,
        "description": f"{display_name} built-in role",
        "displayName": display_name,
        "roleTemplateId": template_id,
    }


def domain(
    name: str, *, verified: bool = True, default: bool = False, initial: bool = False
) -> dict[str, Any]:
    return {
        "id": name,
        "authenticationType": "Managed",
        "isAdminManaged": True,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": True,
        "isVerified": verified,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"] if verified else [],
    }


def service_principal(sp_id: str, app_id: str = CLIENT_ID) -> dict[str, Any]:
    return {
        "id": sp_id,
        "appId": app_id,
        "appDisplayName": "Deskhand",
        "displayName": "Deskhand",
        "servicePrincipalType": "Application",
        "accountEnabled": True,
    }


def password_method() -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": "28c10230-6103-485e-b985-444c60001490",
        "password": None,
        "createdDateTime": "2025-06-01T09:00:00Z",
    }


def authenticator_method(device: str = "iPhone 15") -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        "id": "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
        "displayName": device,
        "deviceTag": "SoftwareTokenActivated",
        "phoneAppVersion": "6.2501.0101",
        "createdDateTime": "2025-06-01T09:05:00Z",
    }


def phone_method(number: str = "+1 2065550100") -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
        "id": "3179e48a-750b-4051-897c-87b9720928f7",
        "phoneNumber": number,
        "phoneType": "mobile",
        "smsSignInState": "notAllowedByPolicy",
    }


def automatic_replies(
    status: str = "disabled", internal: str = "", external: str = "", audience: str = "all"
) -> dict[str, Any]:
    window = {"dateTime": "2026-03-01T00:00:00.0000000", "timeZone": "UTC"}
    return {
        "status": status,
        "externalAudience": audience,
        "internalReplyMessage": internal,
        "externalReplyMessage": external,
        "scheduledStartDateTime": window,
        "scheduledEndDateTime": {"dateTime": "2026-03-08T00:00:00.0000000", "timeZone": "UTC"},
    }


def mailbox_settings(replies: dict[str, Any]) -> dict[str, Any]:
    return {
        "archiveFolder": "AAMkAGI2TGuLAAA=",
        "timeZone": "Pacific Standard Time",
        "automaticRepliesSetting": replies,
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "userPurpose": "user",
    }


def odata_error(code: str, message: str) -> dict[str, Any]:
    """Graph's error body: ``{"error": {"code", "message", "innerError"}}``."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2026-03-02T10:00:00",
                "request-id": "7a1c2e3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                "client-request-id": "7a1c2e3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
            },
        }
    }


Response = tuple[int, Any]


def graph_error(status: int, code: str, message: str) -> Response:
    return status, odata_error(code, message)


def bad_request(message: str) -> Response:
    return graph_error(400, "Request_BadRequest", message)


def not_found(ref: str) -> Response:
    text = (
        f"Resource '{ref}' does not exist or one of its queried reference-property objects are not present."
    )
    return graph_error(404, "Request_ResourceNotFound", text)


# What Graph answers for a missing application permission, and for a report in a tenant without P1.
DENIED = graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
AUDIT_DENIED = graph_error(
    403,
    "Authentication_MSGraphPermissionMissing",
    "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
)
NOT_PREMIUM = graph_error(
    403,
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)


def openid_configuration(tenant_id: str) -> dict[str, Any]:
    """The v2.0 OpenID document at ``/{tenant or domain}/v2.0/.well-known/openid-configuration`` (trimmed)."""
    base = f"https://{LOGIN_HOST}/{tenant_id}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "id_token_signing_alg_values_supported": ["RS256"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": GRAPH_HOST,
    }


def unknown_tenant_error(domain_name: str) -> dict[str, Any]:
    return {
        "error": "invalid_tenant",
        "error_description": f"AADSTS90002: Tenant '{domain_name}' not found. Check to make sure you have "
        "the correct tenant ID and are signing into the correct cloud.",
        "error_codes": [90002],
    }
