"""Full pipeline: tickets per minute and Deskhand's own CPU per ticket, with slow fake vendors.

    python -m evals.bench.pipeline [--tickets 200] [--worker-concurrency 16]

``deskhand serve`` runs as a subprocess against the fakes behind a real local HTTP server: an
OpenAI-compatible scripted LLM answering in ``--llm-latency`` seconds (0.5) and a stateful ConnectWise
answering in ``--cw-latency`` seconds (0.05). Two active workflows ("Printer problems", which the
scripted matcher matches, and "Password reset", which it does not); ``set_ticket_status`` is on auto; the
scripted agent sets the status to "Waiting on Client" and finishes. After a warm-up ticket or two, every
ticket gets one signed callback; the benchmark waits (bounded) until every event is terminal and reads
the outcome from Deskhand's SQLite file.

Figures: tickets/minute from the first delivery to the last run finished; run statuses (all must be
``succeeded``); LLM and ConnectWise calls per ticket from the fakes' request logs; and the CPU time
(user + system) of the ``deskhand serve`` process from just before the first delivery to the end,
divided by the tickets. That CPU includes litellm's and pydantic-ai's per-call overhead: it is ours.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evals.bench.stack import (
    TERMINAL_EVENT_STATUSES,
    Delivery,
    DeskhandApi,
    Outcome,
    closed_loop,
    cpu_seconds,
    cpu_times,
    create_token,
    deskhand_env,
    load_client,
    machine_busy_seconds,
    ms,
    percentile,
    progress,
    query,
    scratch_dir,
    signed_callback,
    start_deskhand,
    table,
    use_uvloop,
    verdict,
)
from evals.fakes.connectwise import FakeConnectWise, Recorded
from evals.fakes.llm import LLM_MODEL, ScriptedLLM, agent_sets_status, match_by_keyword
from evals.fakes.server import FakeVendorServer, serving

TARGET_CPU_PER_TICKET = 0.030
POLL_SECONDS = 0.25
IDLE_SECONDS = 3.0


@dataclass(frozen=True)
class RunRow:
    event_id: int
    status: str
    received_at: float
    started_at: float
    finished_at: float | None
    model_requests: int


def epoch(value: str | None) -> float | None:
    """A timestamp as Deskhand's SQLite file stores it (naive UTC) -> seconds since the epoch."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def placeholders(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def event_statuses(db: Path, event_ids: Sequence[int]) -> dict[int, str]:
    rows = query(
        db, f"SELECT id, status FROM ticket_events WHERE id IN ({placeholders(event_ids)})", event_ids
    )
    return {int(i): str(s) for i, s in rows}


def run_rows(db: Path, event_ids: Sequence[int]) -> list[RunRow]:
    rows = query(
        db,
        "SELECT e.id, r.status, e.received_at, r.started_at, r.finished_at, r.requests "
        f"FROM runs r JOIN ticket_events e ON e.id = r.event_id WHERE e.id IN ({placeholders(event_ids)})",
        event_ids,
    )
    return [
        RunRow(int(e), str(s), epoch(rec) or 0.0, epoch(st) or 0.0, epoch(fin), int(req or 0))
        for e, s, rec, st, fin, req in rows
    ]


async def wait_terminal(db: Path, event_ids: Sequence[int], *, within: float, label: str) -> dict[int, str]:
    """Poll Deskhand's database (read-only) until every event is terminal; give up after ``within`` s."""
    deadline = time.monotonic() + within
    last_report = 0.0
    while True:
        statuses = event_statuses(db, event_ids)
        done = sum(1 for s in statuses.values() if s in TERMINAL_EVENT_STATUSES)
        if done == len(event_ids):
            return statuses
        now = time.monotonic()
        if now - last_report >= 5.0:
            progress(f"{label}: {done}/{len(event_ids)} events terminal {dict(Counter(statuses.values()))}")
            last_report = now
        if now > deadline:
            progress(f"{label}: gave up after {within:.0f}s with {done}/{len(event_ids)} terminal")
            return statuses
        await asyncio.sleep(POLL_SECONDS)


def cw_call_kind(request: Recorded) -> str:
    path = request.path
    if "/login/companyinfo/" in path:
        return "GET companyinfo"
    if "/callbackkey" in path:
        return "GET signing key"
    route = path.split("apis/3.0", 1)[-1]
    if route.endswith("/notes"):
        return f"{request.method} ticket notes"
    if route.endswith("/statuses"):
        return f"{request.method} board statuses"
    if route.startswith("/service/tickets/"):
        return f"{request.method} ticket"
    return f"{request.method} other"


def tickets_for(fake_cw: FakeConnectWise, ids: range) -> list[Delivery]:
    deliveries = []
    for ticket_id in ids:
        summary = f"Printer {ticket_id} on the 2nd floor shows a paper jam but there is no paper stuck"
        fake_cw.add_ticket(ticket_id, summary=summary)
        deliveries.append(signed_callback(fake_cw, ticket_id, message_id=str(uuid.uuid4()), summary=summary))
    return deliveries


