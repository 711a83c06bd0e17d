"""Reading vendor JSON defensively: every PSA sends ids as numbers or strings, blanks, and odd times."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.errors import ValidationFailed

# Vendors write "no date" as 0001-01-01 or 1900-01-01 rather than null.
_UNSET_BEFORE_YEAR = 1901


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def text_or_none(value: Any) -> str | None:
    """A non-empty, stripped string or integer as text; ``None`` for blanks, booleans and structures."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        text = str(value).strip()
        return text or None
    return None


def utc_timestamp(value: Any) -> datetime | None:
    """ISO-8601 with or without ``Z`` (naive means UTC); unreadable or placeholder dates are ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year < _UNSET_BEFORE_YEAR:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def utc_text(moment: datetime) -> str:
    """A datetime as vendors take it on writes: UTC, whole seconds, ``Z``. Naive means UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_object(body: bytes, what: str) -> Mapping[str, Any]:
    """A webhook body as a JSON object, or ``ValidationFailed`` (a 400 with the reason, never a 500)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{what} is not valid JSON") from exc
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{what} is not a JSON object")
    return value
