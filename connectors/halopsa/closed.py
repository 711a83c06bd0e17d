"""Closed tickets of every client, for the similar-ticket backfill. Pure functions; no I/O.

Halo filters, sorts and pages on the server (``GET /Tickets`` with ``pageinate``/``page_no``), so a cursor
is the next page number, bound to the ``since`` it was issued for: a plain string that survives a restart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from connectors.halopsa.mapping import id_or_none, map_ticket_summary
from connectors.json_values import utc_text, utc_timestamp
from core.domain import TicketSummary
from core.errors import ValidationFailed

CLOSED_PAGE_SIZE = 100  # the swagger's documented maximum page_size
# 10 million tickets: a walk longer than that is a vendor paging fault, not a help desk's history.
MAX_CLOSED_PAGES = 100_000

# Every Halo-specific name of the closed-ticket query, in one place because not all are confirmed:
# - ``closed_only``, ``datesearch``, ``startdate``, ``order``/``order2``, ``orderdesc``/``orderdesc2``:
#   GET /Tickets parameters of Halo's swagger (v2, 2024 copy).
# - ``datesearch=datecleared``: the swagger's own example ("Date Closed - 'datecleared'"); one 3rd-party
#   client sends ``dateclosed`` instead. Unconfirmed against a live tenant.
# - ``order=dateclosed``: the ticket's closed-date field (``Faults.dateclosed``), by analogy with
#   ``order=dateoccurred`` used for search; whether ``order`` takes that name is unconfirmed.
# - no ``enddate``: the range is open-ended ("closed at or after since"); whether Halo requires both
#   ends is undocumented. Pages are re-checked here against ``dateclosed`` either way.
CLOSED_QUERY: Mapping[str, str] = MappingProxyType(
    {
        "closed_only": "true",
        "datesearch": "datecleared",
        "order": "dateclosed",
        "orderdesc": "false",
        "order2": "id",
        "orderdesc2": "false",
        "pageinate": "true",
    }
)
CLOSED_SINCE_PARAM = "startdate"
CLOSED_DATE_FIELD = "dateclosed"

_CURSOR_RE = re.compile(
    r"page=([1-9][0-9]{0,5});since=([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"
)


def utc_floor(moment: datetime) -> datetime:
    """``moment`` in UTC to the whole second, as it is sent (naive means UTC, like ``utc_text``)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


def closed_params(since: datetime, page: int) -> dict[str, str | int]:
    return {
        **CLOSED_QUERY,
        CLOSED_SINCE_PARAM: utc_text(since),
        "page_size": CLOSED_PAGE_SIZE,
        "page_no": page,
    }


def closed_cursor(page: int, since: datetime) -> str:
    return f"page={page};since={utc_text(since)}"


def cursor_page(cursor: str | None, since: datetime) -> int:
    """The page a cursor points at (1 without one); ``ValidationFailed`` for a malformed cursor or one
    issued for another ``since`` (its pages would be those of a different listing)."""
    if cursor is None:
        return 1
    match = _CURSOR_RE.fullmatch(cursor)
    if match is None or int(match.group(1)) > MAX_CLOSED_PAGES:
        raise ValidationFailed(f"not a HaloPSA closed-tickets cursor: {cursor[:60]!r}")
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


def closed_summaries(items: Iterable[Mapping[str, Any]], since: datetime) -> tuple[TicketSummary, ...]:
    """One page of ``GET /Tickets?closed_only=true`` -> summaries, oldest closed first, then by id.

    ``closed_only`` is Halo's own notion of closed (custom closed statuses included), so every record is
    marked closed; records without a client or closed before ``since`` contradict the query and are
    dropped, so nothing half-formed reaches the index."""
    floor = utc_floor(since)
    kept: list[_Closed] = []
    for item in items:
        summary = map_ticket_summary(item)
        if summary is None or summary.company_id is None:
            continue
        closed_at = utc_timestamp(item.get(CLOSED_DATE_FIELD))
        if closed_at is not None and closed_at < floor:
            continue
        number = int(id_or_none(item.get("id")) or 0)
        kept.append(_Closed(closed_at, number, summary.model_copy(update={"closed": True})))
    kept.sort(key=lambda c: (c.closed_at or floor, c.number))
    return tuple(c.summary for c in kept)
