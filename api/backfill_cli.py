"""The terminal side of `deskhand retrieval backfill`: start or continue, then show progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from agent.backfill import progress, start_backfill
from core.errors import DeskhandError

POLL_SECONDS = 0.5


async def run_backfill(integration_id: int, since: datetime, *, echo: Callable[..., None]) -> int:
    """Exit status: 0 when every page is indexed, 1 when it failed (rerun to continue)."""
    try:
        backfill_id = await start_backfill(integration_id, since)
    except DeskhandError as exc:
        echo(f"Error: {exc.detail}", err=True)
        return 1
    echo(f"Backfill {backfill_id}: closed tickets of integration {integration_id} since {since.date()}")
    shown = None
    while True:
        state = await progress(backfill_id)
        line = f"  pages {state.pages}, indexed {state.indexed}, unchanged {state.unchanged}"
        if line != shown:
            echo(line)
            shown = line
        if state.status == "succeeded":
            echo("Done.")
            return 0
        if state.status == "failed":
            echo(f"Failed: {state.error}. Run the same command again to continue from here.", err=True)
            return 1
        await asyncio.sleep(POLL_SECONDS)
