"""The ``deskhand`` command line."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from api.workflow_files_cli import workflows_app

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.schemas import IntegrationTestRead, WebhookRegistrationRead
    from connectors.registry import Registry
    from core.secrets import SecretBox
    from core.settings import Settings

T = TypeVar("T")

app = typer.Typer(help="Deskhand: an AI agent for MSP helpdesk tickets.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="API tokens. A token made with --user acts with that user's role; one without is an MSP service "
    "token that acts as admin.",
    no_args_is_help=True,
)
users_app = typer.Typer(
    help="People who sign in: admin (everything), technician (works tickets, approves), viewer (reads).",
    no_args_is_help=True,
)
integrations_app = typer.Typer(help="PSA integrations.", no_args_is_help=True)
retrieval_app = typer.Typer(help="Similar past tickets: the search index.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")
app.add_typer(integrations_app, name="integrations")
app.add_typer(retrieval_app, name="retrieval")
app.add_typer(workflows_app, name="workflows")  # export / import DIR: workflows as YAML files


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
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port)")] = 8000,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Let the agent's PSA writes run without approval")
    ] = False,
    exit_when_done: Annotated[
        bool, typer.Option("--exit", help="Stop once the sample tickets are processed")
    ] = False,
    wait_seconds: Annotated[float, typer.Option(help="How long to wait for the runs")] = 600.0,
) -> None:
    """Connect the sandbox PSA and run its sample tickets through the real pipeline and your model."""
    from api.demo import run_demo

    settings = _settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    code = asyncio.run(
        run_demo(
            settings,
            host=host,
            port=port,
            auto_approve=auto_approve,
            exit_when_done=exit_when_done,
            wait_seconds=wait_seconds,
            echo=typer.echo,
        )
    )
    raise typer.Exit(code=code)


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


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction against the configured database (migrated first)."""
    from core.database import Database
    from core.migrations.runner import upgrade

    settings = _settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)

    async def run() -> T:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(run())


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="Who or what the token is for")],
    user: Annotated[
        str | None,
        typer.Option(
            help="Email of the user the token acts as (with their role). Without it: an MSP service "
            "token that acts as admin."
        ),
    ] = None,
) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    from core.audit import CLI_ACTOR
    from core.errors import DeskhandError
    from core.tokens import create_token
    from core.users import find_user_by_email

    async def make(session: AsyncSession) -> str:
        owner = await find_user_by_email(session, user) if user is not None else None
        if user is not None and (owner is None or not owner.active):
            _fail(f"no active user with email {user}")
        _, plain = await create_token(
            session, name=name, user_id=owner.id if owner else None, actor=CLI_ACTOR
        )
        return plain

    try:
        plain = _in_session(make)
    except DeskhandError as exc:
        _fail(exc.detail)
    kind = f"acting as {user}" if user else "an MSP service token acting as admin"
    typer.echo(f"Token '{name}' created ({kind}). Store it now; it cannot be shown again.")
    typer.echo(plain)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email (case-insensitive)")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help="admin, technician or viewer")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")
    ] = False,
) -> None:
    """Create a user who signs in with a password (prompted for unless --password-stdin)."""
    from core.audit import CLI_ACTOR
    from core.errors import DeskhandError
    from core.users import Role, create_user

    try:
        wanted = Role(role.strip().lower())
    except ValueError:
        _fail(f"unknown role '{role}': use admin, technician or viewer")
    password = _read_password(password_stdin)

    async def make(session: AsyncSession) -> tuple[int, str]:
        created = await create_user(
            session, email=email, display_name=name, role=wanted, password=password, actor=CLI_ACTOR
        )
        return created.id, created.email

    try:
        user_id, stored_email = _in_session(make)
    except DeskhandError as exc:
        _fail(exc.detail)
    typer.echo(f"User {user_id} {stored_email} created as {wanted.value}.")


@users_app.command("list")
def users_list() -> None:
    """List users with their role and whether they can sign in."""
    from core.users import list_users

    async def read(session: AsyncSession) -> list[str]:
        return [
            f"{u.id}\t{u.email}\t{u.display_name}\t{u.role}\t{'active' if u.active else 'deactivated'}"
            for u in await list_users(session)
        ]

    lines = _in_session(read)
    typer.echo("\n".join(lines) if lines else "No users yet (deskhand users create).")


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Option(help="The user's email")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")
    ] = False,
) -> None:
    """Set a user's password (e.g. a locked-out admin); their sessions end."""
    from core.audit import CLI_ACTOR
    from core.errors import DeskhandError
    from core.users import find_user_by_email, set_password

    password = _read_password(password_stdin)

    async def change(session: AsyncSession) -> None:
        user = await find_user_by_email(session, email)
        if user is None:
            _fail(f"no user with email {email}")
        await set_password(session, user.id, password=password, actor=CLI_ACTOR)

    try:
        _in_session(change)
    except DeskhandError as exc:
        _fail(exc.detail)
    typer.echo(f"Password for {email.strip().lower()} changed.")


