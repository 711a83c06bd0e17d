"""Shared pieces of the benchmarks: Deskhand as a subprocess, signed callbacks, load, CPU, figures.

Deskhand is started with ``deskhand serve`` in its own process (``evals`` never imports ``api``) and is
only reached over HTTP on 127.0.0.1, as ConnectWise and a technician would reach it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from connectors.connectwise.webhook import sign_body
from evals.fakes import connectwise_payloads as cw
from evals.fakes.connectwise import FakeConnectWise

LOOPBACK = "127.0.0.1"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_STARTED = time.monotonic()

# Event statuses after which nothing more happens to the event without a person (see agent/stages.py).
TERMINAL_EVENT_STATUSES = frozenset(
    {"succeeded", "failed", "suppressed", "ignored", "waiting_approval", "waiting_llm", "limited"}
)


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def cpu_times(pid: int | None = None) -> tuple[float, float]:
    """User and system CPU seconds of a process (all its threads, finished ones too), from ``/proc``."""
    text = Path(f"/proc/{pid if pid is not None else 'self'}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # fields[0] is field 3 (state) of proc(5)
    return int(fields[11]) / _CLOCK_TICKS, int(fields[12]) / _CLOCK_TICKS


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process."""
    return sum(cpu_times(pid))


@contextmanager
def scratch_dir(*, keep: bool) -> Iterator[Path]:
    """A temporary directory for data dirs and server logs; ``keep`` leaves it behind and says where."""
    path = Path(tempfile.mkdtemp(prefix="deskhand-bench-"))
    try:
        yield path
    finally:
        if keep:
            progress(f"kept data dirs and server logs in {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def use_uvloop() -> None:
    """The load generator gets the same event loop as the servers, so it is less of a bottleneck."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


# -- server processes -----------------------------------------------------------------------------------


def deskhand_executable() -> str:
    found = shutil.which("deskhand")
    if found is None:
        raise SystemExit("the `deskhand` command is not on PATH (pip install -e .)")
    return found


def deskhand_env(data_dir: Path, settings: dict[str, str]) -> dict[str, str]:
    """The caller's environment without any DESKHAND_ setting, plus the data dir and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKHAND_")}
    env["DESKHAND_DATA_DIR"] = str(data_dir)
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    env.update({f"DESKHAND_{k.upper()}": v for k, v in settings.items()})
    return env


def create_token(env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [deskhand_executable(), "tokens", "create", "--name", "bench"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"deskhand tokens create failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1].strip()


class ServerProcess:
    """One HTTP server subprocess on 127.0.0.1, its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str], cwd: Path, port: int) -> None:
        self.name = name
        self.port = port
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.log_path = cwd / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self.process = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    async def wait_healthy(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise SystemExit(
                        f"{self.name} exited with {self.process.returncode}; see {self.log_path}"
                    )
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"{self.name} not healthy after {within:.0f}s; see {self.log_path}")
                await asyncio.sleep(0.1)

    def log_problems(self, limit: int = 5) -> list[str]:
        """The last line of each of the first ``limit`` tracebacks and ERROR lines in the server's log."""
        problems: list[str] = []
        lines = self.log_path.read_text(errors="replace").splitlines()
        for index, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next(
                    (j for j in range(index + 1, len(lines)) if not lines[j].startswith((" ", "\t"))), None
                )
                if end is not None:
                    problems.append(lines[end])
            elif " ERROR " in line or line.startswith("ERROR"):
                problems.append(line)
        return problems[:limit]

    def stop(self, timeout: float = 20.0) -> int:
        """Ctrl-C (uvicorn's graceful shutdown, DBOS destroyed), then kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                progress(f"{self.name} did not stop in {timeout:.0f}s after SIGINT; killing pid {self.pid}")
                self.process.kill()
                self.process.wait(10)
        if not self._log.closed:
            self._log.close()
        return self.process.returncode


def start_deskhand(data_dir: Path, env: dict[str, str]) -> ServerProcess:
    port = free_port()
    argv = [deskhand_executable(), "serve", "--host", LOOPBACK, "--port", str(port)]
    return ServerProcess("deskhand", argv, env=env, cwd=data_dir, port=port)


# -- Deskhand's API -------------------------------------------------------------------------------------


class DeskhandApi:
    """The few ``/api/v1`` calls the benchmarks need to set Deskhand up."""

    def __init__(self, base_url: str, token: str) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, body: Any, expected: int) -> dict[str, Any]:
        response = await self._client.request(method, path, json=body)
        if response.status_code != expected:
            raise SystemExit(f"{method} {path} answered {response.status_code}: {response.text}")
        return dict(response.json())

    async def create_connectwise(self, fake_cw: FakeConnectWise) -> int:
        body = {
            "kind": "connectwise",
            "name": "Bench CW",
            "config": cw.integration_config(fake_cw.origin),
        }
        return int((await self._call("POST", "/api/v1/integrations", body, 201))["id"])

    async def create_workflow(self, *, title: str, trigger: str, instructions: str) -> int:
        body = {"status": "active", "title": title, "trigger": trigger, "instructions": instructions}
        return int((await self._call("POST", "/api/v1/workflows", body, 201))["id"])

    async def set_policy(self, tool: str, mode: str) -> None:
        await self._call("PUT", f"/api/v1/policies/{tool}", {"mode": mode}, 200)

    async def setup_printer_workflows(self) -> None:
        """One workflow the scripted matcher matches ("print" in its trigger) and one it does not."""
        await self.create_workflow(
            title="Printer problems",
            trigger="The ticket reports a printer that will not print, jams or shows errors.",
            instructions="1. Ask the user to power-cycle the printer.\n2. Set status to Waiting on Client.",
        )
        await self.create_workflow(
            title="Password reset", trigger="The user forgot their password.", instructions="Reset it."
        )
        await self.set_policy("set_ticket_status", "auto")


# -- callbacks and load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


def signed_callback(fake_cw: FakeConnectWise, ticket_id: int, *, message_id: str, summary: str) -> Delivery:
    """A ConnectWise ticket callback for ``ticket_id`` signed with the fake's key, as ConnectWise sends it."""
    entity = cw.ticket(ticket_id, summary=summary)
    envelope = cw.callback(
        record_id=ticket_id, entity=entity, key_url_value=fake_cw.key_url(), message_id=message_id
    )
    body = json.dumps(envelope).encode()
    headers = {
        "content-type": "application/json",
        "x-content-signature": sign_body(fake_cw.signing_key, body),
    }
    return Delivery(body=body, headers=headers)


@dataclass(frozen=True)
class Outcome:
    started: float  # time.monotonic(); for paced load the scheduled send time
    finished: float
    status_code: int | None  # None: no HTTP answer
    event_id: int | None
    error: str | None

    @property
    def latency(self) -> float:
        return self.finished - self.started

    @property
    def accepted(self) -> bool:
        return self.status_code == 202


async def post_delivery(client: httpx.AsyncClient, url: str, delivery: Delivery, started: float) -> Outcome:
    try:
        response = await client.post(url, content=delivery.body, headers=delivery.headers)
    except httpx.HTTPError as exc:
        return Outcome(started, time.monotonic(), None, None, f"{type(exc).__name__}: {exc}")
    finished = time.monotonic()
    event_id: int | None = None
    error: str | None = None
    if response.status_code == 202:
        event_id = int(response.json()["event_id"])
    else:
        error = f"HTTP {response.status_code}: {response.text[:200]}"
    return Outcome(started, finished, response.status_code, event_id, error)


def load_client(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))


async def closed_loop(
    client: httpx.AsyncClient, url: str, deliveries: Sequence[Delivery], concurrency: int
) -> tuple[list[Outcome], float]:
    """``concurrency`` senders, each posting its next callback as soon as the last one is answered."""
    outcomes: list[Outcome] = []
    pending = iter(deliveries)

    async def sender() -> None:
        for delivery in pending:
            outcomes.append(await post_delivery(client, url, delivery, time.monotonic()))

    began = time.monotonic()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return outcomes, time.monotonic() - began


async def open_loop(
    client: httpx.AsyncClient, url: str, deliveries: Sequence[Delivery], rate: float
) -> tuple[list[Outcome], float]:
    """Callbacks sent on a fixed schedule (``rate`` per second) whatever the answers do.

    Latency is measured from the scheduled send time, so a stalled server or a late sender shows up in
    the figures instead of quietly slowing the schedule down (no coordinated omission).
    """
    began = time.monotonic()
    tasks: list[asyncio.Task[Outcome]] = []
    for index, delivery in enumerate(deliveries):
        due = began + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post_delivery(client, url, delivery, due)))
    outcomes = list(await asyncio.gather(*tasks))
    return outcomes, time.monotonic() - began


