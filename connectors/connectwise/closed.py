"""Closed tickets of every company, for the similar-ticket backfill. Pure functions; no I/O.

ConnectWise filters, sorts and pages on the server (``conditions``, ``orderBy``, ``page``), so a cursor is
the next page number, bound to the ``since`` it was issued for: a plain string that survives a restart.
Conditions syntax: dates go in square brackets (``closedDate>=[2025-01-01T00:00:00Z]``); ``closedFlag`` and
``closedDate`` are ``Ticket`` fields of the 2026.4 OpenAPI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.connectwise.mapping import map_ticket_summary
from connectors.json_values import as_mapping, utc_text, utc_timestamp
from connectors.page_cursor import page_of, utc_floor
from core.domain import TicketSummary

CLOSED_PAGE_SIZE = 100
CLOSED_ORDER = "closedDate asc, id asc"


def closed_conditions(since: datetime) -> str:
    """``conditions`` of ``GET /service/tickets`` for tickets closed at or after ``since`` (UTC seconds)."""
    return f"closedFlag=true and closedDate>=[{utc_text(since)}]"


def cursor_page(cursor: str | None, since: datetime) -> int:
    return page_of(cursor, since, vendor="ConnectWise")


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
