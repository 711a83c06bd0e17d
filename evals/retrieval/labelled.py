"""A small labelled set for similar-ticket relevance: 56 new tickets, each with the past tickets that truly
share its cause: 40 paraphrased cases (``labelled_cases``) and 16 that share an exact identifier, such as an
error code, event ID or model, with their relevant tickets (``labelled_cases_identifiers``).

The corpus is fixed: the hand-written past tickets of both case modules (relevant ones, confusers with the
same symptom or words but another cause, and twins at another client) plus ``GENERATED_DISTRACTORS``
generated tickets of the same four clients, from which the generator causes that duplicate a case's cause
are left out. Relevance is per case: only the case's ``relevant`` tickets count, so a confuser ranked first
costs the method its reciprocal rank.

    corpus = corpus_documents()           # list[TicketDocument], ~250
    for query in labelled_queries():      # LabelledQuery: key, client_id, document, relevant_ids
        ...
    reciprocal_rank(ranked_ids, query.relevant_ids, k=5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from evals.retrieval.corpus import CLOSED_BEFORE, GeneratedTicket, integration_for, tickets, to_document
from evals.retrieval.labelled_cases import CASES as PARAPHRASED_CASES
from evals.retrieval.labelled_cases import OVERLAPPING_GENERATOR_CAUSES, Case, Past
from evals.retrieval.labelled_cases_identifiers import IDENTIFIER_CASES

if TYPE_CHECKING:
    from retrieval.documents import TicketDocument

LABELLED_CLIENTS = (1, 2, 3, 4)
GENERATED_DISTRACTORS = 110
DISTRACTOR_SEED = 1207
FIRST_DISTRACTOR_ID = 900_000
QUERY_PREFIX = "Q-"
PAST_PREFIX = "L-"
# Paraphrased first, so a ``limit`` keeps selecting the same first queries as before.
CASES: tuple[Case, ...] = PARAPHRASED_CASES + IDENTIFIER_CASES


@dataclass(frozen=True)
class LabelledQuery:
    key: str
    client_id: int
    cause: str
    document: TicketDocument  # the new ticket (no resolution yet); its id is never in the corpus
    relevant_ids: frozenset[str]  # ticket_external_id of the past tickets with the same cause
    other_client_ids: frozenset[str]  # twins: same cause, another client; must never come back


def cases() -> tuple[Case, ...]:
    return CASES


def past_tickets() -> list[GeneratedTicket]:
    """The corpus as plain records: hand-written first (ids ``L-<case>-r1``, ``-c1``, ``-x1``), then the
    generated distractors (numeric ids from 900000)."""
    out: list[GeneratedTicket] = []
    for case in CASES:
        for role, group in (("r", case.relevant), ("c", case.confusers), ("x", case.twins)):
            for i, past in enumerate(group, start=1):
                cause = f"not:{case.key}" if role == "c" else case.key
                out.append(_record(case, past, f"{PAST_PREFIX}{case.key}-{role}{i}", cause, len(out)))
    out += tickets(
        GENERATED_DISTRACTORS,
        seed=DISTRACTOR_SEED,
        clients=LABELLED_CLIENTS,
        exclude_causes=OVERLAPPING_GENERATOR_CAUSES,
        first_ticket_id=FIRST_DISTRACTOR_ID,
    )
    return out


def corpus_documents() -> list[TicketDocument]:
    from retrieval.documents import TicketDocument

    return [to_document(t, TicketDocument) for t in past_tickets()]


def labelled_queries(limit: int | None = None) -> list[LabelledQuery]:
    """The queries in case order; ``limit`` keeps the first ones (e.g. for a smoke run)."""
    from retrieval.documents import TicketDocument

    selected = CASES if limit is None else CASES[:limit]
    queries = []
    for case in selected:
        document = TicketDocument(
            client_id=case.client,
            integration_id=integration_for(case.client),
            ticket_external_id=f"{QUERY_PREFIX}{case.key}",
            number=f"{QUERY_PREFIX}{case.key}",
            summary=case.summary,
            body=case.body,
        )
        queries.append(
            LabelledQuery(
                key=case.key,
                client_id=case.client,
                cause=case.cause,
                document=document,
                relevant_ids=frozenset(
                    f"{PAST_PREFIX}{case.key}-r{i}" for i in range(1, len(case.relevant) + 1)
                ),
                other_client_ids=frozenset(
                    f"{PAST_PREFIX}{case.key}-x{i}" for i in range(1, len(case.twins) + 1)
                ),
            )
        )
    return queries


def reciprocal_rank(ranked_ids: Sequence[str], relevant: frozenset[str], *, k: int = 5) -> float:
    """1/rank of the first relevant id within the top ``k``; 0 when none is there."""
    for rank, ticket_id in enumerate(ranked_ids[:k], start=1):
        if ticket_id in relevant:
            return 1.0 / rank
    return 0.0


def _record(case: Case, past: Past, ticket_id: str, cause: str, index: int) -> GeneratedTicket:
    client = past.client if past.client is not None else case.client
    return GeneratedTicket(
        client_id=client,
        integration_id=integration_for(client),
        ticket_external_id=ticket_id,
        number=ticket_id,
        summary=past.summary,
        body=past.body,
        resolution=past.resolution,
        contact_external_id=f"{client}-1",
        closed_at=CLOSED_BEFORE - timedelta(days=3 * index + 1),
        category="labelled",
        cause=cause,
    )