def machine_busy_seconds() -> float:
    """CPU seconds all processes on this machine spent busy (every core), from ``/proc/stat``."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


@dataclass(frozen=True)
class CpuUse:
    server: float  # CPU seconds of the server process
    own: float  # of this process (load generator, fakes)
    machine: float  # of every process on the machine
    wall: float

    @property
    def others_share(self) -> float:
        """Cores' worth of CPU used by unrelated processes: noise in the measurement."""
        return max(0.0, self.machine - self.server - self.own) / self.wall


async def measure_cpu(pid: int, work: Callable[[], Awaitable[Any]]) -> tuple[Any, CpuUse]:
    """Run ``work``; return its result and the CPU it cost the server, this process and the machine."""
    server, own, machine, began = cpu_seconds(pid), cpu_seconds(), machine_busy_seconds(), time.monotonic()
    result = await work()
    use = CpuUse(
        server=cpu_seconds(pid) - server,
        own=cpu_seconds() - own,
        machine=machine_busy_seconds() - machine,
        wall=time.monotonic() - began,
    )
    return result, use


# -- reading Deskhand's SQLite file ---------------------------------------------------------------------


def query(db_path: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Read-only, so the benchmark can never change what it measures."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10.0)) as conn:
        return list(conn.execute(sql, params).fetchall())


# -- figures --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
