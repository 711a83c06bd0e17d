"""Export workflows to YAML files and import them back, through the workflow service's own rules.

Export: every workflow (or one client's own, or the shared ones only) as ``{file name: text}`` in the
format of ``workflows.files``; names come from titles (and client names) and stay put between exports.
The service stores text trimmed, so exported instructions end without a line break (``|-``), and a file
that differs from the stored workflow only in surrounding whitespace imports as unchanged.

Import is all or nothing:
1. Every file is parsed and checked against what the service would refuse (unknown client name, an active
   workflow without a trigger, field limits, the same title twice in one scope, a title that matches two
   existing workflows).
2. Each file is then applied with the service: a workflow in the same scope (client) whose title matches
   after ``workflows.scope.normalize_title`` is updated, only in the fields that differ (a new version),
   otherwise a new one is created. Files are matched by title, so renaming in a file creates a workflow:
   rename in Deskhand, then export. Workflows with no file are left alone.
3. If any file had a problem, in step 1 or from the service in step 2 (e.g. a required integration that is
   not connected), ``WorkflowFilesInvalid`` lists every one with its file and field. Files with problems in
   step 1 are skipped in step 2 (the other files still run, without embedding, to report the service's
   errors too). Nothing is kept: the CALLER must roll its transaction back, which leaving
   ``Database.session()`` with the exception does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import ConnectorFactory
from core.errors import DeskhandError, NotFoundError, ValidationFailed
from core.tables import Client
from retrieval.embedders import Embedder
from workflows import service
from workflows.files import FileProblem, WorkflowFile, dump_workflow, file_names, parse_workflow_files
from workflows.schemas import IntegrationKind, WorkflowCreate, WorkflowStatus, WorkflowUpdate
from workflows.scope import normalize_title
from workflows.tables import Workflow

# The file field a service error is about, by the error's code (None: the workflow as a whole).
_FIELD_OF_CODE = {
    "trigger_required": "trigger",
    "unknown_tool": "instructions",
    "integration_missing": "status",  # it could be saved as a draft: activation is what is refused
    "unknown_client": "client",
}
_FIELD_OF_MODEL = {"client_id": "client"}


class ImportedWorkflow(BaseModel):
    file: str
    title: str
    client: str | None
    workflow_id: int
    version: int


class ImportSummary(BaseModel):
    created: list[ImportedWorkflow]
    updated: list[ImportedWorkflow]
    unchanged: list[ImportedWorkflow]


class WorkflowFilesInvalid(DeskhandError):
    """Some files cannot be imported; nothing may be kept (roll the transaction back)."""

    code = "invalid_workflow_files"
    status_code = 422

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        files = len({p.file for p in problems})
        listed = "; ".join(str(p) for p in problems)
        super().__init__(
            f"{files} workflow file{'s' if files != 1 else ''} cannot be imported, so nothing was: {listed}"
        )
        self.problems = tuple(problems)


# --- export ------------------------------------------------------------------------------------------


async def export_workflows(
    session: AsyncSession, *, client_id: int | None = None, shared_only: bool = False
) -> dict[str, str]:
    """``{file name: file text}`` in name order: every workflow, one client's own, or the shared ones."""
    if client_id is not None and shared_only:
        raise ValidationFailed("export one client's workflows or the shared ones, not both", code="bad_scope")
    names = await _client_names(session)
    if client_id is not None and client_id not in names:
        raise NotFoundError(f"client {client_id} does not exist")
    rows = await service.list_workflows(session, client_id=client_id)  # by id: names stay put
    if client_id is not None:
        rows = [row for row in rows if row.client_id == client_id]
    elif shared_only:
        rows = [row for row in rows if row.client_id is None]
    workflows = [workflow_file_of(row, names) for row in rows]
    files = dict(zip(file_names(workflows), (dump_workflow(w) for w in workflows), strict=True))
    return dict(sorted(files.items()))


def workflow_file_of(row: Workflow, client_names: Mapping[int, str]) -> WorkflowFile:
    return WorkflowFile(
        title=row.title,
        status=WorkflowStatus(row.status),
        client=client_names[row.client_id] if row.client_id is not None else None,
        trigger=row.trigger,
        requires=tuple(IntegrationKind(kind) for kind in row.requires or ()),
        instructions=row.instructions,
    )


async def _client_names(session: AsyncSession) -> dict[int, str]:
    return {row.id: row.name for row in (await session.scalars(select(Client).order_by(Client.id))).all()}


# --- import ------------------------------------------------------------------------------------------


@dataclass
class _Planned:
    file: str
    workflow: WorkflowFile
    client_id: int | None
    existing: Workflow | None


