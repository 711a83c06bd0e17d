"""Shortlist rules: small libraries pass whole, unembedded workflows are never cut, closest triggers win,
broad triggers keep their place, and the keyword leg reads the request, not the email furniture."""

from __future__ import annotations

import numpy as np

from workflows.shortlist import is_broad_trigger, request_words, shortlist
from workflows.tables import Workflow

EMBEDDER = "test/unit-vectors"


def workflow(workflow_id: int, trigger: str, direction: int | None, *, embedder: str = EMBEDDER) -> Workflow:
    row = Workflow(id=workflow_id, title=f"W{workflow_id}", trigger=trigger)
    if direction is not None:
        vector = np.zeros(8, dtype=np.float32)
        vector[direction] = 1.0
        row.trigger_vector, row.trigger_embedder = vector.tobytes(), embedder
    return row


def ticket(direction: int) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[direction] = 1.0
    return vector


def test_a_library_no_bigger_than_the_shortlist_goes_whole() -> None:
    rows = [workflow(i, "x", i % 8) for i in range(3)]
    kept, cut = shortlist(rows, ticket_text="x", ticket_vector=ticket(0), embedder_name=EMBEDDER, size=3)
    assert kept == rows and cut == []


def test_closest_triggers_are_kept_and_unembedded_ones_always_go_on() -> None:
    rows = [workflow(i, f"topic{i}", i % 8) for i in range(1, 9)]
    legacy = workflow(20, "saved before retrieval", None)
    other_model = workflow(21, "embedded by another model", 3, embedder="other/model")
    kept, cut = shortlist(
        [*rows, legacy, other_model],
        ticket_text="topic3",
        ticket_vector=ticket(3),
        embedder_name=EMBEDDER,
        size=4,
    )
    kept_ids = {row.id for row in kept}
    assert {20, 21} <= kept_ids and 3 in kept_ids  # never cut, and the closest one
    assert len(kept) == 4 and len(cut) == 6


def _titled(workflow_id: int, title: str, trigger: str) -> Workflow:
    """A workflow whose vector ties with every other ``_titled`` one, so only shared words can rank it."""
    row = workflow(workflow_id, trigger, 0)
    row.title = title
    return row


def test_broad_triggers_are_those_about_tickets_rather_than_a_topic() -> None:
    for broad in (
        "A new ticket raised by a person at a client.",
        "A new break/fix ticket where something is broken.",
        "A ticket where the requester says the issue is fixed.",
        "Any incoming ticket from Acme Dental.",
        "every new ticket",
    ):
        assert is_broad_trigger(broad), broad
    for topical in (
        "A printer is offline, jammed or not printing.",
        "Tickets from Acme about the badge printer.",
        "A new employee needs an account and a laptop.",
        "The user asks us to close the ticket.",
        "",
    ):
        assert not is_broad_trigger(topical), topical


def test_broad_workflows_are_kept_even_when_far_from_the_ticket() -> None:
    topical = [workflow(i, f"topic{i}", 3 if i < 5 else 4) for i in range(1, 11)]
    intake = workflow(
        11, "A new ticket from a client that needs a category.", 7
    )  # orthogonal, no shared word
    kept, cut = shortlist(
        [*topical, intake],
        ticket_text="topic1 topic2",
        ticket_vector=ticket(3),
        embedder_name=EMBEDDER,
        size=4,
    )
    kept_ids = [row.id for row in kept]
    assert 11 in kept_ids and {1, 2} <= set(kept_ids)
    assert len(kept) == 4 and len(cut) == 7


def test_broad_workflows_leave_a_third_of_the_places_to_the_closest_topical_ones() -> None:
    broad = [workflow(i, f"A ticket where case {i} applies.", 5) for i in range(1, 11)]
    topical = [workflow(20, "printer jams", 2), workflow(21, "scanner", 6), workflow(22, "backup", 7)]
    kept, _ = shortlist(
        [*broad, *topical],
        ticket_text="the printer jams",
        ticket_vector=ticket(2),
        embedder_name=EMBEDDER,
        size=6,
    )
    kept_ids = {row.id for row in kept}
    assert len(kept) == 6
    assert len(kept_ids & {row.id for row in broad}) == 4  # 6 places, a third (2) left to topical ones
    assert 20 in kept_ids  # the closest topical trigger


def test_the_keyword_leg_reads_the_whole_ticket() -> None:
    rows = [_titled(i, f"Filler {i}", f"generic words number{i}") for i in range(1, 9)]
    rows.append(_titled(9, "Quokka licences", "Quokka licence renewals."))
    opening = " ".join(f"preamble{i}" for i in range(60))  # a long forwarded chain before the request
    kept, _ = shortlist(
        rows,
        ticket_text=f"FW: see below\n{opening}\nplease renew our quokka licences",
        ticket_vector=ticket(0),
        embedder_name=EMBEDDER,
        size=1,
    )
    assert [row.id for row in kept] == [9]


def test_email_headers_and_legal_footers_do_not_pull_workflows() -> None:
    words = request_words(
        "Subject: Zephyr\n> From: Zephyr Holdings\nthe scanner is broken\n"
        "This email is confidential to Quokka Ltd and its intended recipient."
    )
    assert {"scanner", "broken"} <= words and not words & {"zephyr", "quokka", "holdings", "ltd"}
    rows = [
        _titled(1, "Zephyr builds", "Zephyr and Quokka deployments."),
        _titled(2, "Scanner fault", "The scanner is broken."),
        _titled(3, "Other", "Something else entirely."),
    ]
    kept, cut = shortlist(
        rows,
        ticket_text="Subject: Zephyr\nFrom: Zephyr\nthe scanner is broken\nConfidential: Quokka only.",
        ticket_vector=ticket(0),
        embedder_name=EMBEDDER,
        size=1,
    )
    assert [row.id for row in kept] == [2] and {row.id for row in cut} == {1, 3}


def test_the_best_keyword_match_is_kept_even_when_its_embedding_is_the_farthest() -> None:
    ticket_vector = ticket(0)
    rows = []
    for i in range(1, 30):
        vector = np.zeros(8, dtype=np.float32)
        vector[0], vector[1] = 1.0 - i / 40, i / 40  # closer to the ticket for smaller i
        row = Workflow(id=i, title=f"W{i}", trigger=f"unrelated{i}")
        row.trigger_vector = (vector / np.linalg.norm(vector)).tobytes()
        row.trigger_embedder = EMBEDDER
        rows.append(row)
    rows.append(_titled(30, "Voicemail PIN", "A user forgot their voicemail PIN."))
    rows[-1].trigger_vector = ticket(5).tobytes()  # orthogonal: the farthest of all
    kept, _ = shortlist(
        rows,
        ticket_text="I forgot my voicemail PIN",
        ticket_vector=ticket_vector,
        embedder_name=EMBEDDER,
        size=3,
    )
    assert {row.id for row in kept} == {30, 1, 2}
