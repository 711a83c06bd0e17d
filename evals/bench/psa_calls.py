"""PSA API calls per triage-only run, on each PSA, cold and warm.

    python -m evals.bench.psa_calls [--psa connectwise --psa halopsa ...]

A triage-only run (``agent/stages.py``) reads the ticket, makes the agent's one write and posts one
internal summary note at the end. This script replays exactly that against each PSA's real client, by
calling the real functions: ``psa.get_ticket(id)``, the ``set_ticket_status`` action of
``connectors/ticket_field_actions.py`` (``list_options(STATUS)`` then ``update_ticket``) and
``psa.add_note(id, text, internal=True)``.

ConnectWise, HaloPSA and Autotask are the real clients talking HTTP to the stateful fakes of
``evals/fakes`` (mounted with respx, so no socket is opened); their request logs are counted. The
sandbox PSA counts its own calls in ``store.calls``. Every PSA runs two tickets on one client object:
the first is cold (empty picklist and metadata caches), the second warm. Auth and discovery requests
(ConnectWise ``/login/companyinfo``, the Halo OAuth token, Autotask zone discovery) are reported apart:
they happen once per client (the codebase and zone are then saved in the integration's config) or, for
the Halo token, once an hour.

Target (from the issue): at most 4 PSA calls per warm triage-only run. Exit status 1 if a warm figure
is over it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import httpx
import respx

from connectors.autotask import AutotaskClient
from connectors.base import ActionContext, PsaConnector
from connectors.connectwise import ConnectWiseClient
from connectors.halopsa import HaloClient
from connectors.sandbox import SandboxConfig, SandboxPsa
from connectors.ticket_field_actions import StatusInput, set_ticket_status
from evals.bench.stack import progress, table, verdict
from evals.fakes import autotask_payloads as at
from evals.fakes import connectwise_payloads as cw
from evals.fakes import halopsa_payloads as hp
from evals.fakes.autotask import FakeAutotask
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.halopsa import FakeHalo

TARGET_CALLS = 4
PSAS = ("connectwise", "halopsa", "autotask", "sandbox")
NOTE_TEXT = "[Deskhand] Triage summary: printer paper jam reported; status set while waiting on the client."

Handle = Callable[[str, str, dict[str, str], bytes], tuple[int, Any]]
Mount = Callable[[], AbstractContextManager[None]]


@dataclass(frozen=True)
class Call:
    """One request that reached the PSA: its label (METHOD path) and whether it is auth/discovery."""

    label: str
    one_off: bool = False


@dataclass(frozen=True)
class Subject:
    """One PSA to measure: its client, the log of calls that reached it, two tickets and a status."""

    name: str
    psa: PsaConnector
    calls: Callable[[], list[Call]]
    ticket_ids: tuple[str, str]
    status: str
    note: str


@dataclass(frozen=True)
class Figures:
    name: str
    cold: list[Call]
    warm: list[Call]
    note: str

    def api_calls(self, calls: list[Call]) -> list[str]:
        """Labels of ``calls`` without the one-off auth/discovery ones."""
        return [c.label for c in calls if not c.one_off]

    @property
    def one_off(self) -> list[str]:
        return [c.label for c in (*self.cold, *self.warm) if c.one_off]

    @property
    def warm_count(self) -> int:
        """Every call of the warm run counts against the target, an auth/discovery one too."""
        return len(self.warm)

    @property
    def met(self) -> bool:
        return self.warm_count <= TARGET_CALLS


# -- the run being measured ---------------------------------------------------------------------------


async def triage_only(psa: PsaConnector, ticket_id: str, status: str) -> None:
    """What a triage-only pipeline run asks of the PSA: read, the agent's one write, the summary note."""
    ticket = await psa.get_ticket(ticket_id)
    result = await set_ticket_status(ActionContext(psa=psa, ticket=ticket), StatusInput(status=status))
    if not result.ok or result.after is None:
        raise SystemExit(f"{psa.kind}: set_ticket_status did not change ticket {ticket_id}: {result.summary}")
    await psa.add_note(ticket.external_id, NOTE_TEXT, internal=True)


async def measure(subject: Subject) -> Figures:
    runs: list[list[Call]] = []
    try:
        for ticket_id in subject.ticket_ids:
            before = len(subject.calls())
            await triage_only(subject.psa, ticket_id, subject.status)
            runs.append(subject.calls()[before:])
    finally:
        await subject.psa.aclose()
    cold_run, warm_run = runs
    figures = Figures(subject.name, cold_run, warm_run, subject.note)
    cold, one_off = len(figures.api_calls(figures.cold)), len(figures.one_off)
    progress(f"{subject.name}: cold {cold} (+{one_off} auth/discovery), warm {figures.warm_count}")
    return figures


# -- the PSAs -----------------------------------------------------------------------------------------


def _side_effect(handle: Handle) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = handle(request.method, str(request.url), headers, request.content)
        return httpx.Response(status, json=payload)

    return respond


