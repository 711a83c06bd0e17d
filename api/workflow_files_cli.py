"""`deskhand workflows export DIR` and `deskhand workflows import DIR`: workflows as files, for git.

Export writes one YAML file per workflow into DIR (created if missing) and prints each file it wrote. It
overwrites only files Deskhand wrote (they start with ``deskhand_workflow:``), leaves unchanged files
untouched, removes nothing, and refuses, writing nothing, when a file of the same name is something else.
After a full export it lists workflow files in DIR that no workflow produced (e.g. one deleted in
Deskhand): import would create them again, so delete them if that is not wanted.

Import reads every ``*.yaml`` and ``*.yml`` file directly in DIR and applies them all or nothing (see
``workflows.file_import``); it prints what was created, updated and unchanged, or every error as
``file: field: message`` and exits 1.

The database is opened as ``deskhand tokens create`` does (migrated first, no worker started).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from core.settings import Settings
    from retrieval.embedders import Embedder
    from workflows.file_import import ImportSummary
    from workflows.files import FileProblem

Echo = Callable[..., None]

WORKFLOW_FILE_PATTERNS = ("*.yaml", "*.yml")
_DESKHAND_FILE = re.compile(r"^deskhand_workflow\s*:", re.MULTILINE)

workflows_app = typer.Typer(help="Workflows as YAML files, to keep them in git.", no_args_is_help=True)


@workflows_app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write the files into (created if missing)")],
    client_id: Annotated[int | None, typer.Option("--client-id", help="Only this client's own")] = None,
    shared_only: Annotated[bool, typer.Option("--shared-only", help="Only the shared workflows")] = False,
) -> None:
    """Write one YAML file per workflow; overwrites only files Deskhand wrote, removes none."""
    from core.settings import get_settings

    code = run_export(
        get_settings(), directory, client_id=client_id, shared_only=shared_only, echo=typer.echo
    )
    raise typer.Exit(code=code)


@workflows_app.command("import")
def import_command(
    directory: Annotated[Path, typer.Argument(help="Directory holding the *.yaml / *.yml workflow files")],
) -> None:
    """Create or update a workflow per file; if any file is invalid, change nothing and list every error."""
    from core.settings import get_settings
    from retrieval import build_embedder

    settings = get_settings()
    code = run_import(settings, directory, echo=typer.echo, embedder=build_embedder(settings))
    raise typer.Exit(code=code)


def run_export(
    settings: Settings, directory: Path, *, client_id: int | None, shared_only: bool, echo: Echo
) -> int:
    """Exit status: 0 when the files are written, 1 when nothing was (the reason is printed)."""
    from core.errors import DeskhandError

    _migrate(settings)
    try:
        files = asyncio.run(_exported(settings, client_id=client_id, shared_only=shared_only))
    except DeskhandError as exc:
        echo(f"Error: {exc.detail}", err=True)
        return 1
    return write_files(directory, files, full_export=client_id is None and not shared_only, echo=echo)


async def _exported(settings: Settings, *, client_id: int | None, shared_only: bool) -> dict[str, str]:
    from core.database import Database
    from workflows.file_import import export_workflows

    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:
            return await export_workflows(session, client_id=client_id, shared_only=shared_only)
    finally:
        await db.dispose()


def write_files(directory: Path, files: Mapping[str, str], *, full_export: bool, echo: Echo) -> int:
    if directory.exists() and not directory.is_dir():
        echo(f"Error: {directory} is not a directory", err=True)
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    existing = {name: _read_text(directory / name) for name in files if (directory / name).is_file()}
    foreign = [name for name, text in existing.items() if text is None or not _DESKHAND_FILE.search(text)]
    if foreign:
        for name in foreign:
            echo(f"Error: {directory / name} exists and is not a Deskhand workflow file", err=True)
        echo("Nothing was written: move those files away, or export into another directory.", err=True)
        return 1
    for name, text in files.items():
        if existing.get(name) == text:
            echo(f"unchanged  {name}")
            continue
        (directory / name).write_bytes(text.encode("utf-8"))  # bytes: "\n" line ends on every platform
        echo(f"{'updated' if name in existing else 'wrote':<9}  {name}")
    echo(f"{len(files)} workflow file{'s' if len(files) != 1 else ''} in {directory}")
    if full_export:
        for path in _workflow_paths(directory):
            other = _read_text(path)
            if path.name not in files and other is not None and _DESKHAND_FILE.search(other):
                echo(
                    f"left alone {path.name}: no workflow has this file name any more; delete it if its "
                    "workflow was deleted or renamed, or `deskhand workflows import` will create it again"
                )
    return 0


def run_import(settings: Settings, directory: Path, *, echo: Echo, embedder: Embedder | None) -> int:
    """Exit status: 0 when every file was applied, 1 when nothing was (every error is printed)."""
    from core.errors import DeskhandError
    from workflows.file_import import WorkflowFilesInvalid

    if not directory.is_dir():
        echo(f"Error: {directory} is not a directory", err=True)
        return 1
    files, unreadable = read_files(directory)
    if not files and not unreadable:
        echo(f"Error: no workflow files (*.yaml, *.yml) in {directory}", err=True)
        return 1
    _migrate(settings)
    try:
        summary = asyncio.run(_imported(settings, files, unreadable, embedder=embedder))
    except WorkflowFilesInvalid as exc:
        shown = sorted(exc.problems, key=lambda p: (p.file, p.field or "", p.message))
        for problem in shown:
            echo(str(problem), err=True)
        echo(f"Nothing was imported: fix the {len(shown)} error(s) above and run the import again.", err=True)
        return 1
    except DeskhandError as exc:
        echo(f"Error: {exc.detail}", err=True)
        return 1
    for label, items in (("created", summary.created), ("updated", summary.updated)):
        for item in items:
            echo(f"{label:<9}  {item.file}: {item.title} (version {item.version})")
    for item in summary.unchanged:
        echo(f"unchanged  {item.file}: {item.title}")
    echo(
        f"{len(summary.created)} created, {len(summary.updated)} updated, {len(summary.unchanged)} unchanged"
    )
    return 0


async def _imported(
    settings: Settings, files: Mapping[str, str], unreadable: list[FileProblem], *, embedder: Embedder | None
) -> ImportSummary:
    """Applied in one transaction; any problem (unreadable files included) rolls all of it back."""
    from connectors.registry import Registry
    from core.database import Database
    from workflows.file_import import WorkflowFilesInvalid, import_workflows

    db = Database(settings.resolved_database_url)
    registry = Registry()
    try:
        async with db.session() as session:
            try:
                summary = await import_workflows(session, files, connectors=registry, embedder=embedder)
            except WorkflowFilesInvalid as exc:
                raise WorkflowFilesInvalid([*unreadable, *exc.problems]) from None
            if unreadable:
                raise WorkflowFilesInvalid(unreadable)
            return summary
    finally:
        await registry.aclose()
        await db.dispose()


def read_files(directory: Path) -> tuple[dict[str, str], list[FileProblem]]:
    from workflows.files import FileProblem

    files: dict[str, str] = {}
    problems: list[FileProblem] = []
    for path in _workflow_paths(directory):
        text = _read_text(path)
        if text is None:
            problems.append(FileProblem(path.name, None, "not readable as UTF-8 text"))
        else:
            files[path.name] = text
    return files, problems


def _workflow_paths(directory: Path) -> list[Path]:
    paths = {path for pattern in WORKFLOW_FILE_PATTERNS for path in directory.glob(pattern) if path.is_file()}
    return sorted(paths)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _migrate(settings: Settings) -> None:
    from core.migrations.runner import upgrade

    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
