"""Complete tickets of every company, for the similar-ticket backfill. Pure functions; no I/O.

Autotask queries filter but cannot sort, and page through ``pageDetails.nextPageUrl``. The cursor is that
URL as Autotask sent it: it already holds where the next page starts (Autotask encodes the next ids in its
``paging`` parameter), so it survives a restart. A cursor handed back is checked before anything is sent
with it, because the request carries our credentials.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.autotask.mapping import map_ticket_summary
from connectors.autotask.picklists import TicketPicklists
from connectors.autotask.values import fold, number
from connectors.json_values import utc_text, utc_timestamp
from core.domain import TicketSummary
from core.errors import ValidationFailed

CLOSED_PAGE_SIZE = 100  # MaxRecords of each query page (Autotask allows up to 500)
COMPLETED_DATE_FIELD = "completedDate"  # TicketModel.CompletedDate (swagger), set when a ticket completes
NEXT_PAGE_PATH = "v1.0/tickets/query/next"  # under the zone's REST path, compared lower-cased
MAX_CURSOR_CHARS = 8000


def closed_filters(since: datetime, *, complete_status: str) -> list[dict[str, Any]]:
    """Filter items of ``POST /V1.0/Tickets/query`` (ANDed): status Complete, completed at or after
    ``since`` (UTC, whole seconds)."""
    complete = number(complete_status)
    return [
        {"op": "eq", "field": "status", "value": complete if complete is not None else complete_status},
        {"op": "gte", "field": COMPLETED_DATE_FIELD, "value": utc_text(since)},
    ]


def check_cursor_shape(cursor: str) -> str:
    """A cursor must look like a Tickets ``nextPageUrl`` (http(s), no credentials or fragment, the
    ``.../V1.0/Tickets/query/next`` path); the zone (https for a discovered one) is checked once known."""
    text = cursor.strip()
    try:
        parts = urlsplit(text)
        ok = (
            len(text) <= MAX_CURSOR_CHARS
            and parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and parts.username is None
            and parts.password is None
            and not parts.fragment
            and not any(ch.isspace() or ord(ch) < 32 for ch in text)
            and parts.path.lower().endswith("/" + NEXT_PAGE_PATH)
        )
    except ValueError:
        ok = False
    if not ok:
        raise ValidationFailed(f"not an Autotask closed-tickets cursor: {cursor[:60]!r}")
    return text


def on_next_page_path(cursor: str, zone: str) -> bool:
    """The cursor's path is exactly the zone's ``V1.0/Tickets/query/next`` (not merely under the zone)."""
    return urlsplit(cursor).path.lower() == urlsplit(zone).path.lower() + NEXT_PAGE_PATH


@dataclass(frozen=True)
class _Closed:
    closed_at: datetime | None
    number: int
    summary: TicketSummary


def closed_summaries(
    items: Iterable[Any], since: datetime, tickets: TicketPicklists
) -> tuple[TicketSummary, ...]:
    """One query page -> summaries sorted by completion time, then id (Autotask cannot sort).

    Records that contradict the filter (not Complete, completed before ``since``) are dropped."""
    aware = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    floor = aware.astimezone(UTC).replace(microsecond=0)
    kept: list[_Closed] = []
    for raw in items:
        summary = map_ticket_summary(raw, tickets)
        if summary is None or not summary.closed or summary.company_id is None:
            continue
        closed_at = utc_timestamp(fold(raw).get(COMPLETED_DATE_FIELD.lower()))
        if closed_at is not None and closed_at < floor:
            continue
        kept.append(_Closed(closed_at, number(summary.external_id) or 0, summary))
    kept.sort(key=lambda c: (c.closed_at or floor, c.number))
    return tuple(c.summary for c in kept)
