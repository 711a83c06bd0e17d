"""The keyword leg weighs rare words: an identifier shared with one past ticket beats everyday words shared
with many, on both stores, including dotted codes that Postgres keeps as one token."""

from __future__ import annotations

import pytest

from retrieval.documents import SearchMode
from retrieval.pg_index import idf, tsquery_literal, usable_lexeme
from tests.db.test_retrieval_store import DIM, EMBEDDER, Tenants, tenants, unit

__all__ = ["tenants"]  # the fixture, shared with the store's main tests

FILLER = [
    "Outlook sending mail slowly for the office",
    "Mail stuck in the outbox when sending from Outlook",
    "Sending mail to the printer fails",
    "New mail sending rule for the finance mailbox",
    "Mail sending delayed across the office this morning",
]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("Emails bounce back with 5.7.520 when sending mail to outside addresses", "bounce"),
        ("Sending mail from HD-NAS01 for the office is slow", "nas"),
    ],
)
async def test_a_shared_identifier_outranks_everyday_words(tenants: Tenants, query: str, wanted: str) -> None:
    await tenants.index.reset(embedder=EMBEDDER, dimension=DIM)
    await tenants.put(
        *[(tenants.doc(f"f{i}", text, body=text), unit(1, 0.1 * i)) for i, text in enumerate(FILLER)],
        (tenants.doc("bounce", "External delivery refused", body="NDR 5.7.520 access denied"), unit(0, 1)),
        (tenants.doc("nas", "Scanner cannot save", body="Share \\\\HD-NAS01\\scans offline"), unit(0, 0, 1)),
    )
    hits = await tenants.index.search(
        client_id=tenants.acme, query_text=query, query_vector=unit(1), mode=SearchMode.KEYWORD
    )
    assert hits and hits[0].document.ticket_external_id == wanted


def test_lexemes_are_quoted_and_weighted() -> None:
    assert tsquery_literal("o'brien") == "'o''brien'"
    assert tsquery_literal("5.7.520") == "'5.7.520'"
    assert not usable_lexeme("a") and not usable_lexeme("the") and usable_lexeme("hd-nas01")
    assert idf(0.001) > idf(0.1) > idf(0.6) >= 0.0
