"""Webhook intake: verified ConnectWise callbacks per second and latency to 202, against a bare endpoint.

    python -m evals.bench.webhook_intake [--count 2000] [--concurrency 32] [--with-pipeline]

Two servers, one after the other, each a single uvicorn process on 127.0.0.1 with log level info:
``deskhand serve`` (signature verified with the cached signing key, callback parsed, event persisted,
202) and ``evals.bench.bare_app`` (reads the body, 202). For each: a warm-up (the first Deskhand
delivery fetches the signing key from the fake ConnectWise), then maximum throughput with a fixed number
of concurrent senders (closed loop), then latency at a fixed rate of half Deskhand's measured throughput
(open loop, latency from the scheduled send time). Every callback has its own MessageId. Afterwards
every event id Deskhand answered with must be in its SQLite ``ticket_events`` table.

By default Deskhand runs WITHOUT an LLM model, so events are recorded as ``waiting_llm`` and no pipeline
run competes for the CPU. ``--with-pipeline`` configures the fake LLM, so every callback also enqueues a
ticket run that executes while intake is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from evals.bench.stack import (
    LOOPBACK,
    CpuUse,
    Delivery,
    DeskhandApi,
    Outcome,
    ServerProcess,
    closed_loop,
    create_token,
    deskhand_env,
    free_port,
    load_client,
    measure_cpu,
    ms,
    open_loop,
    percentile,
    post_delivery,
    progress,
    query,
    scratch_dir,
    signed_callback,
    start_deskhand,
    table,
    use_uvloop,
    verdict,
)
from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import LLM_MODEL, ScriptedLLM, agent_sets_status, match_by_keyword
from evals.fakes.server import FakeVendorServer, serving

TARGET_THROUGHPUT_RATIO = 0.5
TARGET_P99_SECONDS = 0.050
IDLE_SECONDS = 3.0
CLIENT_BOUND_SHARE = 0.6  # a single-threaded load generator this busy is itself the bottleneck


@dataclass
class Phase:
    outcomes: list[Outcome]
    wall: float
    cpu: CpuUse

    @property
    def server_cpu(self) -> float:
        return self.cpu.server

    @property
    def client_cpu(self) -> float:
        return self.cpu.own

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.accepted]

    @property
    def throughput(self) -> float:
        return len(self.accepted) / self.wall

    def latency(self, q: float) -> float:
        return percentile([o.latency for o in self.accepted], q)

    @property
    def server_cpu_per_request(self) -> float:
        return self.server_cpu / max(1, len(self.outcomes))


@dataclass
class ServerFigures:
    name: str
    closed: Phase
    paced: Phase
    rate: float
    warmup_outcomes: list[Outcome] = field(default_factory=list)
    idle_cpu_share: float = 0.0
    stored: dict[int, str] = field(default_factory=dict)  # event id -> status (Deskhand only)
    runs_finished: int = 0

    @property
    def all_outcomes(self) -> list[Outcome]:
        return [*self.warmup_outcomes, *self.closed.outcomes, *self.paced.outcomes]


def build_deliveries(
    fake_cw: FakeConnectWise, count: int, *, first_ticket: int, register: bool
) -> list[Delivery]:
    deliveries = []
    for index in range(count):
        ticket_id = first_ticket + index
        summary = f"Printer {index} on floor 2 shows a paper jam but no paper is stuck"
        if register:
            fake_cw.add_ticket(ticket_id, summary=summary)
        deliveries.append(signed_callback(fake_cw, ticket_id, message_id=str(uuid.uuid4()), summary=summary))
    return deliveries


def report_failures(name: str, outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if not o.accepted]
    if failed:
        kinds = Counter(o.error for o in failed)
        progress(f"{name}: {len(failed)} deliveries not answered 202: {kinds.most_common(3)}")


async def run_phases(
    server: ServerProcess,
    url: str,
    deliveries: list[Delivery],
    args: argparse.Namespace,
    *,
    rate: float | None,
) -> ServerFigures:
    warm = deliveries[: args.warmup]
    closed = deliveries[args.warmup : args.warmup + args.count]
    paced = deliveries[args.warmup + args.count :]
    async with load_client(args.concurrency) as client:
        progress(f"{server.name}: warm-up, {len(warm)} callbacks (the first one alone)")
        first = await post_delivery(client, url, warm[0], time.monotonic())
        if not first.accepted:
            raise SystemExit(f"{server.name}: warm-up delivery failed: {first.error}; see {server.log_path}")
        warm_rest, _ = await closed_loop(client, url, warm[1:], args.concurrency)
        warmup_outcomes = [first, *warm_rest]
        report_failures(f"{server.name} warm-up", warmup_outcomes)
        _, idle = await measure_cpu(server.pid, lambda: asyncio.sleep(IDLE_SECONDS))

        progress(f"{server.name}: max throughput, {len(closed)} callbacks at concurrency {args.concurrency}")
        (outcomes, wall), cpu = await measure_cpu(
            server.pid, lambda: closed_loop(client, url, closed, args.concurrency)
        )
        closed_phase = Phase(outcomes, wall, cpu)
        report_failures(f"{server.name} closed loop", outcomes)
        progress(f"{server.name}: {closed_phase.throughput:.0f}/s, p99 {ms(closed_phase.latency(99))}")

        paced_rate = rate if rate is not None else args.paced_rate or closed_phase.throughput / 2
        await asyncio.sleep(1.0)
        progress(f"{server.name}: latency, {len(paced)} callbacks paced at {paced_rate:.0f}/s")
        (outcomes, wall), cpu = await measure_cpu(
            server.pid, lambda: open_loop(client, url, paced, paced_rate)
        )
        paced_phase = Phase(outcomes, wall, cpu)
        report_failures(f"{server.name} paced", outcomes)
        progress(f"{server.name}: p50 {ms(paced_phase.latency(50))}, p99 {ms(paced_phase.latency(99))}")
    figures = ServerFigures(server.name, closed_phase, paced_phase, paced_rate, warmup_outcomes)
    figures.idle_cpu_share = idle.server / idle.wall
    return figures


def report_log_problems(server: ServerProcess, figures: ServerFigures | None) -> None:
    """After the server stopped (its log is complete): why callbacks were not answered 202."""
    if figures is None or all(o.accepted for o in figures.all_outcomes):
        return
    for problem, times in Counter(server.log_problems(limit=50)).most_common(5):
        progress(f"{server.name} log ({times}x): {problem}")


async def bench_deskhand(
    root: Path, server: FakeVendorServer, deliveries: list[Delivery], args: argparse.Namespace
) -> ServerFigures:
    data_dir = root / "deskhand"
    data_dir.mkdir()
    settings: dict[str, str] = {}
    if args.with_pipeline:
        settings = {
            "llm_model": LLM_MODEL,
            "llm_api_base": server.llm_base,
            "llm_api_key": "sk-bench-not-a-real-key",
            "worker_concurrency": str(args.worker_concurrency),
            "queue_polling_interval_seconds": "0.2",
            "new_client_mode": "execute",
        }
    env = deskhand_env(data_dir, settings)
    progress("deskhand: creating an API token (migrates the database)")
    token = create_token(env, data_dir)
    deskhand = start_deskhand(data_dir, env)
    try:
        await deskhand.wait_healthy()
        progress(f"deskhand: serving at {deskhand.base_url} (pid {deskhand.pid}), log {deskhand.log_path}")
        api = DeskhandApi(deskhand.base_url, token)
        try:
            integration_id = await api.create_connectwise(server.cw)
            if args.with_pipeline:
                await api.setup_printer_workflows()
        finally:
            await api.aclose()
        url = f"{deskhand.base_url}/webhooks/connectwise/{integration_id}"
        figures = await run_phases(deskhand, url, deliveries, args, rate=None)
    finally:
        progress("deskhand: stopping (SIGINT)")
        deskhand.stop()
    report_log_problems(deskhand, figures)
    db = data_dir / "deskhand.sqlite"
    figures.stored = {int(i): str(s) for i, s in query(db, "SELECT id, status FROM ticket_events")}
    figures.runs_finished = int(query(db, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL")[0][0])
    return figures


async def bench_bare(
    root: Path, deliveries: list[Delivery], args: argparse.Namespace, rate: float
) -> ServerFigures:
    cwd = root / "bare"
    cwd.mkdir()
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "evals.bench.bare_app:app",
        "--host", LOOPBACK, "--port", str(port), "--log-level", "info",
    ]  # fmt: skip
    env = deskhand_env(cwd, {})
    bare = ServerProcess("bare", argv, env=env, cwd=cwd, port=port)
    try:
        await bare.wait_healthy()
        progress(f"bare: serving at {bare.base_url} (pid {bare.pid})")
        url = f"{bare.base_url}/webhooks/connectwise/1"
        figures = await run_phases(bare, url, deliveries, args, rate=rate)
    finally:
        bare.stop()
    report_log_problems(bare, figures)
    return figures


def print_figures(desk: ServerFigures, bare: ServerFigures, args: argparse.Namespace) -> bool:
    accepted = [o for o in desk.all_outcomes if o.accepted]
    delivered_ids = {o.event_id for o in accepted if o.event_id is not None}
    missing = delivered_ids - set(desk.stored)
    not_accepted = len(desk.all_outcomes) - len(accepted)
    http_errors = sum(1 for o in desk.all_outcomes if not o.accepted and o.status_code is not None)
    ratio = desk.closed.throughput / bare.closed.throughput
    p99 = desk.paced.latency(99)
    lost_ok = not missing and not_accepted == 0 and len(delivered_ids) == len(desk.all_outcomes)
    checks = [ratio >= TARGET_THROUGHPUT_RATIO, p99 <= TARGET_P99_SECONDS, lost_ok]

    def pct(value: float) -> str:
        return f"{value * 100:.0f}%"

    dc, bc, dp, bp = desk.closed, bare.closed, desk.paced, bare.paced
    rows = [
        ["max throughput (closed loop)", f"{dc.throughput:.0f}/s", f"{bc.throughput:.0f}/s",
         f">= {pct(TARGET_THROUGHPUT_RATIO)} of bare: {pct(ratio)}", verdict(checks[0])],
        ["  p50 / p99 to 202 at saturation", f"{ms(dc.latency(50))} / {ms(dc.latency(99))}",
         f"{ms(bc.latency(50))} / {ms(bc.latency(99))}", "", ""],
        ["  server CPU per callback", ms(dc.server_cpu_per_request), ms(bc.server_cpu_per_request), "", ""],
        ["  server CPU busy (1 core = 100%)", pct(dc.server_cpu / dc.wall), pct(bc.server_cpu / bc.wall),
         "", ""],
        ["  load generator CPU busy", pct(dc.client_cpu / dc.wall), pct(bc.client_cpu / bc.wall), "", ""],
        ["  other processes' CPU (noise)", pct(dc.cpu.others_share), pct(bc.cpu.others_share), "", ""],
        [f"server CPU, no callbacks arriving ({IDLE_SECONDS:.0f} s)", pct(desk.idle_cpu_share),
         pct(bare.idle_cpu_share), "", ""],
        [f"paced at {desk.rate:.0f}/s (half of Deskhand max)", f"{len(dp.accepted)}/{len(dp.outcomes)} 202",
         f"{len(bp.accepted)}/{len(bp.outcomes)} 202", "", ""],
        ["  p50 to 202", ms(dp.latency(50)), ms(bp.latency(50)), "", ""],
        ["  p99 to 202", ms(p99), ms(bp.latency(99)), f"<= {ms(TARGET_P99_SECONDS)}", verdict(checks[1])],
        ["  max to 202", ms(dp.latency(100)), ms(bp.latency(100)), "", ""],
        ["  server CPU busy", pct(dp.server_cpu / dp.wall), pct(bp.server_cpu / bp.wall), "", ""],
        ["  other processes' CPU (noise)", pct(dp.cpu.others_share), pct(bp.cpu.others_share), "", ""],
        ["zero lost events", f"{len(delivered_ids)} event ids in 202s, {len(missing)} missing in db",
         "-", "0 missing, 0 not 202", verdict(checks[2])],
        ["  callbacks not answered 202", f"{not_accepted} ({http_errors} HTTP error, "
         f"{not_accepted - http_errors} connection error)", str(len(bare.all_outcomes) - sum(
             1 for o in bare.all_outcomes if o.accepted)), "", ""],
    ]  # fmt: skip
    statuses = Counter(desk.stored.values())
    mode = (
        f"WITH the pipeline: fake LLM at {args.llm_latency:.1f}s/call, worker concurrency "
        f"{args.worker_concurrency}; every callback enqueues a ticket run that executes during the "
        "measurement "
        f"({desk.runs_finished} runs finished before Deskhand was stopped)"
        if args.with_pipeline
        else "WITHOUT an LLM model (DESKHAND_LLM_MODEL unset): each callback is verified (HMAC with the "
        "cached signing key), parsed, persisted and recorded as waiting; no pipeline run competes for the CPU"
    )
    print(f"Webhook intake: {args.count} callbacks at concurrency {args.concurrency}, "
          f"then {args.paced_count} paced; {args.warmup} warm-up callbacks per server")  # fmt: skip
    print(table(["figure", "deskhand", "bare 202", "target", ""], rows))
    print()
    print(f"Deskhand ran {mode}.")
    print(f"Deskhand ticket_events rows: {len(desk.stored)} ({dict(statuses)}); every MessageId was unique.")
    print("Both servers: one uvicorn process each on 127.0.0.1, log level info (access log on), measured one "
          "after the other; load generator: httpx.AsyncClient with keep-alive, in this process.")  # fmt: skip
    for figures in (desk, bare):
        if figures.closed.client_cpu / figures.closed.wall >= CLIENT_BOUND_SHARE:
            print(
                f"Note: during {figures.name}'s max-throughput phase the load generator was "
                f"{pct(figures.closed.client_cpu / figures.closed.wall)} busy, so that figure is bounded by "
                "the generator, not the server: the server's true maximum is higher. Compare server CPU per "
                "callback for the intrinsic cost."
            )
    print(f"Overall: {verdict(all(checks))}")
    return all(checks)


async def run(args: argparse.Namespace) -> bool:
    total = args.warmup + args.count + args.paced_count
    fake_cw = FakeConnectWise()
    llm = ScriptedLLM(matcher=match_by_keyword("print"), agent=agent_sets_status("Waiting on Client"))
    with (
        scratch_dir(keep=args.keep) as root,
        serving(FakeVendorServer(fake_cw, llm, llm_latency_seconds=args.llm_latency)) as server,
    ):
        progress(f"fake ConnectWise + LLM at {server.origin}; signing {total} callbacks per server")
        deliveries = build_deliveries(fake_cw, total, first_ticket=100_000, register=args.with_pipeline)
        desk = await bench_deskhand(root, server, deliveries, args)
        bare = await bench_bare(root, deliveries, args, desk.rate)
        key_fetches = sum(1 for r in fake_cw.requests if "callbackkey" in r.path)
        progress(f"fake ConnectWise served the signing key {key_fetches} time(s)")
        return print_figures(desk, bare, args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="callbacks in the max-throughput phase")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent senders (closed loop)")
    parser.add_argument(
        "--paced-count", type=int, default=None, help="callbacks in the paced phase (--count)"
    )
    parser.add_argument("--paced-rate", type=float, default=None, help="per second (half Deskhand's max)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up callbacks per server (at least 1)")
    parser.add_argument("--with-pipeline", action="store_true", help="configure the fake LLM: runs execute")
    parser.add_argument("--worker-concurrency", type=int, default=16, help="with --with-pipeline")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and server logs")
    parser.add_argument("--llm-latency", type=float, default=0.5, help="fake LLM seconds per call")
    args = parser.parse_args(argv)
    if args.paced_count is None:
        args.paced_count = args.count
    if args.warmup < 1 or args.count < 1 or args.paced_count < 1 or args.concurrency < 1:
        parser.error("--warmup, --count, --paced-count and --concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_uvloop()
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
