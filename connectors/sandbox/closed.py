"""Closed tickets of every company, for the similar-ticket backfill, over a ``SandboxStore``.

Order: oldest ``closed_at`` first, then ticket id. The cursor is the last listed (closed_at, id) pair as
plain text (``closed_at=<ISO-8601>;id=<n>``); the next page is everything after it in that order, so a
cursor stays valid while tickets close, reopen or close again (a reclosed ticket moves to the end).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from connectors.sandbox.store import SandboxStore, TicketRecord
from core.domain import TicketPage, TicketSummary
from core.errors import ValidationFailed

CLOSED_PAGE_SIZE = 100
_CURSOR_RE = re.compile(r"closed_at=([0-9T:.+\-]{19,40});id=([1-9][0-9]{0,17})")

ClosedKey = tuple[datetime, int]


def closed_cursor(key: ClosedKey) -> str:
    closed_at, ticket_id = key
    return f"closed_at={closed_at.astimezone(UTC).isoformat(timespec='microseconds')};id={ticket_id}"


def parse_cursor(cursor: str | None) -> ClosedKey | None:
    """The (closed_at, id) a cursor continues after; ``ValidationFailed`` for anything else."""
    if cursor is None:
        return None
    match = _CURSOR_RE.fullmatch(cursor)
    closed_at = None
    if match is not None:
        try:
            closed_at = datetime.fromisoformat(match.group(1))
        except ValueError:
            closed_at = None
    if match is None or closed_at is None or closed_at.tzinfo is None:
        raise ValidationFailed(f"not a sandbox closed-tickets cursor: {cursor[:60]!r}")
    return closed_at, int(match.group(2))


def closed_page(
    store: SandboxStore,
    since: datetime,
    after: ClosedKey | None,
    *,
    summary: Callable[[TicketRecord], TicketSummary],
    page_size: int = CLOSED_PAGE_SIZE,
) -> TicketPage:
    """One page of closed tickets (caller holds ``store.lock``); ``since`` naive means UTC."""
    floor = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    keyed: list[tuple[ClosedKey, TicketRecord]] = []
    for record in store.tickets.values():
        if record.closed_at is None or not store.is_closed(record) or record.closed_at < floor:
            continue
        key = (record.closed_at, int(record.id))
        if after is None or key > after:
            keyed.append((key, record))
    keyed.sort(key=lambda pair: pair[0])
    page = keyed[:page_size]
    next_cursor = closed_cursor(page[-1][0]) if len(keyed) > page_size else None
    return TicketPage(tickets=tuple(summary(record) for _, record in page), next_cursor=next_cursor)
