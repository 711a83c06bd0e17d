"""Workflows as YAML files, one per workflow, so MSPs can keep them in git. Pure format: no database.

A file Deskhand writes looks like this, always with these fields in this order::

    deskhand_workflow: 1
    title: Reset password
    status: active
    client: Acme Dental
    trigger: The requester cannot sign in and asks for a new password.
    requires: [m365]
    instructions: |-
      Find the user with `m365_find_user`.
      Reset the password with `m365_reset_password`.

- ``deskhand_workflow`` is the format version (the integer 1); a file without it is not a workflow file.
- ``title`` is required. ``status`` is draft, active or archived (draft when absent).
- ``client`` is the client's NAME: names are portable between installs, ids are not. Null or absent means
  shared across all clients.
- ``trigger`` and ``instructions`` are text; null or absent means empty. ``requires`` is a list of the
  integration kinds the workflow needs besides those its tools imply (``psa``, ``m365``).
- Instructions are a literal block scalar (``|``) so git diffs are line by line. The chomping indicator
  keeps the exact ending (``|-`` no final line break, ``|`` one, ``|+`` several) and an indentation
  indicator (``|2``) is added when the text starts with a space. Text a literal block cannot hold (control
  characters, carriage returns, Unicode line separators, nothing but line breaks) is written double-quoted
  with escapes instead; empty instructions are ``""``.
- The other text fields are written by PyYAML on one line: plain when unambiguous, otherwise quoted
  (double-quoted with escapes when they hold line breaks, tabs or control characters).
- Reading, a file may be hand-written: any YAML style, fields omitted, CRLF line ends.

The round trip is lossless: ``parse_workflow(dump_workflow(w)) == w`` for every workflow, and
``dump_workflow(parse_workflow(text)) == text`` for every file Deskhand wrote. Parsing is strict and reports
every problem of a file with its field: unknown or repeated fields, missing title, bad status, wrong types,
a document that is not a mapping, invalid YAML (with line and column) and unsupported format versions.

File names: ``<slug of title>.yaml``, plus ``-<slug of client>`` for a client's workflow; ASCII, lower
case, at most 60 characters per part; names that would collide get ``-2``, ``-3``... in the order given.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

from workflows.schemas import IntegrationKind, WorkflowStatus
from workflows.scope import normalize_title

FORMAT_VERSION = 1
VERSION_FIELD = "deskhand_workflow"
FIELDS = (VERSION_FIELD, "title", "status", "client", "trigger", "requires", "instructions")
FILE_SUFFIX = ".yaml"
MAX_FILE_CHARS = 200_000  # instructions are capped at 20,000 characters; anything far larger is a mistake
SLUG_MAX = 60

_NO_WIDTH = 2**31 - 1  # PyYAML folds long scalars at `width`: never fold, one field per line
# Characters a literal block cannot hold: PyYAML's reader refuses non-printables, and it turns these line
# breaks into "\n" (or would treat a BOM as a stream marker).
_NOT_LITERAL = re.compile("[^\x09\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_NOT_LITERAL_BREAKS = ("\u2028", "\u2029")
_ONE_LINE_UNSAFE = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


@dataclass(frozen=True)
class WorkflowFile:
    """One workflow as a file holds it: the client by name, nothing install-specific."""

    title: str
    status: WorkflowStatus = WorkflowStatus.DRAFT
    client: str | None = None
    trigger: str = ""
    requires: tuple[IntegrationKind, ...] = ()
    instructions: str = ""

    @property
    def scope_key(self) -> tuple[str | None, str]:
        """Same key = same workflow: the client's name and the title, both normalised."""
        return (
            normalize_title(self.client) if self.client is not None else None,
            normalize_title(self.title),
        )


@dataclass(frozen=True)
class FileProblem:
    file: str
    field: str | None  # None: the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}" if self.field else f"{self.file}: {self.message}"


