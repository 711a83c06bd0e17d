"""The workflow file format: exact text, lossless round trips, strict parsing with file + field errors."""

from __future__ import annotations

import random

import pytest

from workflows.files import (
    MAX_FILE_CHARS,
    FileProblem,
    WorkflowFile,
    WorkflowFileError,
    dump_workflow,
    file_names,
    parse_workflow,
    parse_workflow_files,
    slugify,
)
from workflows.schemas import IntegrationKind, WorkflowStatus

OFFBOARD = WorkflowFile(
    title="Offboard departing employee",
    status=WorkflowStatus.ACTIVE,
    client="Acme Dental",
    trigger="A manager reports that an employee is leaving.",
    requires=(IntegrationKind.M365, IntegrationKind.PSA),
    instructions=(
        "1. Find the user with `m365_find_user`.\n"
        "2. Disable sign-in with `m365_disable_sign_in`, then revoke sessions.\n"
        "\n"
        "Only then:\n"
        "  - convert the mailbox\n"
        "  - remove licenses"
    ),
)

OFFBOARD_TEXT = """\
deskhand_workflow: 1
title: Offboard departing employee
status: active
client: Acme Dental
trigger: A manager reports that an employee is leaving.
requires: [m365, psa]
instructions: |-
  1. Find the user with `m365_find_user`.
  2. Disable sign-in with `m365_disable_sign_in`, then revoke sessions.

  Only then:
    - convert the mailbox
    - remove licenses
"""

YAML_LOOKING = (
    "status: archived\n"
    "title: not the title\n"
    "- a list item\n"
    "# not a comment\n"
    "---\n"
    "...\n"
    "key: {flow: mapping}\n"
    "  | a pipe\n"
    "&anchor *alias !tag %directive @at `tick`\n"
    "'single' \"double\" yes no null ~ 0x1F 2024-01-01"
)


def test_dump_writes_the_fields_in_order_with_instructions_as_a_literal_block() -> None:
    assert dump_workflow(OFFBOARD) == OFFBOARD_TEXT
    assert parse_workflow(OFFBOARD_TEXT, file="offboard.yaml") == OFFBOARD


def test_a_shared_workflow_with_no_trigger_requirements_or_instructions() -> None:
    workflow = WorkflowFile(title="Draft idea")
    text = dump_workflow(workflow)
    assert text == (
        "deskhand_workflow: 1\ntitle: Draft idea\nstatus: draft\nclient: null\ntrigger: ''\n"
        'requires: []\ninstructions: ""\n'
    )
    assert parse_workflow(text, file="d.yaml") == workflow


@pytest.mark.parametrize(
    ("instructions", "header"),
    [
        ("one line", "instructions: |-\n"),
        ("ends with a line break\n", "instructions: |\n"),
        ("ends with blank lines\n\n\n", "instructions: |+\n"),
        ("  starts indented\nthen not", "instructions: |2-\n"),
        ("\n\n  leading blank lines, then indented", "instructions: |2-\n"),
        ("trailing spaces   \n  \n\ttabs\t\n", "instructions: |\n"),
        ("Étape 1 : réinitialiser le mot de passe — 日本語 ✓ 🙂", "instructions: |-\n"),
        (YAML_LOOKING, "instructions: |-\n"),
    ],
)
def test_instructions_round_trip_exactly_in_a_literal_block(instructions: str, header: str) -> None:
    workflow = WorkflowFile(title="T", trigger="", instructions=instructions)
    text = dump_workflow(workflow)
    assert header in text
    parsed = parse_workflow(text, file="t.yaml")
    assert parsed == workflow
    assert dump_workflow(parsed) == text