async def deliver(url: str, deliveries: list[Delivery], concurrency: int) -> list[Outcome]:
    async with load_client(concurrency) as client:
        outcomes, _ = await closed_loop(client, url, deliveries, concurrency)
    failed = [o for o in outcomes if not o.accepted]
    if failed:
        raise SystemExit(f"{len(failed)} callbacks were not accepted: {Counter(o.error for o in failed)}")
    return outcomes


async def run(args: argparse.Namespace) -> bool:
    fake_cw = FakeConnectWise(latency_seconds=args.cw_latency)
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    with (
        scratch_dir(keep=args.keep) as root,
        serving(FakeVendorServer(fake_cw, llm, llm_latency_seconds=args.llm_latency)) as server,
    ):
        data_dir = root / "deskhand"
        data_dir.mkdir()
        db = data_dir / "deskhand.sqlite"
        env = deskhand_env(
            data_dir,
            {
                "llm_model": LLM_MODEL,
                "llm_api_base": server.llm_base,
                "llm_api_key": "sk-bench-not-a-real-key",
                "worker_concurrency": str(args.worker_concurrency),
                "queue_polling_interval_seconds": str(args.queue_polling_interval),
                "new_client_mode": "execute",  # the scripted agent's status change must run
            },
        )
        progress("deskhand: creating an API token (migrates the database)")
        token = create_token(env, data_dir)
        deskhand = start_deskhand(data_dir, env)
        try:
            await deskhand.wait_healthy()
            progress(
                f"deskhand: serving at {deskhand.base_url} (pid {deskhand.pid}), log {deskhand.log_path}"
            )
            api = DeskhandApi(deskhand.base_url, token)
            try:
                integration_id = await api.create_connectwise(fake_cw)
                await api.setup_printer_workflows()
            finally:
                await api.aclose()
            url = f"{deskhand.base_url}/webhooks/connectwise/{integration_id}"

            if args.warmup:
                progress(f"warm-up: {args.warmup} ticket(s) through the pipeline (not counted)")
                warm = await deliver(url, tickets_for(fake_cw, range(1, 1 + args.warmup)), args.warmup)
                warm_ids = [o.event_id for o in warm if o.event_id is not None]
                await wait_terminal(db, warm_ids, within=args.timeout, label="warm-up")

            deliveries = tickets_for(fake_cw, range(10_001, 10_001 + args.tickets))
            idle_before = deskhand.cpu_seconds()
            await asyncio.sleep(IDLE_SECONDS)
            idle_share = (deskhand.cpu_seconds() - idle_before) / IDLE_SECONDS
            llm_before, cw_before = len(llm.requests), len(fake_cw.requests)
            sys_before = cpu_times(deskhand.pid)[1]
            cpu_before, own_before = deskhand.cpu_seconds(), cpu_seconds()
            machine_before = machine_busy_seconds()
            began_wall, began = time.time(), time.monotonic()
            progress(f"delivering {args.tickets} signed callbacks ({args.delivery_concurrency} at a time)")
            outcomes = await deliver(url, deliveries, args.delivery_concurrency)
            delivered_in = time.monotonic() - began
            event_ids = sorted({o.event_id for o in outcomes if o.event_id is not None})
            progress(f"delivered in {delivered_in:.1f}s; waiting for {len(event_ids)} runs")
            statuses = await wait_terminal(db, event_ids, within=args.timeout, label="pipeline")
            waited = time.monotonic() - began
            server_cpu = deskhand.cpu_seconds() - cpu_before
            server_sys = cpu_times(deskhand.pid)[1] - sys_before
            own_cpu = cpu_seconds() - own_before
            others_cpu = max(0.0, machine_busy_seconds() - machine_before - server_cpu - own_cpu)
            llm_calls = len(llm.requests) - llm_before
            cw_calls = fake_cw.requests[cw_before:]
            runs = run_rows(db, event_ids)
        finally:
            progress("deskhand: stopping (SIGINT)")
            deskhand.stop()
            problems = deskhand.log_problems()
            for problem, times in Counter(problems).most_common(5):
                progress(f"deskhand log ({times}x): {problem}")

    return print_figures(
        args,
        statuses=statuses,
        runs=runs,
        began_wall=began_wall,
        waited=waited,
        delivered_in=delivered_in,
        server_cpu=server_cpu,
        server_sys=server_sys,
        own_cpu=own_cpu,
        others_cpu=others_cpu,
        idle_share=idle_share,
        llm_calls=llm_calls,
        cw_calls=cw_calls,
    )


