"""Shortlist rules: small libraries pass whole, unembedded workflows are never cut, closest triggers win."""

from __future__ import annotations

import numpy as np

from workflows.shortlist import shortlist
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
