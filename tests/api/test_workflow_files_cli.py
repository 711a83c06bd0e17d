"""`deskhand workflows export|import DIR`: files written safely, imports all or nothing, errors per file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.workflow_files_cli import run_export, run_import
from connectors.registry import Registry
from core.clients import create_client
from core.database import Database
from core.integration_store import create_integration
from core.migrations.runner import upgrade
from core.secrets import SecretBox
from core.settings import Settings
from evals.fakes import connectwise_payloads as cw
from tests.harness import make_settings
from workflows import service
from workflows.schemas import WorkflowCreate

RESET = (
    "deskhand_workflow: 1\n"
    "title: Reset password\n"
    "status: active\n"
    "client: null\n"
    "trigger: The requester cannot sign in.\n"
    "requires: [psa]\n"
    "instructions: |-\n"
    "  Confirm who is asking.  \n"
    "\n"
    "  Then reset it.\n"
)
PRINTER_ACME = (
    "deskhand_workflow: 1\n"
    "title: Printer jam\n"
    "status: draft\n"
    "client: Acme Dental\n"
    "trigger: ''\n"
    "requires: []\n"
    "instructions: |\n"
    "  Ask which printer.\n"
)


class Output:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def __call__(self, message: Any = "", err: bool = False, **_: Any) -> None:
        (self.err if err else self.out).append(str(message))


def _prepared(tmp_path: Path, database_url: str | None) -> Settings:
    """An install with a PSA connected (creating workflows needs one) and the client 'Acme Dental'."""
    settings = make_settings(tmp_path / "data", database_url, llm=False)
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)

    async def seed() -> None:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                box = SecretBox(settings.resolved_secret_key())
                config = cw.integration_config("https://cw.example.test")
                await create_integration(session, box=box, kind="connectwise", name="CW", config=config)
                await create_client(session, name="Acme Dental", m365_tenant_id=None, companies=[])
        finally:
            await db.dispose()

    asyncio.run(seed())
    return settings


def _export(settings: Settings, directory: Path, **scope: Any) -> tuple[int, Output]:
    output = Output()
    code = run_export(
        settings,
        directory,
        client_id=scope.get("client_id"),
        shared_only=scope.get("shared_only", False),
        echo=output,
    )
    return code, output


def _import(settings: Settings, directory: Path) -> tuple[int, Output]:
    output = Output()
    return run_import(settings, directory, echo=output, embedder=None), output


def _write(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return directory


def test_import_then_export_writes_only_deskhand_files(tmp_path: Path, database_url: str | None) -> None:
    settings = _prepared(tmp_path, database_url)
    source = _write(tmp_path / "in", {"reset.yaml": RESET, "printer.yml": PRINTER_ACME, "notes.txt": "x"})

    code, output = _import(settings, source)
    assert code == 0, output.err
    assert output.out == [
        "created    printer.yml: Printer jam (version 1)",
        "created    reset.yaml: Reset password (version 1)",
        "2 created, 0 updated, 0 unchanged",
    ]
    code, output = _import(settings, source)
    assert code == 0 and output.out[-1] == "0 created, 0 updated, 2 unchanged"

    target = tmp_path / "repo" / "workflows"  # created, parents included
    code, output = _export(settings, target)
    assert code == 0, output.err
    assert sorted(p.name for p in target.iterdir()) == ["printer-jam-acme-dental.yaml", "reset-password.yaml"]
    assert (target / "reset-password.yaml").read_bytes() == RESET.encode()
    # Deskhand stores text trimmed: the final line break of a hand-written "|" block is not kept.
    stored = PRINTER_ACME.replace("instructions: |\n", "instructions: |-\n")
    assert (target / "printer-jam-acme-dental.yaml").read_bytes() == stored.encode()
    assert "wrote      reset-password.yaml" in output.out

    (target / "reset-password.yaml").write_text(RESET.replace("Then reset it.", "Edited by hand"))
    (target / "old.yaml").write_text("deskhand_workflow: 1\ntitle: Deleted long ago\n")
    code, output = _export(settings, target)
    assert code == 0, output.err
    assert "updated    reset-password.yaml" in output.out
    assert "unchanged  printer-jam-acme-dental.yaml" in output.out
    assert any(line.startswith("left alone old.yaml") for line in output.out)
    assert (target / "reset-password.yaml").read_bytes() == RESET.encode()
    assert (target / "old.yaml").exists()  # export never removes a file

    code, output = _export(settings, tmp_path / "shared", shared_only=True)
    assert code == 0 and sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["reset-password.yaml"]
    assert not any("left alone" in line for line in output.out)
    code, output = _export(settings, tmp_path / "nobody", client_id=999)
    assert code == 1 and output.err == ["Error: client 999 does not exist"]


def test_export_refuses_to_overwrite_a_file_deskhand_did_not_write(tmp_path: Path) -> None:
    settings = _prepared(tmp_path, None)
    assert _import(settings, _write(tmp_path / "in", {"a.yaml": RESET, "b.yaml": PRINTER_ACME}))[0] == 0
    target = _write(tmp_path / "out", {"reset-password.yaml": "owner: someone else\n"})

    code, output = _export(settings, target)

    assert code == 1
    assert (
        output.err[0] == f"Error: {target / 'reset-password.yaml'} exists and is not a Deskhand workflow file"
    )
    assert "Nothing was written" in output.err[-1]
    assert sorted(p.name for p in target.iterdir()) == ["reset-password.yaml"]
    assert (target / "reset-password.yaml").read_text() == "owner: someone else\n"


def test_an_invalid_directory_imports_nothing_and_prints_every_error(tmp_path: Path) -> None:
    settings = _prepared(tmp_path, None)
    bad = _write(
        tmp_path / "bad",
        {
            "reset.yaml": RESET,  # valid, but must not be applied
            "status.yaml": "deskhand_workflow: 1\ntitle: S\nstatus: live\n",
            "client.yaml": "deskhand_workflow: 1\ntitle: C\nclient: Nobody\n",
            "latin1.yaml": "deskhand_workflow: 1\ntitle: caf\xe9\n".encode("latin-1"),
        },
    )

    code, output = _import(settings, bad)

    assert code == 1
    assert output.err[0].startswith("client.yaml: client: no client named 'Nobody' here")
    assert "latin1.yaml: not readable as UTF-8 text" in output.err
    assert "status.yaml: status: 'live' is not a status: use one of draft, active, archived" in output.err
    assert output.err[-1] == "Nothing was imported: fix the 3 error(s) above and run the import again."
    assert output.out == []
    code, output = _export(settings, tmp_path / "out")
    assert code == 0 and list((tmp_path / "out").iterdir()) == []  # reset.yaml was rolled back too

    unreadable_only = _write(tmp_path / "latin", {"reset.yaml": RESET, "x.yaml": b"title: \xff\n"})
    code, output = _import(settings, unreadable_only)
    assert code == 1 and output.err[0] == "x.yaml: not readable as UTF-8 text"
    assert _export(settings, tmp_path / "out2")[0] == 0 and list((tmp_path / "out2").iterdir()) == []

    code, output = _import(settings, tmp_path / "missing")
    assert code == 1 and output.err == [f"Error: {tmp_path / 'missing'} is not a directory"]
    code, output = _import(settings, _write(tmp_path / "empty", {"readme.md": "hi"}))
    assert code == 1 and "no workflow files" in output.err[0]


def test_the_deskhand_command_line_imports_and_exports(tmp_path: Path) -> None:
    settings = _prepared(tmp_path, None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKHAND_")}
    env["DESKHAND_DATA_DIR"] = str(settings.data_dir)
    deskhand = [sys.executable, "-c", "from api.cli import app; app()", "workflows"]
    source = _write(
        tmp_path / "in", {"reset.yaml": RESET, "broken.yaml": "deskhand_workflow: 1\ntitle: [x\n"}
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*deskhand, *args], env=env, capture_output=True, text=True, check=False)

    failed = run("import", str(source))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "broken.yaml: invalid YAML at line 3" in failed.stderr
    (source / "broken.yaml").unlink()
    imported = run("import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "created    reset.yaml: Reset password (version 1)",
        "1 created, 0 updated, 0 unchanged",
    ]
    exported = run("export", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out" / "reset-password.yaml").read_text() == RESET
    assert exported.stdout.splitlines()[-1] == f"1 workflow file in {tmp_path / 'out'}"


def test_names_that_match_two_rows_are_reported_instead_of_guessed(tmp_path: Path) -> None:
    settings = _prepared(tmp_path, None)

    async def seed() -> None:
        db = Database(settings.resolved_database_url)
        registry = Registry()
        try:
            async with db.session() as session:
                await create_client(session, name="ACME  dental", m365_tenant_id=None, companies=[])
                for title in ("Printer jam", "printer JAM"):
                    data = WorkflowCreate(title=title)
                    await service.create_workflow(session, data, connectors=registry)
        finally:
            await registry.aclose()
            await db.dispose()

    asyncio.run(seed())
    files = {"printer.yaml": "deskhand_workflow: 1\ntitle: Printer Jam\n", "acme.yaml": PRINTER_ACME}

    code, output = _import(settings, _write(tmp_path / "in", files))

    assert code == 1
    assert output.err[:2] == [
        "acme.yaml: client: 'Acme Dental' names 2 clients (ids 1, 2): rename one so names are unique",
        "printer.yaml: title: 'Printer Jam' matches 2 workflows in this scope (ids 1, 2): rename or archive "
        "one in Deskhand so each title is unique, then import again",
    ]