@pytest.mark.parametrize(
    "instructions",
    ["bell \x07 here", "carriage\r\nreturn", "nel\x85line", "sep\u2028arator", "\n\n", "bom\ufeff"],
)
def test_text_a_literal_block_cannot_hold_is_double_quoted_and_still_exact(instructions: str) -> None:
    workflow = WorkflowFile(title="T", instructions=instructions)
    text = dump_workflow(workflow)
    assert 'instructions: "' in text
    assert parse_workflow(text, file="t.yaml") == workflow


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "null",
        "123",
        "2024-01-01",
        "- dash",
        "key: value",
        "# hash",
        "  padded  ",
        "'quoted'",
        "tab\there",
        "nel\x85",
        "Zoë's “smart” quotes",
        "[x]",
        "a\nb",
        "@handle",
        "~",
    ],
)
def test_one_line_fields_keep_any_text(value: str) -> None:
    workflow = WorkflowFile(title=value if value.strip() else "t", client=value, trigger=value)
    text = dump_workflow(workflow)
    assert parse_workflow(text, file="t.yaml") == workflow
    assert dump_workflow(parse_workflow(text, file="t.yaml")) == text


def test_random_workflows_round_trip_both_ways() -> None:
    pieces = [" ", "\n", "\t", "a", "é", "#", ":", "-", "'", '"', "|", ">", "\r", "\x00", "\u2028", "---",
              "...", "&", "*", "!", "%", "@", "`", "{", "}", "[", "]", ",", "?", "yes", "null", "1", "日本",
              "\x85", "\ufeff", "\x7f", "\\", "\n\n", "  ", "~", "2024-01-01", "🙂"]  # fmt: skip
    rnd = random.Random(20240611)

    def text(longest: int) -> str:
        return "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, longest)))

    for _ in range(3000):
        client = rnd.choice([None, "c" + text(5)])
        workflow = WorkflowFile(
            title="t" + text(8),
            status=rnd.choice(list(WorkflowStatus)),
            client=client,
            trigger=text(10),
            requires=tuple(rnd.sample(list(IntegrationKind), rnd.randint(0, 2))),
            instructions=text(40),
        )
        dumped = dump_workflow(workflow)
        parsed = parse_workflow(dumped, file="r.yaml")
        assert parsed == workflow, dumped
        assert dump_workflow(parsed) == dumped


def test_a_hand_written_minimal_file_gets_the_defaults() -> None:
    parsed = parse_workflow("deskhand_workflow: 1\ntitle: VPN\n", file="vpn.yaml")
    assert parsed == WorkflowFile(title="VPN", status=WorkflowStatus.DRAFT, client=None, trigger="")
    nulls = "deskhand_workflow: 1\ntitle: VPN\nclient:\ntrigger:\nrequires:\ninstructions:\n"
    assert parse_workflow(nulls, file="vpn.yaml") == parsed
    crlf = "deskhand_workflow: 1\r\ntitle: VPN\r\ninstructions: |-\r\n  one\r\n  two\r\n"
    assert parse_workflow(crlf, file="vpn.yaml").instructions == "one\ntwo"


def _problems(text: str) -> list[tuple[str | None, str]]:
    with pytest.raises(WorkflowFileError) as caught:
        parse_workflow(text, file="bad.yaml")
    assert all(p.file == "bad.yaml" for p in caught.value.problems)
    return [(p.field, p.message) for p in caught.value.problems]