class WorkflowFileError(ValueError):
    def __init__(self, problems: Sequence[FileProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


# --- writing -----------------------------------------------------------------------------------------


def dump_workflow(workflow: WorkflowFile) -> str:
    lines = [
        f"{VERSION_FIELD}: {FORMAT_VERSION}",
        _field_line("title", workflow.title),
        f"status: {WorkflowStatus(workflow.status).value}",
        _field_line("client", workflow.client),
        _field_line("trigger", workflow.trigger),
        _requires_line(workflow.requires),
        _instructions_lines(workflow.instructions),
    ]
    return "\n".join(lines) + "\n"


def _field_line(name: str, value: str | None) -> str:
    # PyYAML's single-quoted and plain styles mangle some characters (a NEL becomes a line break):
    # anything beyond printable text on one line goes double-quoted, where every such character is escaped.
    style = '"' if value is not None and _ONE_LINE_UNSAFE.search(value) else None
    text: str = yaml.safe_dump(
        {name: value}, allow_unicode=True, width=_NO_WIDTH, sort_keys=False, default_style=style
    )
    key = f'"{name}":'
    if text.startswith(key):  # default_style quotes the key too; field names stay plain
        text = f"{name}:{text[len(key) :]}"
    return text.rstrip("\n")


def _requires_line(kinds: Sequence[IntegrationKind]) -> str:
    values = [IntegrationKind(kind).value for kind in kinds]
    return f"requires: [{', '.join(values)}]"  # kind values are plain words: no quoting needed


def _instructions_lines(text: str) -> str:
    if text == "":
        return 'instructions: ""'
    # Line breaks alone have no line to carry them in a block: they go quoted too.
    if _NOT_LITERAL.search(text) or any(c in text for c in _NOT_LITERAL_BREAKS) or not text.strip("\n"):
        quoted: str = yaml.safe_dump(text, allow_unicode=True, width=_NO_WIDTH, default_style='"')
        return f"instructions: {quoted.rstrip(chr(10))}"
    if not text.endswith("\n"):
        chomping = "-"
    elif text.endswith("\n\n"):
        chomping = "+"
    else:
        chomping = ""
    # A first line starting with a space would be read as deeper indentation: say the indentation.
    indentation = "2" if text.lstrip("\n").startswith(" ") else ""
    body = text[:-1] if text.endswith("\n") else text
    lines = [f"  {line}" if line else "" for line in body.split("\n")]
    return f"instructions: |{indentation}{chomping}\n" + "\n".join(lines)


# --- file names --------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """ASCII, lower case, words joined by hyphens; "workflow" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "workflow"


def file_stem(workflow: WorkflowFile) -> str:
    stem = slugify(workflow.title)
    return f"{stem}-{slugify(workflow.client)}" if workflow.client is not None else stem


def file_names(workflows: Sequence[WorkflowFile]) -> list[str]:
    """A unique file name per workflow, in order. Earlier workflows keep their natural name, so pass them
    in a stable order (e.g. by id) for names that do not move between exports."""
    stems = [file_stem(w) for w in workflows]
    taken: set[str] = set()
    natural = set(stems)
    names: list[str] = []
    for stem in stems:
        name, counter = stem, 1
        while name in taken or (name != stem and name in natural):
            counter += 1
            name = f"{stem}-{counter}"
        taken.add(name)
        names.append(name + FILE_SUFFIX)
    return names


# --- reading -----------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
    """SafeLoader that refuses a key given twice instead of keeping the last one silently."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int) and key in seen:
                raise _RepeatedKey(str(key), seen[key], line)
            if isinstance(key, str | int):
                seen[key] = line
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class _RepeatedKey(Exception):
    def __init__(self, key: str, first_line: int, line: int) -> None:
        super().__init__(key)
        self.key, self.first_line, self.line = key, first_line, line


def parse_workflow(text: str, *, file: str) -> WorkflowFile:
    """The workflow in ``text``, or ``WorkflowFileError`` with every problem found (file and field)."""
    if len(text) > MAX_FILE_CHARS:
        raise WorkflowFileError([FileProblem(file, None, f"larger than {MAX_FILE_CHARS} characters")])
    document = _load(text, file)
    if document is None:
        raise WorkflowFileError([FileProblem(file, None, "the file is empty: a workflow file is a mapping")])
    if not isinstance(document, dict):
        raise WorkflowFileError(
            [FileProblem(file, None, f"not a mapping: expected 'field: value' lines, got {_kind(document)}")]
        )
    reader = _FieldReader(file, document)
    workflow = reader.workflow()
    if reader.problems:
        raise WorkflowFileError(reader.problems)
    assert workflow is not None
    return workflow


def _load(text: str, file: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _RepeatedKey as exc:
        raise WorkflowFileError(
            [FileProblem(file, exc.key, f"given twice (lines {exc.first_line} and {exc.line}); keep one")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise WorkflowFileError([FileProblem(file, None, _yaml_error_message(exc))]) from None
    except yaml.YAMLError as exc:
        raise WorkflowFileError([FileProblem(file, None, f"invalid YAML: {exc}")]) from None


def _yaml_error_message(exc: Any) -> str:
    """'invalid YAML at line L, column C: problem', plus where the unfinished construct started."""
    mark, problem = exc.problem_mark, exc.problem
    if mark is None or problem is None:
        mark, problem = exc.context_mark, exc.context or "syntax error"
    message = "invalid YAML"
    if mark is not None:
        message += f" at line {mark.line + 1}, column {mark.column + 1}"
    message += f": {problem}"
    context = exc.context_mark
    if exc.context and exc.problem and context is not None and context.line != mark.line:
        message += f" ({exc.context} at line {context.line + 1})"
    return message


class _FieldReader:
    def __init__(self, file: str, document: dict[Any, Any]) -> None:
        self.file = file
        self.document = document
        self.problems: list[FileProblem] = []

    def problem(self, field: str | None, message: str) -> None:
        self.problems.append(FileProblem(self.file, field, message))

    def workflow(self) -> WorkflowFile | None:
        for key in self.document:
            if key not in FIELDS:
                self.problem(str(key), _unknown_field_message(key))
        if not self._version_ok():
            return None  # another format: its other fields mean nothing to this reader
        title = self._text("title", required=True)
        status = self._status()
        client = self._client()
        trigger = self._text("trigger")
        requires = self._requires()
        instructions = self._text("instructions")
        if self.problems:
            return None
        return WorkflowFile(
            title=title,
            status=status,
            client=client,
            trigger=trigger,
            requires=requires,
            instructions=instructions,
        )

    def _version_ok(self) -> bool:
        if VERSION_FIELD not in self.document:
            self.problem(
                VERSION_FIELD,
                f"missing: a Deskhand workflow file starts with '{VERSION_FIELD}: {FORMAT_VERSION}'",
            )
            return False
        version = self.document[VERSION_FIELD]
        if type(version) is not int:
            self.problem(VERSION_FIELD, f"expected the number {FORMAT_VERSION}, got {_kind(version)}")
            return False
        if version != FORMAT_VERSION:
            self.problem(
                VERSION_FIELD,
                f"unsupported format version {version}: this Deskhand reads version {FORMAT_VERSION}",
            )
            return False
        return True

    def _text(self, field: str, *, required: bool = False) -> str:
        value = self.document.get(field)
        if value is None:
            if required:
                self.problem(field, "missing: every workflow needs a title")
            return ""
        if not isinstance(value, str):
            self.problem(field, f"expected text, got {_kind(value)}; put the value in quotes")
            return ""
        if required and not value.strip():
            self.problem(field, "empty: every workflow needs a title")
        return value

    def _status(self) -> WorkflowStatus:
        value = self.document.get("status", WorkflowStatus.DRAFT.value)
        choices = ", ".join(s.value for s in WorkflowStatus)
        if not isinstance(value, str):
            self.problem("status", f"expected one of {choices}, got {_kind(value)}")
            return WorkflowStatus.DRAFT
        try:
            return WorkflowStatus(value)
        except ValueError:
            self.problem("status", f"'{value}' is not a status: use one of {choices}")
            return WorkflowStatus.DRAFT

    def _client(self) -> str | None:
        value = self.document.get("client")
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem("client", f"expected a client name, got {_kind(value)}; put the name in quotes")
            return None
        if not value.strip():
            self.problem("client", "empty: give the client's name, or null for a shared workflow")
        return value

    def _requires(self) -> tuple[IntegrationKind, ...]:
        value = self.document.get("requires")
        if value is None:
            return ()
        choices = ", ".join(k.value for k in IntegrationKind)
        if not isinstance(value, list):
            self.problem("requires", f"expected a list such as [{choices}], got {_kind(value)}")
            return ()
        kinds: list[IntegrationKind] = []
        for item in value:
            if not isinstance(item, str) or item not in {k.value for k in IntegrationKind}:
                shown = f"'{item}'" if isinstance(item, str) else _kind(item)
                self.problem("requires", f"{shown} is not an integration kind: use {choices}")
            elif IntegrationKind(item) in kinds:
                self.problem("requires", f"'{item}' is listed twice")
            else:
                kinds.append(IntegrationKind(item))
        return tuple(kinds)


def _unknown_field_message(key: Any) -> str:
    close = difflib.get_close_matches(str(key), FIELDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown field{hint}; the fields are {', '.join(FIELDS)}"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"a {type(value).__name__}"  # dates and times, which YAML reads from unquoted values


def parse_workflow_files(files: Mapping[str, str]) -> tuple[dict[str, WorkflowFile], list[FileProblem]]:
    """Every file parsed (by name, in name order) and every problem, including the same title twice in
    one scope across files (each such file is reported, naming the others)."""
    parsed: dict[str, WorkflowFile] = {}
    problems: list[FileProblem] = []
    for name in sorted(files):
        try:
            parsed[name] = parse_workflow(files[name], file=name)
        except WorkflowFileError as exc:
            problems.extend(exc.problems)
    by_scope: dict[tuple[str | None, str], list[str]] = {}
    for name, workflow in parsed.items():
        by_scope.setdefault(workflow.scope_key, []).append(name)
    for names in by_scope.values():
        if len(names) < 2:
            continue
        for name in names:
            others = ", ".join(other for other in names if other != name)
            scope = f"client '{parsed[name].client}'" if parsed[name].client is not None else "shared"
            problems.append(
                FileProblem(
                    name,
                    "title",
                    f"'{parsed[name].title}' ({scope}) is also in {others}: one file per workflow",
                )
            )
    for name in [n for names in by_scope.values() if len(names) > 1 for n in names]:
        parsed.pop(name)
    problems.sort(key=lambda p: p.file)
    return parsed, problems