@contextmanager
def mounted(handle: Handle, *hosts: str) -> Iterator[None]:
    """The fake answers every request to ``hosts``; any other request fails (nothing leaves the process)."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        for host in hosts:
            router.route(host=host).mock(side_effect=_side_effect(handle))
        yield


def _strip(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.lower().startswith(prefix.lower()) else path


def connectwise() -> tuple[Subject, Mount]:
    fake = FakeConnectWise()
    for ticket_id in (501, 502):
        fake.add_ticket(ticket_id, summary=f"Printer {ticket_id} on the 2nd floor shows a paper jam")
    prefix = f"/{fake.codebase}apis/3.0"

    def calls() -> list[Call]:
        return [
            Call(f"{r.method} {_strip(r.path, prefix)}", one_off=r.path.startswith("/login/companyinfo/"))
            for r in fake.requests
        ]

    # No codebase configured: the client discovers it, as a new integration does before its test saves it.
    subject = Subject(
        "ConnectWise",
        ConnectWiseClient(cw.config()),
        calls,
        ("501", "502"),
        "Waiting on Client",
        "companyinfo finds the codebase once per client (the connection test saves it); statuses are "
        "cached 10 min per board: the first ticket of another board adds GET /service/boards/{id}/statuses",
    )
    return subject, lambda: mounted(fake.handle, httpx.URL(fake.origin).host)


def halopsa() -> tuple[Subject, Mount]:
    fake = FakeHalo()
    for ticket_id in (4301, 4302):
        fake.add_ticket(ticket_id, summary=f"Printer {ticket_id} on the 2nd floor shows a paper jam")

    def calls() -> list[Call]:
        return [
            Call(f"{r.method} {_strip(r.path, '/api')}", one_off=r.path == "/auth/token")
            for r in fake.requests
        ]

    subject = Subject(
        "HaloPSA",
        HaloClient(hp.config()),
        calls,
        ("4301", "4302"),
        "With User",
        "OAuth token fetched once per client and renewed before it expires (1 hour); statuses are cached "
        "10 min per ticket type: the first ticket of another type adds GET /Status",
    )
    return subject, lambda: mounted(fake.handle, httpx.URL(fake.origin).host)


def autotask() -> tuple[Subject, Mount]:
    fake = FakeAutotask()
    for ticket_id in (7501, 7502):
        fake.add_ticket(ticket_id, title=f"Printer {ticket_id} on the 2nd floor shows a paper jam")

    def calls() -> list[Call]:
        return [
            Call(
                f"{r.method} {_strip(r.path, '/ATServicesRest/V1.0')}",
                one_off=r.path.lower().endswith("/zoneinformation"),
            )
            for r in fake.requests
        ]

    # No zone configured: the client discovers it, as a new integration does before its test saves it.
    subject = Subject(
        "Autotask",
        AutotaskClient(at.config(zone_url=None)),
        calls,
        ("7501", "7502"),
        "Waiting Customer",
        "zone discovered once per client (then saved); Tickets/TicketNotes field metadata and company "
        "names cached 10 min: a company not seen for 10 min adds GET /Companies/{id}",
    )
    discovery_host = httpx.URL(at.DISCOVERY_URL).host
    return subject, lambda: mounted(fake.handle, httpx.URL(fake.origin).host, discovery_host)


def sandbox() -> tuple[Subject, Mount]:
    psa = SandboxPsa(SandboxConfig(store=f"bench-psa-calls-{uuid.uuid4().hex[:10]}"))
    store = psa.store
    sample = store.sample_ticket_ids()
    with store.lock:
        # Open seeded tickets that are not already waiting, so the status change is a real write.
        ids = [i for i in sample if store.statuses[store.tickets[i].status_id].name != "Waiting on Client"]
    if len(ids) < 2:
        raise SystemExit("sandbox: the seed data has fewer than two open tickets to triage")

    def calls() -> list[Call]:
        return [Call(name) for name in list(store.calls)]

    subject = Subject(
        "Sandbox",
        psa,
        calls,
        (ids[0], ids[1]),
        "Waiting on Client",
        "in-process; counts calls in store.calls, picklists cached 10 min",
    )
    return subject, nullcontext


BUILDERS: dict[str, Callable[[], tuple[Subject, Mount]]] = {
    "connectwise": connectwise,
    "halopsa": halopsa,
    "autotask": autotask,
    "sandbox": sandbox,
}


# -- figures ------------------------------------------------------------------------------------------


def plural(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def rows_of(f: Figures) -> list[list[str]]:
    """A heading row with the counts, then one row per call (cold, warm and one-off side by side)."""
    cold, warm, one_off = f.api_calls(f.cold), [c.label for c in f.warm], f.one_off
    rows = [[f.name, plural(len(cold)), plural(f.warm_count), plural(len(one_off))]]
    for i in range(max(len(cold), len(warm), len(one_off))):
        rows.append(["", *(column[i] if i < len(column) else "" for column in (cold, warm, one_off))])
    return rows


def print_figures(figures: list[Figures]) -> bool:
    print(
        "PSA calls per triage-only run (get_ticket, set_ticket_status, one internal note); "
        "two tickets on one client: cold, then warm"
    )
    header = ["PSA", "cold (first ticket)", "warm (second ticket)", "one-off auth/discovery"]
    print(table(header, [row for f in figures for row in rows_of(f)]))
    print()
    print("Cold leaves out the one-off auth/discovery calls (listed apart); warm counts every call.")
    for f in figures:
        print(f"  {f.name}: {f.note}")
    print()
    for f in figures:
        print(f"{f.name}: target <= {TARGET_CALLS}: {'met' if f.met else 'missed'} (warm {f.warm_count})")
    ok = all(f.met for f in figures)
    print(f"Overall: {verdict(ok)}")
    return ok


async def run(args: argparse.Namespace) -> bool:
    figures = []
    for name in args.psa or PSAS:
        subject, mount = BUILDERS[name]()
        progress(f"{subject.name}: triaging tickets {', '.join(subject.ticket_ids)}")
        with mount():
            figures.append(await measure(subject))
    return print_figures(figures)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--psa", action="append", choices=PSAS, help="measure only this PSA (repeatable; default: all)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
