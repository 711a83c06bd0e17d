"""Closed tickets of every company, for the similar-ticket backfill. Pure functions; no I/O.

ConnectWise filters, sorts and pages on the server (``conditions``, ``orderBy``, ``page``), so a cursor is
the next page number, bound to the ``since`` it was issued for: a plain string that survives a restart.
Conditions syntax: dates go in square brackets (``closedDate>=[2025-01-01T00:00:00Z]``); ``closedFlag`` and
``closedDate`` are ``Ticket`` fields of the 2026.4 OpenAPI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.connectwise.mapping import map_ticket_summary
from connectors.json_values import as_mapping, utc_text, utc_timestamp
from core.domain import TicketSummary
from core.errors import ValidationFailed

CLOSED_PAGE_SIZE = 100
CLOSED_ORDER = "closedDate asc, id asc"
# 10 million tickets: a walk longer than that is a vendor paging fault, not a help desk's history.
MAX_CLOSED_PAGES = 100_000
_CURSOR_RE = re.compile(
    r"page=([1-9][0-9]{0,5});since=([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"
)


def utc_floor(moment: datetime) -> datetime:
    """``moment`` in UTC to the whole second, as it is sent (naive means UTC, like ``utc_text``)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


def closed_conditions(since: datetime) -> str:
    """``conditions`` of ``GET /service/tickets`` for tickets closed at or after ``since`` (UTC seconds)."""
    return f"closedFlag=true and closedDate>=[{utc_text(since)}]"


def closed_cursor(page: int, since: datetime) -> str:
    return f"page={page};since={utc_text(since)}"


def cursor_page(cursor: str | None, since: datetime) -> int:
    """The page a cursor points at (1 without one); ``ValidationFailed`` for a malformed cursor or one
    issued for another ``since`` (its pages would be those of a different listing)."""
    if cursor is None:
        return 1
    match = _CURSOR_RE.fullmatch(cursor)
    if match is None or int(match.group(1)) > MAX_CLOSED_PAGES:
        raise ValidationFailed(f"not a ConnectWise closed-tickets cursor: {cursor[:60]!r}")
    if match.group(2) != utc_text(since):
        raise ValidationFailed(
            f"cursor was issued for closed tickets since {match.group(2)}, not since {utc_text(since)}"
        )
    return int(match.group(1))


@dataclass(frozen=True)
class _Closed:
    closed_at: datetime | None
    number: int
    summary: TicketSummary


def closed_summaries(items: Iterable[Any], since: datetime) -> tuple[TicketSummary, ...]:
    """One page of ``GET /service/tickets`` -> summaries, oldest closed first, then by id.

    ConnectWise already filters and sorts; records that contradict the conditions (open, without a
    company, closed before ``since``) are dropped, so nothing half-formed reaches the index."""
    floor = utc_floor(since)
    kept: list[_Closed] = []
    for item in items:
        summary = map_ticket_summary(item)
        if summary is None or not summary.closed or summary.company_id is None:
            continue
        closed_at = utc_timestamp(as_mapping(item).get("closedDate"))
        if closed_at is not None and closed_at < floor:
            continue
        number = int(summary.external_id) if summary.external_id.isdigit() else 0
        kept.append(_Closed(closed_at, number, summary))
    kept.sort(key=lambda c: (c.closed_at or floor, c.number))
    return tuple(c.summary for c in kept)
