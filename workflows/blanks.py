"""Typed blanks in a generated draft: ``{{name}}`` in its text, each with a kind and a label.

A technician fills every blank before the draft can be accepted. Values are checked against live data where
the kind allows and the draft belongs to one client: a group must exist in that client's tenant, a licence
SKU must be subscribed there, a user or mailbox must exist. A shared draft has no single tenant, so those
values are only checked for form. Errors always name the blank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, Field

from connectors.base import DirectoryConnector
from core.errors import DeskhandError, IntegrationError, NotFoundError

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]{0,39})\s*\}\}")
ANY_BRACES = re.compile(r"\{\{([^{}]*)\}\}")
_SLA = re.compile(
    r"^\s*\d+(?:\.\d+)?\s*(?:business\s+|working\s+)?(?:minutes?|mins?|hours?|hrs?|h|days?|d)\s*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_VALUE = 500


class BlankKind(StrEnum):
    GROUP = "group"  # a security group, Microsoft 365 group or distribution list of the client's tenant
    LICENSE_SKU = "license_sku"  # a subscribed SKU part number, e.g. SPE_E3
    USER = "user"  # a user principal name of the tenant
    MAILBOX = "mailbox"  # a mailbox address of the tenant
    SLA = "sla"  # a duration such as "4 business hours"
    TICKET_STATUS = "ticket_status"  # a PSA status name
    TEXT = "text"  # anything else the description left open


class Blank(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="As written in the text: {{name}}")
    kind: BlankKind
    label: str = Field(min_length=1, max_length=200, description="What to fill in, for the technician")
    value: str | None = None
    checked: str | None = Field(default=None, description="How the value was checked, once filled")


def placeholders(text: str) -> list[str]:
    """Blank names used in ``text``, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def malformed_placeholders(text: str) -> list[str]:
    return [m.group(0) for m in ANY_BRACES.finditer(text) if not PLACEHOLDER.fullmatch(m.group(0))]


def fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unfilled(blanks: Sequence[Blank]) -> list[Blank]:
    return [blank for blank in blanks if blank.value is None]


async def check_value(blank: Blank, value: str, directory: DirectoryConnector | None) -> tuple[str, str]:
    """(normalised value, how it was checked); ``ValueError`` with a message naming the blank otherwise."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError(f"blank '{blank.name}' ({blank.label}) needs a value")
    if len(cleaned) > MAX_VALUE:
        raise ValueError(f"blank '{blank.name}' is longer than {MAX_VALUE} characters")
    if blank.kind is BlankKind.SLA:
        if not _SLA.match(cleaned):
            raise ValueError(
                f"blank '{blank.name}' ({blank.label}) must be a duration such as '4 hours' or "
                f"'2 business days', got '{cleaned}'"
            )
        return cleaned, "a duration"
    if blank.kind is BlankKind.MAILBOX and not _EMAIL.match(cleaned):
        raise ValueError(f"blank '{blank.name}' ({blank.label}) must be an email address, got '{cleaned}'")
    if blank.kind in (BlankKind.TEXT, BlankKind.TICKET_STATUS):
        return cleaned, "free text"
    if directory is None:
        return cleaned, "not checked against a tenant (shared workflow or no Microsoft 365 tenant)"
    try:
        return await _check_in_tenant(blank, cleaned, directory)
    except (NotFoundError, IntegrationError) as exc:
        if isinstance(exc, IntegrationError) and exc.status != 404:
            raise ValueError(
                f"blank '{blank.name}' could not be checked in the client's tenant: {exc.detail}"
            ) from exc
        raise ValueError(
            f"blank '{blank.name}' ({blank.label}): '{cleaned}' does not exist in "
            f"tenant {directory.tenant_id}"
        ) from exc
    except DeskhandError as exc:
        raise ValueError(
            f"blank '{blank.name}' could not be checked in the client's tenant: {exc.detail}"
        ) from exc


async def _check_in_tenant(blank: Blank, value: str, directory: DirectoryConnector) -> tuple[str, str]:
    where = f"tenant {directory.tenant_id}"
    if blank.kind is BlankKind.GROUP:
        groups = await directory.list_groups(value, limit=25)
        wanted = value.casefold()
        for group in groups:
            if wanted in (group.display_name.casefold(), (group.mail or "").casefold(), group.id.casefold()):
                return (
                    group.display_name,
                    f"group '{group.display_name}' ({group.kind.value}) exists in {where}",
                )
        close = ", ".join(sorted(g.display_name for g in groups)[:5]) or "none"
        raise ValueError(
            f"blank '{blank.name}' ({blank.label}): no group named '{value}' in {where} (similar: {close})"
        )
    if blank.kind is BlankKind.LICENSE_SKU:
        skus = await directory.list_skus()
        wanted = value.casefold()
        for sku in skus:
            if wanted in (sku.sku_part_number.casefold(), sku.sku_id.casefold()):
                return sku.sku_part_number, (
                    f"{sku.sku_part_number} is subscribed in {where} ({sku.available} available)"
                )
        subscribed = ", ".join(sorted(s.sku_part_number for s in skus)) or "none"
        raise ValueError(
            f"blank '{blank.name}' ({blank.label}): '{value}' is not subscribed in {where} "
            f"(subscribed: {subscribed})"
        )
    user = await directory.get_user(value)
    if blank.kind is BlankKind.MAILBOX and not user.mail:
        raise ValueError(
            f"blank '{blank.name}' ({blank.label}): '{value}' exists in {where} but has no mailbox"
        )
    return (user.mail if blank.kind is BlankKind.MAILBOX and user.mail else user.user_principal_name), (
        f"'{user.display_name}' exists in {where}"
    )