def _with_integrations(work: Callable[[AsyncSession, Registry, SecretBox, Settings], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database and connectors, without starting a worker."""
    from connectors.registry import Registry
    from core.database import Database
    from core.migrations.runner import upgrade
    from core.secrets import SecretBox

    settings = _settings()
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)

    async def run() -> T:
        db = Database(settings.resolved_database_url)
        registry = Registry()
        try:
            async with db.session() as session:
                return await work(session, registry, SecretBox(settings.resolved_secret_key()), settings)
        finally:
            await registry.aclose()
            await db.dispose()

    return asyncio.run(run())


def _fail(detail: str) -> NoReturn:
    typer.echo(f"Error: {detail}", err=True)
    raise typer.Exit(code=1)


@integrations_app.command("list")
def integrations_list() -> None:
    """List integrations with their webhook URLs."""
    from api.integration_ops import webhook_url
    from core.integration_store import list_integrations

    async def work(session: AsyncSession, _: Registry, __: SecretBox, settings: Settings) -> list[str]:
        return [
            f"{row.id}\t{row.kind}\t{row.name}\t{webhook_url(settings.public_url, row.kind, row.id)}"
            for row in await list_integrations(session)
        ]

    lines = _with_integrations(work)
    typer.echo("\n".join(lines) if lines else "No integrations yet (POST /api/v1/integrations).")


@integrations_app.command("test")
def integrations_test(integration_id: Annotated[int, typer.Argument(help="Integration id")]) -> None:
    """Check what the stored credentials allow, capability by capability (read calls only)."""
    from api.integration_ops import test_integration
    from core.errors import DeskhandError

    async def work(
        session: AsyncSession, registry: Registry, box: SecretBox, _: Settings
    ) -> IntegrationTestRead:
        return await test_integration(session, integration_id, connectors=registry, box=box)

    try:
        result = _with_integrations(work)
    except DeskhandError as exc:
        _fail(exc.detail)
    marks = {True: "ok     ", False: "refused", None: "unknown"}
    for check in result.checks:
        typer.echo(f"{marks[check.ok]}  {check.capability}: {check.detail}")
    for key, value in result.learned.items():
        typer.echo(f"learned {key} = {value}")
    typer.echo(result.detail)
    if not result.ok:
        raise typer.Exit(code=1)


@integrations_app.command("register-webhook")
def integrations_register_webhook(
    integration_id: Annotated[int, typer.Argument(help="Integration id")],
) -> None:
    """Create the PSA's ticket webhook pointing at Deskhand (HaloPSA: print the settings to enter)."""
    from api.integration_ops import register_webhook
    from core.errors import DeskhandError

    async def work(
        session: AsyncSession, registry: Registry, box: SecretBox, settings: Settings
    ) -> WebhookRegistrationRead:
        return await register_webhook(
            session,
            integration_id,
            connectors=registry,
            box=box,
            public_url=settings.public_url,
            reveal_secrets=True,
        )

    try:
        result = _with_integrations(work)
    except DeskhandError as exc:
        _fail(exc.detail)
    typer.echo(f"Webhook URL: {result.webhook_url}")
    if result.registered:
        typer.echo(f"Registered in the PSA (id {result.external_id}). {result.detail}".strip())
    else:
        typer.echo("This PSA's webhooks are set up by hand. Enter exactly:")
        for line in result.instructions:
            typer.echo(f"  {line}")


@retrieval_app.command("backfill")
def retrieval_backfill(
    integration: Annotated[int, typer.Option("--integration", help="PSA integration id")],
    since: Annotated[datetime, typer.Option(help="Closed on or after this date", formats=["%Y-%m-%d"])],
) -> None:
    """Index the PSA's closed tickets since a date. Safe to rerun: it continues where it stopped and never
    indexes a ticket twice."""
    from api import wiring
    from api.backfill_cli import run_backfill

    settings = _settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    async def run() -> int:
        await wiring.launch(settings)
        try:
            return await run_backfill(integration, since.replace(tzinfo=UTC), echo=typer.echo)
        finally:
            await wiring.shutdown()

    raise typer.Exit(code=asyncio.run(run()))


@app.command("version")
def show_version() -> None:
    """Print the Deskhand version."""
    from api.app import deskhand_version

    typer.echo(deskhand_version())
