"""Page-number cursors for PSA listings that page by number (ConnectWise, Halo): ``page=N;since=...``.

The cursor names the ``since`` it was issued for, so resuming a different listing with it is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from connectors.json_values import utc_text
from core.errors import ValidationFailed

# 10 million tickets: a walk longer than that is a vendor paging fault, not a help desk's history.
MAX_CLOSED_PAGES = 100_000
_CURSOR_RE = re.compile(
    r"page=([1-9][0-9]{0,5});since=([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"
)


def utc_floor(moment: datetime) -> datetime:
    """``moment`` in UTC to the whole second, as it is sent (naive means UTC, like ``utc_text``)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


def closed_cursor(page: int, since: datetime) -> str:
    return f"page={page};since={utc_text(since)}"


def page_of(cursor: str | None, since: datetime, *, vendor: str) -> int:
    """The page a cursor points at (1 without one); ``ValidationFailed`` for a malformed cursor or one
    issued for another ``since`` (its pages would be those of a different listing)."""
    if cursor is None:
        return 1
    match = _CURSOR_RE.fullmatch(cursor)
    if match is None or int(match.group(1)) > MAX_CLOSED_PAGES:
        raise ValidationFailed(f"not a {vendor} closed-tickets cursor: {cursor[:60]!r}")
    if match.group(2) != utc_text(since):
        raise ValidationFailed(
            f"cursor was issued for closed tickets since {match.group(2)}, not since {utc_text(since)}"
        )
    return int(match.group(1))