V1 = "deskhand_workflow: 1\n"


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        (V1 + "title: T\ntitel: typo\n", "titel", "unknown field (did you mean 'title'?)"),
        (V1 + "trigger: x\n", "title", "missing: every workflow needs a title"),
        (V1 + "title: '   '\n", "title", "empty"),
        (V1 + "title: T\nstatus: live\n", "status", "'live' is not a status: use one of draft, active"),
        (V1 + "title: 123\n", "title", "expected text, got the number 123; put the value in quotes"),
        (V1 + "title: T\ntrigger: yes\n", "trigger", "got the boolean true"),
        (V1 + "title: T\ntrigger: 2024-01-01\n", "trigger", "got a date"),
        (V1 + "title: T\nclient: 42\n", "client", "expected a client name, got the number 42"),
        (V1 + "title: T\nclient: ''\n", "client", "empty"),
        (V1 + "title: T\nrequires: m365\n", "requires", "expected a list such as [psa, m365], got text"),
        (V1 + "title: T\nrequires: [psa, teams]\n", "requires", "'teams' is not an integration kind"),
        (V1 + "title: T\nrequires: [psa, psa]\n", "requires", "'psa' is listed twice"),
        (V1 + "title: T\ninstructions: [a, b]\n", "instructions", "expected text, got a list"),
        ("title: T\n", "deskhand_workflow", "starts with 'deskhand_workflow: 1'"),
        ("deskhand_workflow: 2\ntitle: T\n", "deskhand_workflow", "unsupported format version 2"),
        ("deskhand_workflow: '1'\ntitle: T\n", "deskhand_workflow", "expected the number 1, got text"),
        (V1 + "title: A\ntitle: B\n", "title", "given twice (lines 2 and 3); keep one"),
        ("- a\n- b\n", None, "not a mapping: expected 'field: value' lines, got a list"),
        ("just text\n", None, "not a mapping"),
        ("", None, "the file is empty"),
        (V1 + "title: T\ntrigger: a: b\n", None, "invalid YAML at line 3, column 11: mapping values"),
        (V1 + "title: [unclosed\n", None, "invalid YAML at line 3"),
    ],
)
def test_parse_errors_name_the_field(text: str, field: str | None, fragment: str) -> None:
    problems = _problems(text)
    assert any(f == field and fragment in message for f, message in problems), problems


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = V1 + "status: live\nclient: 7\nrequires: [x]\nnotes: hi\n"
    assert {field for field, _ in _problems(text)} == {"title", "status", "client", "requires", "notes"}


def test_a_file_far_larger_than_any_workflow_is_refused() -> None:
    text = V1 + "title: T\ninstructions: |-\n  " + "x" * MAX_FILE_CHARS + "\n"
    assert _problems(text) == [(None, f"larger than {MAX_FILE_CHARS} characters")]


def test_problem_text_is_file_field_message() -> None:
    assert str(FileProblem("a.yaml", "status", "bad")) == "a.yaml: status: bad"
    assert str(FileProblem("a.yaml", None, "invalid YAML")) == "a.yaml: invalid YAML"


def test_the_same_title_twice_in_one_scope_is_reported_on_each_file() -> None:
    files = {
        "a.yaml": V1 + "title: VPN problems\n",
        "b.yaml": V1 + "title: '  vpn   PROBLEMS '\n",
        "c.yaml": V1 + "title: VPN problems\nclient: Acme\n",  # another scope: fine
        "d.yaml": V1 + "title: VPN problems\nclient: ' ACME'\n",  # client names compare like titles
        "e.yaml": V1 + "title: Printer\n",
        "f.yaml": V1 + "title: [broken\n",
    }
    parsed, problems = parse_workflow_files(files)
    assert list(parsed) == ["e.yaml"]
    by_file = {p.file: p for p in problems}
    assert sorted(by_file) == ["a.yaml", "b.yaml", "c.yaml", "d.yaml", "f.yaml"]
    assert by_file["a.yaml"].field == "title" and "also in b.yaml" in by_file["a.yaml"].message
    assert "(shared)" in by_file["a.yaml"].message
    assert "also in c.yaml" in by_file["d.yaml"].message and "client ' ACME'" in by_file["d.yaml"].message
    assert by_file["f.yaml"].message.startswith("invalid YAML at line 3")
    assert "(while parsing a flow sequence at line 2)" in by_file["f.yaml"].message


def test_file_names_are_slugs_of_title_and_client_and_never_collide() -> None:
    workflows = [
        WorkflowFile(title="Reset password"),
        WorkflowFile(title="Reset password", client="Acme Dental"),
        WorkflowFile(title="Reset  Password!"),
        WorkflowFile(title="Reset password 2"),
        WorkflowFile(title="Réinitialiser: l'accès"),
        WorkflowFile(title="日本語"),
        WorkflowFile(title="日本語", client="Zoë & Co."),
    ]
    assert file_names(workflows) == [
        "reset-password.yaml",
        "reset-password-acme-dental.yaml",
        "reset-password-3.yaml",  # -2 is another workflow's natural name
        "reset-password-2.yaml",
        "reinitialiser-l-acces.yaml",
        "workflow.yaml",
        "workflow-zoe-co.yaml",
    ]
    assert slugify("x" * 100 + " y") == "x" * 60
