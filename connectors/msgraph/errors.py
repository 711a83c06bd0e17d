"""Every failure of a Graph call becomes ``core.errors.IntegrationError`` with Graph's code and message.

Kiota raises ``ODataError`` (Graph's ``{"error": {"code", "message"}}`` body) or a bare ``APIError``;
token acquisition raises azure-core errors; the network raises httpx errors. Details never carry a
secret, a password being set, or a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TypeVar

import httpx
from azure.core.exceptions import AzureError, ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from core.errors import IntegrationError

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MESSAGE_LIMIT = 300
# Graph's code for a licence-gated report (sign-in logs, signInActivity) in a tenant without Entra ID P1/P2.
NON_PREMIUM_TENANT = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
PREMIUM_HINT = "This tenant has no Microsoft Entra ID P1/P2 licence, which sign-in logs require."


class GraphError(IntegrationError):
    """``IntegrationError`` that also keeps Graph's error code, so callers can recognise known cases."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None,
        graph_code: str | None = None,
        graph_message: str = "",
        retryable: bool = False,
    ) -> None:
        super().__init__(detail, status=status, retryable=retryable)
        self.graph_code = graph_code
        self.graph_message = graph_message


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return " ".join(text.split())[:MESSAGE_LIMIT]


def _odata_parts(exc: ODataError) -> tuple[str | None, str]:
    main = exc.error
    if main is None:
        return None, exc.message or ""
    return main.code, main.message or ""


def to_graph_error(
    exc: BaseException, *, action: str, permission: str, secrets: Iterable[str] = ()
) -> GraphError:
    """``action`` says what we tried ("read user x"); ``permission`` what a 403 means is missing
    (a sentence from ``connectors.msgraph.permissions``)."""
    secret_list = list(secrets)
    if isinstance(exc, ODataError):
        status = exc.response_status_code
        code, message = _odata_parts(exc)
    elif isinstance(exc, APIError):
        status, code, message = exc.response_status_code, None, exc.message or "no error body"
    elif isinstance(exc, ClientAuthenticationError):
        text = scrub(exc.message or str(exc), secret_list)
        return GraphError(f"Could not get a Microsoft Graph token to {action}: {text}", status=401)
    elif isinstance(exc, AzureError):
        text = scrub(exc.message or str(exc), secret_list)
        return GraphError(f"Could not reach Microsoft Entra to {action}: {text}", status=None, retryable=True)
    elif isinstance(exc, httpx.TimeoutException):
        return GraphError(f"Microsoft Graph timed out while trying to {action}", status=None, retryable=True)
    elif isinstance(exc, httpx.HTTPError):
        text = scrub(str(exc) or type(exc).__name__, secret_list)
        return GraphError(f"Could not reach Microsoft Graph to {action}: {text}", status=None, retryable=True)
    else:
        raise TypeError(f"not a Graph failure: {type(exc).__name__}")
    message = scrub(message, secret_list)
    if message and not message.endswith((".", "!", "?")):
        message += "."
    label = f"HTTP {status}" if status is not None else "error"
    detail = f"Microsoft Graph refused to {action} ({label}{f' {code}' if code else ''}): {message}"
    detail += _hint(status, code, permission)
    return GraphError(
        detail,
        status=status,
        graph_code=code,
        graph_message=message,
        retryable=status in RETRYABLE_STATUSES,
    )


def _hint(status: int | None, code: str | None, permission: str) -> str:
    if code == NON_PREMIUM_TENANT:
        return f" {PREMIUM_HINT}"
    if status == 403:
        return f" Needed in this tenant: {permission}."
    if status == 401:
        return " The token was rejected: check that the app is consented in this tenant."
    if status == 404:
        return " Not found in this tenant."
    return ""


async def graph_call(
    awaitable: Awaitable[T], *, action: str, permission: str, secrets: Iterable[str] = ()
) -> T:
    try:
        return await awaitable
    except (APIError, AzureError, httpx.HTTPError) as exc:
        raise to_graph_error(exc, action=action, permission=permission, secrets=secrets) from exc
