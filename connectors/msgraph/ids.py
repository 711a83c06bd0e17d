"""What may go into a Graph URL path or an OData literal: checked before any request is made.

Ids reach us from the model; only GUIDs and UPN-shaped strings pass, so an argument can never steer a
request to another path (``../groups``), another resource or another tenant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from connectors.msgraph.config import GUID_RE
from core.errors import ValidationFailed

# Entra allows A-Z a-z 0-9 ' . - _ ! # ^ ~ before the @ (``#EXT#`` appears in guest UPNs).
_UPN_RE = re.compile(
    r"^[A-Za-z0-9'_!#^~\-](?:[A-Za-z0-9'._!#^~\-]*[A-Za-z0-9'_!#^~\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_DOMAIN_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_MAIL_NICKNAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$")
MAX_UPN_LENGTH = 256
MAX_QUERY_LENGTH = 120


def _shown(value: str) -> str:
    return repr(value[:60])


def is_guid(value: str) -> bool:
    return bool(GUID_RE.fullmatch(value.strip()))


def is_upn(value: str) -> bool:
    text = value.strip()
    return len(text) <= MAX_UPN_LENGTH and bool(_UPN_RE.fullmatch(text))


def guid(value: str, what: str) -> str:
    """A GUID, lower-cased as Graph returns them; ``ValidationFailed`` otherwise."""
    if not isinstance(value, str) or not is_guid(value):
        raise ValidationFailed(f"{what} must be a GUID, got {_shown(str(value))}")
    return value.strip().lower()


def guids(values: Iterable[str], what: str) -> list[str]:
    return [guid(value, what) for value in values]


def upn(value: str, what: str = "user principal name") -> str:
    if not isinstance(value, str) or not is_upn(value):
        raise ValidationFailed(f"{what} must look like name@domain.com, got {_shown(str(value))}")
    return value.strip()


def user_ref(value: str) -> str:
    """An object id or a UPN: the two forms ``/users/{id | userPrincipalName}`` accepts."""
    if isinstance(value, str) and is_guid(value):
        return value.strip().lower()
    if isinstance(value, str) and is_upn(value):
        return value.strip()
    raise ValidationFailed(f"user must be an object id (GUID) or a UPN, got {_shown(str(value))}")


def domain_name(value: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not _DOMAIN_RE.fullmatch(text):
        raise ValidationFailed(f"not a domain name: {_shown(str(value))}")
    return text


def mail_nickname(value: str) -> str:
    text = value.strip()
    if not _MAIL_NICKNAME_RE.fullmatch(text) or text.startswith(".") or text.endswith("."):
        raise ValidationFailed(f"mail nickname must be one word without spaces or @, got {_shown(value)}")
    return text


def search_text(value: str) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        raise ValidationFailed("search text must not be empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"search text is longer than {MAX_QUERY_LENGTH} characters")
    return text


def bounded(value: int, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{what} must be between {low} and {high}")
    return value


def odata_string(value: str) -> str:
    """An OData string literal; a single quote inside is escaped by doubling it (OData ABNF)."""
    return "'" + value.replace("'", "''") + "'"


def user_search_filter(text: str) -> str:
    literal = odata_string(text)
    fields = ("displayName", "userPrincipalName", "mail")
    return " or ".join(f"startswith({name},{literal})" for name in fields)


def group_search_filter(text: str) -> str:
    return f"startswith(displayName,{odata_string(text)})"


def sign_in_filter(user: str) -> str:
    """Sign-ins of one user: by object id, or by UPN when that is what we were given."""
    if is_guid(user):
        return f"userId eq {odata_string(user.strip().lower())}"
    return f"userPrincipalName eq {odata_string(user.strip())}"
