"""Reading Autotask JSON: keys compared case-insensitively, ids as strings, times in UTC.

Live REST responses are camelCase (``companyID``) while the swagger and webhook envelopes are PascalCase
(``CompanyID``), so every lookup goes through ``fold`` rather than trusting one spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def fold(raw: Any) -> dict[str, Any]:
    """A shallow copy of a JSON object with lower-cased keys (``{}`` for anything else)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(key).lower(): value for key, value in raw.items()}


def text(value: Any) -> str | None:
    """A non-empty, stripped string or number as text; ``None`` for blanks, booleans and structures."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float, str)):
        stripped = str(value).strip()
        return stripped or None
    return None


def number(value: Any) -> int | None:
    """An integer id from an int or a digit string (picklist values arrive as either)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def flag(value: Any) -> bool | None:
    """Autotask booleans come as ``true``/``false`` and, on some entities (Contacts.isActive), ``1``/``0``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None
