"""The retrieval benchmarks' data: the generated corpus, the labelled set and the exact-search reference."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from evals.retrieval.corpus import (
    CLIENT_COUNT,
    client_weights,
    generate,
    integration_for,
    short_text,
    tickets,
)
from evals.retrieval.labelled import (
    CASES,
    GENERATED_DISTRACTORS,
    LABELLED_CLIENTS,
    corpus_documents,
    labelled_queries,
    past_tickets,
    reciprocal_rank,
)
from evals.retrieval.labelled_cases import CASES as PARAPHRASED_CASES
from evals.retrieval.labelled_cases import OVERLAPPING_GENERATOR_CAUSES
from evals.retrieval.labelled_cases_identifiers import IDENTIFIER_CASES, IDENTIFIERS
from evals.retrieval.phrasebook import CATEGORIES
from evals.retrieval.vectors import ExactSearch, random_projection
from retrieval.documents import TicketDocument


def test_same_seed_same_tickets_and_another_seed_other_tickets() -> None:
    assert tickets(300, seed=7) == tickets(300, seed=7)
    assert generate(50, seed=7) == generate(50, seed=7)
    assert [t.body for t in tickets(50, seed=8)] != [t.body for t in tickets(50, seed=7)]


def test_corpus_covers_every_category_with_skewed_clients_and_unique_ids() -> None:
    generated = tickets(4000)
    assert len(CATEGORIES) == 25
    assert {t.category for t in generated} == {c.key for c in CATEGORIES}
    per_client = Counter(t.client_id for t in generated)
    assert set(per_client) <= set(range(1, CLIENT_COUNT + 1))
    assert per_client.most_common(1)[0][0] == 1  # client 1 is the largest
    assert per_client[1] > 10 * per_client[CLIENT_COUNT]
    assert abs(sum(client_weights()) - 1.0) < 1e-9
    assert len({t.ticket_external_id for t in generated}) == len(generated)
    assert all(t.integration_id == integration_for(t.client_id) for t in generated)
    assert all(t.contact_external_id.startswith(f"{t.client_id}-") for t in generated)
    # Varied wording: many distinct summaries and bodies, no template field left unfilled.
    assert len({t.summary for t in generated}) > 1000
    assert len({t.body for t in generated}) > 3500
    assert not any("{" in t.summary + t.body + t.resolution for t in generated)


def test_generate_gives_ticket_documents_and_short_texts_are_short() -> None:
    docs = generate(20, seed=3)
    assert all(isinstance(d, TicketDocument) for d in docs)
    assert all(d.resolution and d.closed_at is not None for d in docs)
    for doc in docs:
        short = short_text(doc)
        assert short.startswith(doc.summary)
        assert len(short) < len(doc.embedding_text())


def test_options_restrict_clients_and_drop_causes() -> None:
    generated = tickets(500, clients=[2, 3], exclude_causes={"vpn.certificate_expired"}, first_ticket_id=7)
    assert {t.client_id for t in generated} == {2, 3}
    assert "vpn.certificate_expired" not in {t.cause for t in generated}
    assert generated[0].ticket_external_id == "7"
    with pytest.raises(ValueError):
        tickets(1, clients=[41])


def test_labelled_set_is_consistent() -> None:
    records = past_tickets()
    by_id = {r.ticket_external_id: r for r in records}
    assert len(by_id) == len(records)
    assert 230 <= len(records) <= 290
    queries = labelled_queries()
    assert len(queries) == len(CASES) == 56
    assert CASES[:40] == PARAPHRASED_CASES and CASES[40:] == IDENTIFIER_CASES
    assert len({q.key for q in queries}) == len(queries)
    for query in queries:
        assert 1 <= len(query.relevant_ids) <= 3
        assert query.document.ticket_external_id not in by_id
        for ticket_id in query.relevant_ids:
            assert by_id[ticket_id].client_id == query.client_id
        for ticket_id in query.other_client_ids:
            assert by_id[ticket_id].client_id != query.client_id
    # Distractors: the labelled clients only, never a cause a case is about.
    generated = [r for r in records if r.category != "labelled"]
    assert len(generated) == GENERATED_DISTRACTORS
    assert {r.client_id for r in generated} <= set(LABELLED_CLIENTS)
    assert not {r.cause for r in generated} & OVERLAPPING_GENERATOR_CAUSES
    assert [d.ticket_external_id for d in corpus_documents()] == list(by_id)
    assert [q.key for q in labelled_queries(5)] == [c.key for c in CASES[:5]]


def test_identifier_cases_share_their_identifiers_with_relevant_tickets_only() -> None:
    assert Counter(case.client for case in IDENTIFIER_CASES) == dict.fromkeys(LABELLED_CLIENTS, 4)
    assert set(IDENTIFIERS) == {case.key for case in IDENTIFIER_CASES}
    for case in IDENTIFIER_CASES:
        identifiers = [i.lower() for i in IDENTIFIERS[case.key]]
        query = f"{case.summary} {case.body}".lower()
        assert 1 <= len(case.relevant) <= 2 and 1 <= len(case.confusers) <= 2, case.key
        assert all(i in query for i in identifiers), case.key
        for past in case.relevant:
            assert all(i in f"{past.summary} {past.body}".lower() for i in identifiers), case.key
        for past in case.confusers:
            text = f"{past.summary} {past.body} {past.resolution}".lower()
            assert past.client is None and not any(i in text for i in identifiers), case.key
        for twin in case.twins:
            assert twin.client not in (None, case.client), case.key
    # No other past ticket of the client, hand-written or generated, carries a case's identifiers.
    relevant = {q.key: q.relevant_ids for q in labelled_queries()}
    for record in past_tickets():
        text = f"{record.summary} {record.body} {record.resolution}".lower()
        for case in IDENTIFIER_CASES:
            if record.client_id == case.client and record.ticket_external_id not in relevant[case.key]:
                assert not any(i.lower() in text for i in IDENTIFIERS[case.key]), record.ticket_external_id


def test_reciprocal_rank_counts_only_the_top_k() -> None:
    relevant = frozenset({"b"})
    assert reciprocal_rank(["b", "a"], relevant) == 1.0
    assert reciprocal_rank(["a", "c", "b"], relevant) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a", "c", "d", "e", "f", "b"], relevant, k=5) == 0.0


def test_random_projection_is_deterministic_unit_and_lexical() -> None:
    texts = [
        "printer offline on the 2nd floor",
        "printer offline on the 3rd floor",
        "VPN certificate expired",
    ]
    first, again = random_projection(texts, seed=1), random_projection(texts, seed=1)
    assert first.dtype == np.float32 and first.shape == (3, 384)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    assert first[0] @ first[1] > 0.6 > first[0] @ first[2]


def test_exact_search_filters_by_client_and_accepts_ties() -> None:
    vectors = np.eye(4, dtype=np.float32)[[0, 0, 1, 0, 2]]  # rows 0, 1 and 3 are the same vector
    exact = ExactSearch(vectors, [1, 1, 1, 2, 1], ["a", "b", "c", "d", "e"])
    query = np.eye(4, dtype=np.float32)[0]
    top = exact.top(1, query, 1)
    assert top.positions.tolist() == [0] and top.kth_similarity == pytest.approx(1.0)
    assert exact.recall(1, query, ["b"], 1) == 1.0  # tied with the exact best
    assert exact.recall(1, query, ["d"], 1) == 0.0  # the same vector, but client 2's
    assert exact.recall(1, query, ["a", "c"], 2) == 0.5  # the exact top 2 is a and b; c is orthogonal
    assert exact.recall(3, query, [], 5) == 1.0  # a client without tickets has nothing to miss
