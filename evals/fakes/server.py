"""The fakes behind a real local HTTP server, for worker subprocesses and benchmarks.

One port serves both: ``/v1/chat/completions`` is the LLM, everything else is ConnectWise. Each fake
can add latency, as a real vendor would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from evals.fakes.connectwise import FakeConnectWise
from evals.fakes.llm import ScriptedLLM

LLM_PATH = "/v1/chat/completions"


class FakeVendorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        cw: FakeConnectWise,
        llm: ScriptedLLM,
        *,
        llm_latency_seconds: float = 0.0,
        on_llm_request: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cw = cw
        self.llm = llm
        self.llm_latency_seconds = llm_latency_seconds
        self.on_llm_request = on_llm_request
        self.cw.origin = self.origin

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def llm_base(self) -> str:
        return f"{self.origin}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeVendorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith(LLM_PATH):
            if self.server.on_llm_request is not None:
                self.server.on_llm_request(json.loads(body))
            time.sleep(self.server.llm_latency_seconds)
            status, payload = self.server.llm.handle(body)
        else:
            time.sleep(self.server.cw.latency_seconds)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = self.server.cw.handle(
                self.command, self.server.origin + self.path, headers, body
            )
        encoded = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    do_GET = do_POST = do_PATCH = _serve


@contextmanager
def serving(server: FakeVendorServer) -> Iterator[FakeVendorServer]:
    thread = threading.Thread(target=server.serve_forever, name="fake-vendors", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
