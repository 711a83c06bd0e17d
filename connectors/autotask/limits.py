"""Autotask's request limits, enforced before a request leaves this process.

Autotask allows 10,000 requests per rolling hour per database (every integration together; over it,
requests are refused until usage drops) and, for integrations created after 2023.1, three concurrent
requests per object endpoint per tracking identifier. Both are kept here process-wide, because one
integration has a client on each event loop that uses it:

- the hourly budget is a sliding window of send times per (zone, user), guarded by a ``threading.Lock``;
- the thread limit is an ``asyncio.Semaphore`` per (event loop, integration code, endpoint), since a
  semaphore belongs to the loop it first waits on.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import weakref
from collections import deque

WINDOW_SECONDS = 3600.0
THREADS_PER_ENDPOINT = 3
API_VERSION_SEGMENT = "v1.0"
# ZoneInformation is exempt from thread limiting (Autotask docs) and runs before the zone is known.
UNLIMITED_ENDPOINTS = frozenset({"zoneinformation"})


def endpoint_of(path: str) -> str:
    """The object endpoint a request counts against: the segment after ``V1.0``, lower-cased.

    ``/ATServicesRest/V1.0/Tickets/4711/Notes`` -> ``tickets``. Child collections count against their
    parent's endpoint, which is the stricter reading of "per object endpoint".
    """
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    lowered = [s.lower() for s in segments]
    if API_VERSION_SEGMENT in lowered:
        index = lowered.index(API_VERSION_SEGMENT) + 1
        if index < len(lowered):
            return lowered[index]
    return lowered[0] if lowered else ""


class HourlyBudget:
    """Send times of one Autotask user over the last hour; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        cutoff = now - WINDOW_SECONDS
        while self._sent and self._sent[0] <= cutoff:
            self._sent.popleft()

    def try_spend(self, now: float, limit: int) -> float | None:
        """Record one request and return ``None``; or, when ``limit`` are already in the window, record
        nothing and return the seconds until the oldest one leaves it."""
        with self._lock:
            self._expire(now)
            if len(self._sent) >= limit:
                return max(0.0, self._sent[0] + WINDOW_SECONDS - now)
            self._sent.append(now)
            return None

    def used(self, now: float) -> int:
        with self._lock:
            self._expire(now)
            return len(self._sent)


class AutotaskLimits:
    """The registry of budgets and endpoint semaphores; one per process (``PROCESS_LIMITS``)."""

    def __init__(self, threads_per_endpoint: int = THREADS_PER_ENDPOINT) -> None:
        self.threads_per_endpoint = threads_per_endpoint
        self._lock = threading.Lock()
        self._budgets: dict[tuple[str, str], HourlyBudget] = {}
        # Weak keys: a closed loop (a finished test, a stopped worker) takes its semaphores with it.
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    def budget(self, zone_url: str, username: str) -> HourlyBudget:
        key = (zone_url.lower(), username.casefold())
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = self._budgets[key] = HourlyBudget()
            return budget

    def semaphore(self, integration_code: str, endpoint: str) -> asyncio.Semaphore:
        """The running loop's semaphore for this tracking identifier and endpoint."""
        loop = asyncio.get_running_loop()
        # Keyed by a digest so the process-wide table never holds the integration code itself.
        key = (hashlib.sha256(integration_code.encode()).hexdigest(), endpoint)
        with self._lock:
            per_loop = self._semaphores.get(loop)
            if per_loop is None:
                per_loop = self._semaphores[loop] = {}
            semaphore = per_loop.get(key)
            if semaphore is None:
                semaphore = per_loop[key] = asyncio.Semaphore(self.threads_per_endpoint)
            return semaphore


PROCESS_LIMITS = AutotaskLimits()
