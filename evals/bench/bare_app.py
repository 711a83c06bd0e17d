"""The baseline for the webhook intake benchmark: a FastAPI endpoint that reads the body and answers 202.

Run by ``evals.bench.webhook_intake`` as ``python -m uvicorn evals.bench.bare_app:app`` with the same
uvicorn settings as ``deskhand serve`` (one process, default loop and HTTP implementation, log level info,
access log on), so the difference to Deskhand is what Deskhand does per callback.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="bare 202")


@app.post("/webhooks/{kind}/{integration_id}", status_code=202)
async def receive(kind: str, integration_id: int, request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"event_id": 0, "status": "accepted", "duplicate": False}, status_code=202)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
