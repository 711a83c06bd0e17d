"""The labelled matching set and the distractor generator: shape, coverage, validation, determinism."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.matching.dataset import KINDS, TEMPLATE_KEYS, DatasetError, LabelledTicket, load_dataset
from evals.matching.distractors import available, client_variants, distractors
from workflows.shortlist import is_broad_trigger
from workflows.templates import TEMPLATES

TRIAGE = ("enrich-similar-tickets", "enrich-requester-context", "categorize-and-route")


def test_the_template_keys_are_the_templates() -> None:
    assert set(TEMPLATE_KEYS) == {t.key for t in TEMPLATES} and len(TEMPLATE_KEYS) == 13


def test_the_dataset_has_150_varied_tickets_covering_every_template() -> None:
    tickets = load_dataset()
    assert len(tickets) >= 150
    labels = Counter(key for t in tickets for key in t.expected)
    assert all(labels[key] >= 5 for key in TEMPLATE_KEYS), labels
    kinds = Counter(kind for t in tickets for kind in t.kinds)
    assert set(kinds) == KINDS  # every kind of difficulty is represented
    assert kinds["no-match"] >= 10 and kinds["near-miss"] >= 20 and kinds["forwarded"] >= 8
    assert sum(1 for t in tickets if not t.expected) >= 10
    assert sum(1 for t in tickets if len(set(t.expected) - set(TRIAGE)) >= 2) >= 5  # multi-issue
    assert len({t.summary.lower() for t in tickets}) == len(tickets)


def test_labels_follow_the_kind_tags() -> None:
    for t in load_dataset():
        if "no-match" in t.kinds and "near-miss" not in t.kinds:
            assert t.expected == (), t.id
        if "alert" in t.kinds or "technician" in t.kinds:
            # Raised by a system or a technician, not by a person at the client.
            assert "enrich-requester-context" not in t.expected, t.id
        if "reply" in t.kinds or "technician" in t.kinds:
            assert "categorize-and-route" not in t.expected, t.id  # not a new, untriaged ticket


def test_the_shortlist_text_is_what_the_pipeline_reads() -> None:
    ticket = LabelledTicket(id="x", summary="Printer", description="a" * 1499 + "bc", expected=(), kinds=())
    assert ticket.shortlist_text() == "Printer\n" + "a" * 1499 + "b"  # agent/stages.py: description[:1500]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("tickets: {}", "'tickets' list"),
        (
            "tickets:\n  - {id: a, kind: [request], summary: s, description: d, expected: [reset-pw]}",
            "unknown template key",
        ),
        (
            "tickets:\n  - {id: a, kind: [urgent], summary: s, description: d, expected: []}",
            "kind must be",
        ),
        (
            "tickets:\n  - {id: a, kind: [request], summary: s, description: d, expected: []}\n"
            "  - {id: a, kind: [request], summary: t, description: d, expected: []}",
            "a: duplicate id",
        ),
        ("tickets:\n  - {id: a, kind: [request], summary: '', description: d, expected: []}", "'summary'"),
        (
            "tickets:\n  - {id: a, kind: [request], summary: s, description: d, expected: [], extra: 1}",
            "unknown field",
        ),
    ],
)
def test_a_malformed_dataset_is_refused_with_the_ticket_named(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "matching.yaml"
    path.write_text(text)
    with pytest.raises(DatasetError, match=error):
        load_dataset(path)


def test_distractors_are_deterministic_unique_and_enough_for_a_thousand_workflows() -> None:
    assert available() >= 1000 - len(TEMPLATES)
    first, again = distractors(987), distractors(987)
    assert first == again
    titles = [d.title.lower() for d in first]
    assert len(set(titles)) == len(titles)
    assert not set(titles) & {t.title.lower() for t in TEMPLATES}
    assert distractors(87) == first[:87]  # a library of 100 is the start of the library of 1,000
    assert client_variants(seed=1) != client_variants(seed=2)
    with pytest.raises(ValueError, match="only"):
        distractors(available() + 1)


def test_distractors_read_like_workflows_near_the_templates() -> None:
    specs = distractors(987)
    for spec in specs:
        assert "{" not in spec.title + spec.trigger, spec  # every slot filled
        assert spec.trigger.endswith(".") and "\n" not in spec.trigger and len(spec.trigger) <= 300
    text = " ".join(f"{d.title} {d.trigger}".lower() for d in specs)
    for near in ("voicemail pin", "new starter", "leaver", "vpn", "licence", "locked", "automatic reply"):
        assert near in text, near
    # Per-client variants carry a client's name ("Acme Dental: ...") and stay plausible for that client.
    assert sum(1 for d in specs if ": " in d.title) >= 800
    assert "'s's" not in text and "s's " not in text


def test_only_the_triage_and_ticket_templates_have_broad_triggers() -> None:
    broad = {t.key for t in TEMPLATES if is_broad_trigger(t.trigger)}
    assert set(TRIAGE) <= broad
    assert broad <= set(TRIAGE) | {"update-ticket-status", "log-time-entry"}