async def import_workflows(
    session: AsyncSession,
    files: Mapping[str, str],
    *,
    connectors: ConnectorFactory,
    embedder: Embedder | None = None,
) -> ImportSummary:
    """Create or update a workflow per file; ``WorkflowFilesInvalid`` with every problem otherwise."""
    parsed, problems = parse_workflow_files(files)
    plans = await _plan(session, parsed, problems)
    invalid_files = {p.file for p in problems}
    summary = ImportSummary(created=[], updated=[], unchanged=[])
    for plan in plans:
        if plan.file in invalid_files:
            continue
        try:
            await _apply(
                session, plan, summary, connectors=connectors, embedder=embedder if not problems else None
            )
        except DeskhandError as exc:
            problems.append(FileProblem(plan.file, _FIELD_OF_CODE.get(exc.code), exc.detail))
    if problems:
        raise WorkflowFilesInvalid(sorted(problems, key=lambda p: p.file))
    return summary


async def _plan(
    session: AsyncSession, parsed: Mapping[str, WorkflowFile], problems: list[FileProblem]
) -> list[_Planned]:
    clients: dict[str, list[Client]] = {}
    for client in (await session.scalars(select(Client).order_by(Client.id))).all():
        clients.setdefault(normalize_title(client.name), []).append(client)
    existing: dict[tuple[int | None, str], list[Workflow]] = {}
    for row in await service.list_workflows(session):
        existing.setdefault((row.client_id, normalize_title(row.title)), []).append(row)

    plans: list[_Planned] = []
    for name, workflow in parsed.items():
        known = len(problems)
        client_id = _client_id(name, workflow, clients, problems)
        _check_fields(name, workflow, client_id, problems)
        if len(problems) > known and workflow.client is not None and client_id is None:
            continue  # no scope to match the title in; the file is reported already
        matches = existing.get((client_id, normalize_title(workflow.title)), [])
        if len(matches) > 1:
            ids = ", ".join(str(row.id) for row in matches)
            problems.append(
                FileProblem(
                    name,
                    "title",
                    f"'{workflow.title}' matches {len(matches)} workflows in this scope (ids {ids}): rename "
                    "or archive one in Deskhand so each title is unique, then import again",
                )
            )
        plans.append(_Planned(name, workflow, client_id, matches[0] if len(matches) == 1 else None))
    return plans


def _client_id(
    name: str, workflow: WorkflowFile, clients: Mapping[str, list[Client]], problems: list[FileProblem]
) -> int | None:
    if workflow.client is None:
        return None
    found = clients.get(normalize_title(workflow.client), [])
    if len(found) == 1:
        return found[0].id
    if found:
        ids = ", ".join(str(c.id) for c in found)
        message = (
            f"'{workflow.client}' names {len(found)} clients (ids {ids}): rename one so names are unique"
        )
    else:
        message = (
            f"no client named '{workflow.client}' here: create the client first, fix the name, or use "
            "client: null for a shared workflow"
        )
    problems.append(FileProblem(name, "client", message))
    return None


def _check_fields(
    name: str, workflow: WorkflowFile, client_id: int | None, problems: list[FileProblem]
) -> None:
    """What the service's own models and rules would refuse, reported against the file's fields."""
    try:
        WorkflowCreate.model_validate(_content(workflow, client_id))
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else None
            problems.append(FileProblem(name, _FIELD_OF_MODEL.get(field or "", field), error["msg"]))
    if workflow.status is WorkflowStatus.ACTIVE and not workflow.trigger.strip():
        problems.append(
            FileProblem(
                name,
                "trigger",
                "an active workflow needs a trigger: add a one-sentence trigger, or set status: draft",
            )
        )


def _content(workflow: WorkflowFile, client_id: int | None) -> dict[str, Any]:
    """The workflow's fields as the service stores them (trimmed text, requires sorted and distinct)."""
    return {
        "title": workflow.title.strip(),
        "trigger": workflow.trigger.strip(),
        "instructions": workflow.instructions.strip(),
        "status": workflow.status.value,
        "client_id": client_id,
        "requires": sorted({kind.value for kind in workflow.requires}),
    }


async def _apply(
    session: AsyncSession,
    plan: _Planned,
    summary: ImportSummary,
    *,
    connectors: ConnectorFactory,
    embedder: Embedder | None,
) -> None:
    content = _content(plan.workflow, plan.client_id)
    row = plan.existing
    if row is None:
        row = await service.create_workflow(
            session, WorkflowCreate.model_validate(content), connectors=connectors, embedder=embedder
        )
        summary.created.append(_imported(plan, row))
        return
    current = {
        "title": row.title,
        "trigger": row.trigger,
        "instructions": row.instructions,
        "status": row.status,
        "requires": sorted(row.requires or ()),
    }
    changes = {
        field: value for field, value in content.items() if field in current and current[field] != value
    }
    before = row.version
    if changes:
        data = WorkflowUpdate.model_validate({**changes, "base_version": row.version})
        row = await service.update_workflow(
            session, row.id, data=data, connectors=connectors, embedder=embedder
        )
    (summary.updated if row.version != before else summary.unchanged).append(_imported(plan, row))


def _imported(plan: _Planned, row: Workflow) -> ImportedWorkflow:
    return ImportedWorkflow(
        file=plan.file, title=row.title, client=plan.workflow.client, workflow_id=row.id, version=row.version
    )
