"""Closed tickets of every client, for the similar-ticket backfill. Pure functions; no I/O.

Halo filters, sorts and pages on the server (``GET /Tickets`` with ``pageinate``/``page_no``), so a cursor
is the next page number, bound to the ``since`` it was issued for: a plain string that survives a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from connectors.halopsa.mapping import id_or_none, map_ticket_summary
from connectors.json_values import utc_text, utc_timestamp
from connectors.page_cursor import page_of, utc_floor
from core.domain import TicketSummary

CLOSED_PAGE_SIZE = 100  # the swagger's documented maximum page_size

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


def closed_params(since: datetime, page: int) -> dict[str, str | int]:
    return {
        **CLOSED_QUERY,
        CLOSED_SINCE_PARAM: utc_text(since),
        "page_size": CLOSED_PAGE_SIZE,
        "page_no": page,
    }


def cursor_page(cursor: str | None, since: datetime) -> int:
    return page_of(cursor, since, vendor="HaloPSA")


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
