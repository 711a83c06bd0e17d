"""The sandbox PSA's ``closed_tickets`` (the similar-ticket backfill): order, paging, resuming, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.sandbox import SandboxConfig, SandboxPsa, SandboxStore, seed
from core.domain import PicklistOption, TicketChanges, TicketPage
from core.errors import ValidationFailed
from tests.unit import sandbox_fixtures as fx
from tests.unit.sandbox_fixtures import ARCHITECTS, DENTAL, LAW

# The shared fixtures, bound here so that pytest finds them in this module.
config, psa, store = fx.config, fx.psa, fx.store

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
CLOSED = PicklistOption(external_id=seed.SD_CLOSED, name="Closed", closed=True)
IN_PROGRESS = PicklistOption(external_id=seed.SD_IN_PROGRESS, name="In Progress")
MAX_WALK = 20  # more pages than any test needs: a walk that does not end fails instead of hanging


class SteppingClock:
    """The store's clock: advances one second every ``per_step`` readings, so some closings tie."""

    def __init__(self, start: datetime, per_step: int) -> None:
        self.start, self.per_step, self.readings = start, per_step, 0

    def __call__(self) -> datetime:
        self.readings += 1
        return self.start + timedelta(seconds=self.readings // self.per_step)


async def walk(psa: SandboxPsa, since: datetime, cursor: str | None = None) -> list[TicketPage]:
    pages: list[TicketPage] = []
    for _ in range(MAX_WALK):
        page = await psa.closed_tickets(since, cursor=cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("closed_tickets never returned a last page")


async def close_new_tickets(psa: SandboxPsa, count: int) -> list[str]:
    """``count`` new tickets, each closed right away (companies in turn); returns their ids."""
    ids: list[str] = []
    for n in range(count):
        company = (DENTAL, LAW, ARCHITECTS)[n % 3]
        ticket = psa.store.open_ticket(company, f"Backfill ticket {n}", "Closed for the backfill test.")
        await psa.update_ticket(ticket, TicketChanges(status=CLOSED))
        ids.append(ticket.external_id)
    return ids


def closing_order(store: SandboxStore, ids: list[str]) -> list[str]:
    """The closed ones of ``ids`` by (closed_at, id)."""
    keyed = [(r.closed_at, int(r.id)) for r in (store.tickets[i] for i in ids) if r.closed_at is not None]
    return [str(ticket_id) for _, ticket_id in sorted(keyed)]


def after_the_seeds(store: SandboxStore) -> datetime:
    """A start after every seeded closing (seeds are relative to the real clock), to a whole second."""
    latest = max(r.closed_at for r in store.tickets.values() if r.closed_at is not None)
    return (latest + timedelta(hours=1)).replace(microsecond=0)


# -- the seeded history -------------------------------------------------------------------------------------


async def test_lists_the_seeded_closed_tickets_of_every_company_oldest_first(
    psa: SandboxPsa, store: SandboxStore
) -> None:
    page = await psa.closed_tickets(LONG_AGO)

    seeded = {t.id for t in seed.CLOSED_TICKETS}
    assert {t.external_id for t in page.tickets} == seeded and len(page.tickets) == len(seeded)
    assert {t.company_id for t in page.tickets} == {DENTAL, LAW, ARCHITECTS, seed.CHARITY} & {
        t.company_id for t in seed.CLOSED_TICKETS
    }
    assert all(t.closed and t.status in ("Closed", "Resolved") for t in page.tickets)
    closed_times = [store.tickets[t.external_id].closed_at for t in page.tickets]
    assert closed_times == sorted(closed_times)  # type: ignore[type-var]
    # A historic ticket closed when its technician wrote the resolution, its last note.
    first = store.tickets[page.tickets[0].external_id]
    assert first.closed_at == store.notes[first.id][-1].created_at
    assert page.next_cursor is None
    assert store.calls == ["closed_tickets"]


async def test_since_is_inclusive_and_open_tickets_are_never_listed(
    psa: SandboxPsa, store: SandboxStore
) -> None:
    everything = (await psa.closed_tickets(LONG_AGO)).tickets
    middle = store.tickets[everything[5].external_id].closed_at
    assert middle is not None

    later = await psa.closed_tickets(middle)
    naive = await psa.closed_tickets(middle.replace(tzinfo=None))

    assert [t.external_id for t in later.tickets] == [t.external_id for t in everything[5:]]
    assert naive == later  # a naive since means UTC
    assert all(not store.is_closed(store.tickets[i]) for i in store.sample_ticket_ids())
    assert not {t.external_id for t in everything} & set(store.sample_ticket_ids())


# -- paging and resuming -----------------------------------------------------------------------------------


async def test_pages_to_the_end_through_cursors(psa: SandboxPsa, store: SandboxStore) -> None:
    start = after_the_seeds(store)
    store.clock = SteppingClock(start, per_step=7)  # ~3 closings share a second
    ids = await close_new_tickets(psa, 230)
    store.calls.clear()

    pages = await walk(psa, start)

    assert [len(p.tickets) for p in pages] == [100, 100, 30]
    listed = [t.external_id for p in pages for t in p.tickets]
    assert listed == closing_order(store, ids)
    assert len({store.tickets[i].closed_at for i in ids}) < 230  # ties were there to break
    assert store.calls == ["closed_tickets"] * 3
    last_of_first = store.tickets[listed[99]]
    assert pages[0].next_cursor == (
        f"closed_at={last_of_first.closed_at.isoformat(timespec='microseconds')};id={last_of_first.id}"  # type: ignore[union-attr]
    )
    assert pages[-1].next_cursor is None


async def test_a_new_client_resumes_from_a_saved_cursor(
    psa: SandboxPsa, store: SandboxStore, config: SandboxConfig
) -> None:
    start = after_the_seeds(store)
    store.clock = SteppingClock(start, per_step=2)
    ids = await close_new_tickets(psa, 150)
    first = await psa.closed_tickets(start)

    restarted = SandboxPsa(config)  # same named store, new client
    rest = await walk(restarted, start, first.next_cursor)

    listed = [t.external_id for t in first.tickets] + [t.external_id for p in rest for t in p.tickets]
    assert listed == closing_order(store, ids)


async def test_reopening_and_reclosing_during_the_walk(psa: SandboxPsa, store: SandboxStore) -> None:
    start = after_the_seeds(store)
    store.clock = SteppingClock(start, per_step=1)
    ids = await close_new_tickets(psa, 150)
    first = await psa.closed_tickets(start)
    before = closing_order(store, ids)
    reopened, reclosed = before[120], before[10]

    await psa.update_ticket(store.ticket(reopened), TicketChanges(status=IN_PROGRESS))
    await psa.update_ticket(store.ticket(reclosed), TicketChanges(status=IN_PROGRESS))
    await psa.update_ticket(store.ticket(reclosed), TicketChanges(status=CLOSED))
    rest = [t.external_id for p in await walk(psa, start, first.next_cursor) for t in p.tickets]

    assert store.tickets[reopened].closed_at is None
    # Nothing after the cursor shifts: the reopened ticket drops out, the reclosed one moves to the end.
    assert rest == [i for i in before[100:] if i != reopened] + [reclosed]


async def test_closing_again_keeps_the_first_closing_time(psa: SandboxPsa, store: SandboxStore) -> None:
    [ticket_id] = await close_new_tickets(psa, 1)
    first_closed = store.tickets[ticket_id].closed_at
    resolved = PicklistOption(external_id=seed.SD_RESOLVED, name="Resolved", closed=True)
    await psa.update_ticket(store.ticket(ticket_id), TicketChanges(status=resolved))
    assert store.tickets[ticket_id].closed_at == first_closed


# -- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "4801",
        "closed_at=2026-03-02T09:00:00+00:00",
        "closed_at=2026-03-02T09:00:00+00:00;id=0",
        "closed_at=2026-03-02T09:00:00+00:00;id=x",
        "closed_at=2026-03-02T09:00:00;id=4801",  # no time zone
        "closed_at=2026-13-02T09:00:00+00:00;id=4801",
        "closed_at=2026-03-02T09:00:00+00:00;id=4801;more",
        "page=2;since=2025-01-01T00:00:00Z",
    ],
)
async def test_a_malformed_cursor_is_refused(psa: SandboxPsa, store: SandboxStore, cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        await psa.closed_tickets(LONG_AGO, cursor=cursor)
    assert store.calls == []
