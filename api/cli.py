"""The ``deskhand`` command line."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from core.settings import Settings

app = typer.Typer(help="Deskhand: an AI agent for MSP helpdesk tickets.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")


def _settings() -> Settings:
    from core.settings import get_settings

    return get_settings()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Run the API, webhooks and an in-process worker."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(
        f"Deskhand data in {settings.data_dir.resolve()} ({'Postgres' if settings.is_postgres else 'SQLite'})"
    )
    if not settings.llm_configured:
        typer.echo("No LLM configured (DESKHAND_LLM_MODEL): tickets will be recorded and wait.")
    typer.echo(f"Webhook URLs: {settings.public_url.rstrip('/')}/webhooks/<kind>/<integration id>")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def worker() -> None:
    """Run a worker only (ticket runs from the shared queue); start more to scale out."""
    from api import wiring

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        await wiring.launch(settings)
        await wiring.resume_unstarted_events()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        typer.echo("Deskhand worker running; Ctrl-C to stop.")
        await stop.wait()
        await wiring.shutdown()

    asyncio.run(run())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from core.migrations.runner import upgrade

    settings = _settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    typer.echo("Database is up to date.")


@tokens_app.command("create")
def tokens_create(name: Annotated[str, typer.Option(help="Who or what the token is for")]) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    from core.database import Database
    from core.migrations.runner import upgrade
    from core.tokens import create_token

    settings = _settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)

    async def make() -> str:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                _, plain = await create_token(session, name=name)
        finally:
            await db.dispose()
        return plain

    plain = asyncio.run(make())
    typer.echo(f"Token '{name}' created. Store it now; it cannot be shown again.")
    typer.echo(plain)


@app.command("version")
def show_version() -> None:
    """Print the Deskhand version."""
    from api.app import deskhand_version

    typer.echo(deskhand_version())
