"""The similar-ticket index on SQLite and on Postgres: per-client search, hybrid ranking, upkeep, resets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from alembic import command
from sqlalchemy import create_engine, delete, inspect, text

from core.database import Database
from core.errors import ValidationFailed
from core.migrations.runner import alembic_config, sync_url, upgrade
from core.tables import Client, Integration
from retrieval import pg_index, sqlite_index
from retrieval.documents import SearchHit, SearchMode, TicketDocument
from retrieval.store import TicketIndex, build_index, query_tokens, rarest_terms, rrf_fuse

DIM = 8
EMBEDDER = "test/hash-8"
ALL_MODES = list(SearchMode)
HOSTILE_QUERIES = ['"', '"unbalanced quote', "NEAR(printer toner, 2)", "printer*", "-printer", "(printer OR"]
HOSTILE_QUERIES += ["printer AND NOT fax", "summary:printer", "^printer {body resolution}: 'x' + - * ( ) \""]
HOSTILE_QUERIES += ["", "   ", "the a of"]


def unit(*weights: float) -> npt.NDArray[np.float32]:
    """An 8-dim unit vector from the leading weights (e.g. unit(0, 1) is the second axis)."""
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


@dataclass
class Tenants:
    db: Database
    index: TicketIndex
    integration: int
    acme: int
    globex: int

    def doc(
        self, ticket: str, summary: str, *, client: int | None = None, **fields: object
    ) -> TicketDocument:
        return TicketDocument(
            client_id=client or self.acme,
            integration_id=self.integration,
            ticket_external_id=ticket,
            number=f"T{ticket}",
            summary=summary,
            **fields,
        )

    async def put(self, *pairs: tuple[TicketDocument, npt.NDArray[np.float32]]) -> int:
        return await self.index.upsert([doc for doc, _ in pairs], np.stack([vector for _, vector in pairs]))


@pytest.fixture
async def tenants(database_url: str | None, tmp_path: Path) -> AsyncIterator[Tenants]:
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'retrieval.sqlite'}"
    upgrade(url)
    db = Database(url)
    async with db.session() as session:
        integration = Integration(kind="connectwise", name="CW", config_encrypted="x")
        acme, globex = Client(name="Acme"), Client(name="Globex")
        session.add_all([integration, acme, globex])
        await session.flush()
        ids = integration.id, acme.id, globex.id
    try:
        yield Tenants(db, build_index(db), *ids)
    finally:
        await db.dispose()


@pytest.fixture
async def ready(tenants: Tenants) -> Tenants:
    await tenants.index.reset(embedder=EMBEDDER, dimension=DIM)
    return tenants


def numbers(hits: Sequence[SearchHit]) -> list[str]:
    return [hit.document.number for hit in hits]


async def test_search_returns_the_nearest_ticket_with_its_fields(ready: Tenants) -> None:
    closed = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    written = await ready.put(
        (ready.doc("1", "Printer jams on tray 2"), unit(1)),
        (
            ready.doc(
                "2",
                "VPN drops every hour",
                body="FortiClient disconnects",
                resolution="Raised the DPD timeout",
                contact_external_id="c-9",
                closed_at=closed,
            ),
            unit(0, 1),
        ),
        (ready.doc("3", "New laptop for Sam"), unit(0, 0, 1)),
    )
    assert written == 3

    hits = await ready.index.search(
        client_id=ready.acme, query_text="", query_vector=unit(0.1, 1), mode=SearchMode.VECTOR
    )

    assert numbers(hits) == ["T2", "T1", "T3"]
    best = hits[0]
    assert best.similarity == pytest.approx(float(unit(0.1, 1) @ unit(0, 1)), abs=1e-5)
    assert best.score == best.similarity and best.keyword_rank is None
    assert best.document == ready.doc(
        "2",
        "VPN drops every hour",
        body="FortiClient disconnects",
        resolution="Raised the DPD timeout",
        contact_external_id="c-9",
        closed_at=closed,
    )
    assert hits[0].similarity > hits[1].similarity > hits[2].similarity  # type: ignore[operator]
    top = await ready.index.search(client_id=ready.acme, query_text="vpn", query_vector=unit(0, 1), limit=1)
    assert numbers(top) == ["T2"]


@pytest.mark.parametrize("mode", ALL_MODES)
async def test_search_never_returns_another_clients_ticket(ready: Tenants, mode: SearchMode) -> None:
    # Globex holds the exact match in both legs; Acme only a weak one.
    await ready.put(
        (ready.doc("g1", "Outlook error 0x800CCC0E on send", client=ready.globex), unit(1)),
        (ready.doc("a1", "Keyboard missing keys"), unit(0, 1)),
    )

    hits = await ready.index.search(
        client_id=ready.acme, query_text="Outlook error 0x800CCC0E", query_vector=unit(1), mode=mode
    )
    theirs = await ready.index.search(
        client_id=ready.globex, query_text="Outlook error 0x800CCC0E", query_vector=unit(1), mode=mode
    )

    assert "Tg1" not in numbers(hits)
    assert all(hit.document.client_id == ready.acme for hit in hits)
    assert numbers(hits) == ([] if mode is SearchMode.KEYWORD else ["Ta1"])
    assert numbers(theirs) == ["Tg1"]


async def test_hybrid_ranks_the_ticket_with_the_decisive_error_code_first(ready: Tenants) -> None:
    await ready.put(
        (ready.doc("1", "Mail cannot be sent", body="Send/receive fails for the whole office"), unit(1)),
        (
            ready.doc("2", "Outlook error 0x800CCC0E", body="SMTP server rejected the connection"),
            unit(1, 0.6),
        ),
        (ready.doc("3", "Teams will not start"), unit(0, 0, 1)),
    )
    query = "Outlook shows error 0x800CCC0E"

    vector_only = await ready.index.search(
        client_id=ready.acme, query_text=query, query_vector=unit(1), mode=SearchMode.VECTOR
    )
    hybrid = await ready.index.search(client_id=ready.acme, query_text=query, query_vector=unit(1))

    assert numbers(vector_only)[:2] == ["T1", "T2"]
    assert numbers(hybrid)[:2] == ["T2", "T1"]
    assert hybrid[1].keyword_rank is None and hybrid[1].score == pytest.approx(1 / 61)
    best = hybrid[0]
    assert best.keyword_rank == 1 and best.similarity == pytest.approx(
        float(unit(1) @ unit(1, 0.6)), abs=1e-5
    )
    assert best.score == pytest.approx(1 / 62 + 1 / 61)
    assert numbers(hybrid)[2] == "T3" and hybrid[2].keyword_rank is None


@pytest.mark.parametrize("mode", ALL_MODES)
async def test_exclude_ticket_and_contact_filter(ready: Tenants, mode: SearchMode) -> None:
    await ready.put(
        (ready.doc("1", "Password reset for Ann", contact_external_id="ann"), unit(1)),
        (ready.doc("2", "Password reset for Bob", contact_external_id="bob"), unit(1, 0.1)),
        (ready.doc("3", "Password reset again for Ann", contact_external_id="ann"), unit(1, 0.2)),
    )

    async def search(exclude: str | None = None, contact: str | None = None) -> list[str]:
        hits = await ready.index.search(
            client_id=ready.acme,
            query_text="password reset",
            query_vector=unit(1),
            mode=mode,
            exclude_ticket_id=exclude,
            contact_external_id=contact,
        )
        return sorted(numbers(hits))

    assert await search() == ["T1", "T2", "T3"]
    assert await search(exclude="1") == ["T2", "T3"]
    assert await search(contact="ann") == ["T1", "T3"]
    assert await search(contact="ann", exclude="3") == ["T1"]
    assert await search(contact="nobody") == []


async def test_upsert_replaces_by_integration_and_ticket(ready: Tenants) -> None:
    first = ready.doc("7", "Scanner offline", body="zebra label printer")
    await ready.put((first, unit(1)))
    assert await ready.index.known_hashes(integration_id=ready.integration, ticket_ids=["7", "8"]) == {
        "7": first.content_hash()
    }

    second = ready.doc("7", "Scanner back online", body="replaced the network cable", resolution="new cable")
    # The same ticket twice in one batch: the last version wins.
    written = await ready.index.upsert([first, second], np.stack([unit(1), unit(0, 1)]))

    assert written == 1
    assert await ready.index.count(client_id=ready.acme) == 1
    hashes = await ready.index.known_hashes(integration_id=ready.integration, ticket_ids=["7"])
    assert hashes == {"7": second.content_hash()} and second.content_hash() != first.content_hash()
    assert await ready.index.known_hashes(integration_id=ready.integration + 1, ticket_ids=["7"]) == {}
    hits = await ready.index.search(
        client_id=ready.acme, query_text="", query_vector=unit(0, 1), mode=SearchMode.VECTOR
    )
    assert [(hit.document, round(hit.similarity or 0, 4)) for hit in hits] == [(second, 1.0)]
    # The keyword index follows the replacement: old words are gone, new ones are found.
    for word, expected in (("zebra", []), ("cable", ["T7"])):
        found = await ready.index.search(
            client_id=ready.acme, query_text=word, query_vector=unit(1), mode=SearchMode.KEYWORD
        )
        assert numbers(found) == expected


async def test_a_ticket_moved_to_another_client_leaves_the_first(ready: Tenants) -> None:
    await ready.put((ready.doc("5", "Firewall rule request"), unit(1)))
    assert numbers(await ready.index.search(client_id=ready.acme, query_text="", query_vector=unit(1))) == [
        "T5"
    ]

    await ready.put((ready.doc("5", "Firewall rule request", client=ready.globex), unit(1)))

    for mode in ALL_MODES:
        mine = await ready.index.search(
            client_id=ready.acme, query_text="firewall", query_vector=unit(1), mode=mode
        )
        theirs = await ready.index.search(
            client_id=ready.globex, query_text="firewall", query_vector=unit(1), mode=mode
        )
        assert (numbers(mine), numbers(theirs)) == ([], ["T5"])


async def test_delete_removes_the_ticket_from_every_mode(ready: Tenants) -> None:
    await ready.put(
        (ready.doc("1", "Mailbox full"), unit(1)),
        (ready.doc("2", "Mailbox archive policy"), unit(1, 1)),
    )

    await ready.index.delete(integration_id=ready.integration, ticket_external_id="1")
    await ready.index.delete(integration_id=ready.integration, ticket_external_id="does-not-exist")

    assert await ready.index.count() == 1
    for mode in ALL_MODES:
        hits = await ready.index.search(
            client_id=ready.acme, query_text="mailbox", query_vector=unit(1), mode=mode
        )
        assert numbers(hits) == ["T2"]
    assert await ready.index.known_hashes(integration_id=ready.integration, ticket_ids=["1", "2"]) == {
        "2": ready.doc("2", "Mailbox archive policy").content_hash()
    }


async def test_reset_to_another_dimension_empties_the_index(ready: Tenants) -> None:
    await ready.put((ready.doc("1", "Disk almost full"), unit(1)))
    assert await ready.index.index_state() is not None

    await ready.index.reset(embedder="test/other-4", dimension=4)

    state = await ready.index.index_state()
    assert state is not None and (state.embedder, state.dimension) == ("test/other-4", 4)
    assert await ready.index.count() == 0
    assert await ready.index.known_hashes(integration_id=ready.integration, ticket_ids=["1"]) == {}
    with pytest.raises(ValidationFailed, match="8 dimensions"):
        await ready.put((ready.doc("2", "Old model vector"), unit(1)))
    with pytest.raises(ValidationFailed):
        await ready.index.search(client_id=ready.acme, query_text="disk", query_vector=unit(1))
    four = np.array([0, 0, 1, 0], dtype=np.float32)
    assert await ready.index.upsert([ready.doc("3", "Disk full again")], four[None, :]) == 1
    hits = await ready.index.search(client_id=ready.acme, query_text="disk", query_vector=four)
    assert numbers(hits) == ["T3"] and hits[0].keyword_rank == 1
    assert await ready.index.count() == 1
    # The full-text index still follows deletes after the reset emptied it.
    await ready.index.delete(integration_id=ready.integration, ticket_external_id="3")
    await ready.index.upsert([ready.doc("4", "Printer offline")], four[None, :])
    for word, expected in (("disk", []), ("printer", ["T4"])):
        keyword = await ready.index.search(
            client_id=ready.acme, query_text=word, query_vector=four, mode=SearchMode.KEYWORD
        )
        assert numbers(keyword) == expected
    if ready.db.is_postgres:
        async with ready.db.session() as session:
            column_type = await session.scalar(
                text(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'ticket_documents'::regclass AND attname = 'embedding'"
                )
            )
            index_sql = await session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": pg_index.HNSW_INDEX}
            )
            covering_sql = await session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": pg_index.COVERING_INDEX},
            )
        assert column_type == "vector(4)"
        assert "hnsw" in index_sql and "vector_cosine_ops" in index_sql
        assert "INCLUDE" in covering_sql and "embedding" in covering_sql


async def test_before_any_reset_search_is_empty_and_writes_are_refused(tenants: Tenants) -> None:
    assert await tenants.index.index_state() is None
    assert (
        await tenants.index.search(client_id=tenants.acme, query_text="printer", query_vector=unit(1)) == []
    )
    with pytest.raises(ValidationFailed, match="reset"):
        await tenants.put((tenants.doc("1", "Printer"), unit(1)))
    assert await tenants.index.count() == 0


async def test_bad_vectors_are_refused_before_anything_is_written(ready: Tenants) -> None:
    docs = [ready.doc("1", "One"), ready.doc("2", "Two")]
    with pytest.raises(ValidationFailed, match="2 vectors"):
        await ready.index.upsert(docs, unit(1)[None, :])
    with pytest.raises(ValidationFailed, match="finite"):
        await ready.index.upsert(docs, np.full((2, DIM), np.nan, dtype=np.float32))
    with pytest.raises(ValidationFailed):
        await ready.index.reset(embedder="x", dimension=0)
    with pytest.raises(ValidationFailed):
        await ready.index.search(client_id=ready.acme, query_text="", query_vector=np.zeros(DIM))
    assert await ready.index.upsert([], np.zeros((0, DIM), dtype=np.float32)) == 0
    assert await ready.index.count() == 0


async def test_full_text_syntax_in_the_query_is_only_words(ready: Tenants) -> None:
    await ready.put(
        (
            ready.doc("1", 'Printer "HP 404" (NEAR the door) - toner* AND drum', body="OR NOT: ^x {y}"),
            unit(1),
        ),
        (ready.doc("2", "Scanner to email"), unit(0, 1)),
    )

    for query in HOSTILE_QUERIES:
        for mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
            hits = await ready.index.search(
                client_id=ready.acme, query_text=query, query_vector=unit(1), mode=mode
            )
            # A hostile query that names the printer finds it by keyword; the others simply match nothing.
            by_keyword = [hit.document.number for hit in hits if hit.keyword_rank is not None]
            assert by_keyword == (["T1"] if "printer" in query.lower() else []), (query, mode)


async def test_common_words_make_way_for_rare_ones(ready: Tenants, monkeypatch: pytest.MonkeyPatch) -> None:
    # The keyword leg ranks few documents: a word in every ticket is dropped in favour of the rare code.
    monkeypatch.setattr(sqlite_index, "KEYWORD_MATCH_BUDGET", 5)
    monkeypatch.setattr(pg_index, "KEYWORD_BUDGET", 5)
    common = [(ready.doc(str(i), f"Printer queue stuck on floor {i}"), unit(1)) for i in range(20)]
    await ready.put(*common, (ready.doc("code", "Printer shows 0x1234ABCD"), unit(0, 1)))
    if ready.db.is_postgres:
        async with ready.db.session() as session:
            await session.execute(text("ANALYZE ticket_documents"))  # the lexeme counts come from ANALYZE

    hits = await ready.index.search(
        client_id=ready.acme,
        query_text="printer 0x1234ABCD",
        query_vector=unit(1),
        mode=SearchMode.KEYWORD,
        limit=50,
    )

    assert numbers(hits) == ["Tcode"]


async def test_count_per_client(ready: Tenants) -> None:
    await ready.put(
        (ready.doc("1", "A"), unit(1)),
        (ready.doc("2", "B"), unit(0, 1)),
        (ready.doc("3", "C", client=ready.globex), unit(1)),
    )

    assert await ready.index.count() == 3
    assert await ready.index.count(client_id=ready.acme) == 2
    assert await ready.index.count(client_id=ready.globex) == 1
    assert await ready.index.count(client_id=ready.globex + 100) == 0


async def test_a_write_through_another_index_instance_is_seen(ready: Tenants) -> None:
    # A second process (a CLI backfill next to `deskhand serve`) has its own index object and cache.
    await ready.put((ready.doc("1", "Wifi slow"), unit(1)))
    assert numbers(
        await ready.index.search(client_id=ready.acme, query_text="", query_vector=unit(0, 1))
    ) == ["T1"]
    other_db = Database(ready.db.url)
    try:
        other = build_index(other_db)
        await other.upsert([ready.doc("2", "Wifi drops")], unit(0, 1)[None, :])
        await other.upsert([ready.doc("3", "Globex wifi", client=ready.globex)], unit(0, 1)[None, :])
    finally:
        await other_db.dispose()

    hits = await ready.index.search(
        client_id=ready.acme, query_text="", query_vector=unit(0, 1), mode=SearchMode.VECTOR
    )
    assert numbers(hits) == ["T2", "T1"]


async def test_deleting_a_client_removes_its_tickets_and_their_words(ready: Tenants) -> None:
    await ready.put(
        (ready.doc("1", "Quarantined invoice email", client=ready.globex), unit(1)),
        (ready.doc("2", "Plotter offline"), unit(0, 1)),
    )
    async with ready.db.session() as session:
        await session.execute(delete(Client).where(Client.id == ready.globex))

    assert await ready.index.count() == 1
    # A new ticket may reuse the deleted row's id: it must not inherit the deleted ticket's words.
    await ready.put((ready.doc("3", "Monitor flickers"), unit(0, 0, 1)))
    hits = await ready.index.search(
        client_id=ready.acme, query_text="quarantined invoice", query_vector=unit(1), mode=SearchMode.KEYWORD
    )
    assert hits == []


async def test_vector_ranking_matches_brute_force_on_many_tickets(
    ready: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Postgres walks the HNSW graph once a client is bigger than EXACT_SCAN_ROWS; make that happen here.
    monkeypatch.setattr(pg_index, "EXACT_SCAN_ROWS", 10)
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = [ready.acme if i % 3 else ready.globex for i in range(300)]
    docs = [ready.doc(str(i), f"Ticket {i}", client=owner) for i, owner in enumerate(owners)]
    assert await ready.index.upsert(docs, vectors) == 300
    acme_rows = [i for i, owner in enumerate(owners) if owner == ready.acme]

    for query in rng.normal(size=(5, DIM)).astype(np.float32):
        hits = await ready.index.search(
            client_id=ready.acme, query_text="", query_vector=query, mode=SearchMode.VECTOR, limit=5
        )
        similarities = vectors[acme_rows] @ (query / np.linalg.norm(query))
        expected = [f"T{acme_rows[i]}" for i in np.argsort(-similarities)[:5]]
        assert numbers(hits) == expected


def test_the_migration_downgrades_and_upgrades_again(database_url: str | None, tmp_path: Path) -> None:
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'downgrade.sqlite'}"

    def retrieval_tables() -> set[str]:
        engine = create_engine(sync_url(url))
        try:
            with engine.connect() as connection:
                names = set(inspect(connection).get_table_names())
        finally:
            engine.dispose()
        return {name for name in names if name.startswith(("ticket_documents", "retrieval_"))}

    upgrade(url)
    created = retrieval_tables()
    command.downgrade(alembic_config(url), "0002")
    assert retrieval_tables() == set()
    upgrade(url)
    assert retrieval_tables() == created
    assert {"ticket_documents", "retrieval_index_state"} <= created
    assert ("ticket_documents_fts" in created) == (database_url is None)


def test_query_tokens_keep_words_only() -> None:
    tokens = query_tokens('NEAR("0x800CCC0E" -denied*) AND the printer, printer_2')
    assert tokens == ["near", "0x800ccc0e", "denied", "printer"]
    many = " ".join(f"word{i}" for i in range(40))
    assert len(query_tokens(many)) == 32 and len(query_tokens(many, limit=None)) == 40


def test_rarest_terms_fit_the_budget_and_keep_query_order() -> None:
    counts = {"printer": 900.0, "queue": 400.0, "0x1234abcd": 1.0, "hp": 50.0}
    terms = ["printer", "hp", "queue", "0x1234abcd"]
    assert rarest_terms(terms, counts, budget=100) == ["hp", "0x1234abcd"]
    assert rarest_terms(terms, counts, budget=0.5) == ["0x1234abcd"]  # always at least the rarest
    assert rarest_terms(terms, {}, budget=0) == terms  # no counts known: nothing to drop


def test_rrf_fuse_sums_reciprocal_ranks() -> None:
    fused = rrf_fuse([10, 20, 30], [30, 40])
    assert [item for item, _ in fused] == [30, 10, 20, 40]
    assert dict(fused)[30] == pytest.approx(1 / 63 + 1 / 61)