def print_figures(
    args: argparse.Namespace,
    *,
    statuses: dict[int, str],
    runs: list[RunRow],
    began_wall: float,
    waited: float,
    delivered_in: float,
    server_cpu: float,
    server_sys: float,
    own_cpu: float,
    others_cpu: float,
    idle_share: float,
    llm_calls: int,
    cw_calls: list[Recorded],
) -> bool:
    n = args.tickets
    finished = [r.finished_at for r in runs if r.finished_at is not None]
    all_terminal = len(statuses) == n and all(s in TERMINAL_EVENT_STATUSES for s in statuses.values())
    # First delivery -> last run finished (from Deskhand's own timestamps); the poll time if unfinished.
    wall = max(finished) - began_wall if finished and all_terminal else waited
    run_status = Counter(r.status for r in runs)
    all_succeeded = run_status.get("succeeded", 0) == n and all_terminal
    cpu_per_ticket = server_cpu / n
    llm_per_ticket = llm_calls / n
    cw_per_ticket = len(cw_calls) / n
    # What the fakes' latencies alone allow: each run's calls are sequential, runs overlap up to the
    # worker concurrency (ignores queue polling and our own CPU).
    seconds_per_run = llm_per_ticket * args.llm_latency + cw_per_ticket * args.cw_latency
    ideal = args.worker_concurrency * 60 / seconds_per_run if seconds_per_run else float("nan")
    to_done = [r.finished_at - r.received_at for r in runs if r.finished_at is not None]
    run_time = [r.finished_at - r.started_at for r in runs if r.finished_at is not None]
    queued = [r.started_at - r.received_at for r in runs]
    rows = [
        ["tickets/minute (first delivery -> last run finished)", f"{n / wall * 60:.0f}",
         f"vendor-latency bound at concurrency {args.worker_concurrency}: {ideal:.0f}", ""],
        ["  wall time", f"{wall:.1f} s", f"callbacks delivered in {delivered_in:.1f} s", ""],
        ["run statuses", ", ".join(f"{k} {v}" for k, v in sorted(run_status.items())) or "none",
         f"all {n} succeeded", verdict(all_succeeded)],
        ["  event statuses", ", ".join(f"{k} {v}" for k, v in sorted(Counter(statuses.values()).items())),
         "", ""],
        ["LLM calls per ticket", f"{llm_per_ticket:.2f}", f"{args.llm_latency:.2f} s each", ""],
        ["ConnectWise calls per ticket", f"{cw_per_ticket:.2f}", f"{args.cw_latency:.2f} s each", ""],
        *[[f"  {kind}", f"{count / n:.2f}", "", ""] for kind, count in sorted(
            Counter(cw_call_kind(r) for r in cw_calls).items())],
        ["Deskhand CPU per ticket (user+sys)", ms(cpu_per_ticket), f"<= {ms(TARGET_CPU_PER_TICKET)}",
         verdict(cpu_per_ticket <= TARGET_CPU_PER_TICKET)],
        ["  user / system", f"{ms((server_cpu - server_sys) / n)} / {ms(server_sys / n)}", "", ""],
        ["  Deskhand CPU busy (1 core = 100%)", f"{server_cpu / waited * 100:.0f}%", "", ""],
        ["  of which idle baseline (DBOS pollers etc.)", ms(idle_share * waited / n),
         f"{idle_share * 100:.1f}% of a core when idle", ""],
        ["  benchmark process CPU (fakes, polling)", f"{own_cpu / waited * 100:.0f}%", "", ""],
        ["  other processes' CPU (noise)", f"{others_cpu / waited * 100:.0f}%", "", ""],
        ["delivery -> run finished p50 / p99",
         f"{ms(percentile(to_done, 50))} / {ms(percentile(to_done, 99))}", "", ""],
        ["  queued (delivery -> run started) p50 / p99",
         f"{ms(percentile(queued, 50))} / {ms(percentile(queued, 99))}", "", ""],
        ["  run (started -> finished) p50 / p99",
         f"{ms(percentile(run_time, 50))} / {ms(percentile(run_time, 99))}", "", ""],
    ]  # fmt: skip
    print(
        f"Pipeline: {n} tickets, fake LLM {args.llm_latency:.2f} s/call, fake ConnectWise "
        f"{args.cw_latency:.2f} s/call, worker concurrency {args.worker_concurrency}, queue polling "
        f"{args.queue_polling_interval} s, {args.warmup} warm-up ticket(s) not counted"
    )
    print(table(["figure", "value", "target / reference", ""], rows))
    print()
    print(
        "Deskhand CPU is the `deskhand serve` process (all threads) from just before the first delivery "
        "until every event was terminal; it includes webhook intake, DBOS, SQLite, litellm and pydantic-ai."
    )
    ok = all_succeeded and cpu_per_ticket <= TARGET_CPU_PER_TICKET
    print(f"Overall: {verdict(ok)}")
    return ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=200, help="tickets through the pipeline")
    parser.add_argument("--worker-concurrency", type=int, default=16, help="DESKHAND_WORKER_CONCURRENCY")
    parser.add_argument("--queue-polling-interval", type=float, default=0.2, help="seconds")
    parser.add_argument("--llm-latency", type=float, default=0.5, help="fake LLM seconds per call")
    parser.add_argument("--cw-latency", type=float, default=0.05, help="fake ConnectWise seconds per call")
    parser.add_argument("--delivery-concurrency", type=int, default=16, help="callbacks in flight")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up tickets, not counted")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for the runs")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and server log")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.worker_concurrency < 1 or args.delivery_concurrency < 1 or args.warmup < 0:
        parser.error("--tickets, --worker-concurrency and --delivery-concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_uvloop()
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
