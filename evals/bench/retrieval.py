"""Similar-ticket index: search latency and recall at 100k tickets, index build time, and relevance.

    python -m evals.bench.retrieval                                # everything (see below for time)
    python -m evals.bench.retrieval --backend postgres --scale     # Postgres at --docs tickets
    python -m evals.bench.retrieval --backend sqlite --scale       # SQLite at each of --sqlite-docs
    python -m evals.bench.retrieval --relevance                    # MRR@5 on the labelled set (~10 s)
    python -m evals.bench.retrieval --vectors random-projection    # scale runs without the embedder
    python -m evals.bench.retrieval --vector-cache /tmp/vectors    # embed the 100k corpus once only

Starts no Deskhand server. Postgres is pgserver's (16 + pgvector) in a fresh temp dir, SQLite a temp file;
both are migrated with the project's Alembic migrations and written and searched only through
``retrieval.store.build_index(db)``, as Deskhand does.

**Scale** (``--scale``): ``--docs`` generated closed tickets (``evals.retrieval.corpus``: 40 clients of
skewed sizes, the largest ~20%) are upserted in batches of ``--batch``; then ``--queries`` new tickets of
the same clients search top 5 with ``mode=vector`` and ``mode=hybrid``, one at a time, after one warm-up
search per client. Latency is the wall time of ``index.search``. Recall@5 compares the vector mode's hits
with a numpy brute-force scan over the same vectors and the same client filter (a hit tied with the exact
5th counts). Every hit must belong to the query's client. Vectors (``--vectors``): ``minilm-short`` embeds
each ticket's summary and first body sentence with the local embedder (all-MiniLM-L6-v2; this is most of
the run's time: minutes on an idle 2-core machine, half an hour when it is shared; full texts would take
about four times longer); ``random-projection`` is a seeded bag-of-words projection that takes seconds and
has no meaning beyond shared words (see ``evals/retrieval/vectors.py``).

**Build time**: the embedding of the corpus (measured in full with ``minilm-short``; full ticket texts are
timed on ``--embed-sample`` tickets and extrapolated) and the upserts (which include the HNSW inserts).

**Relevance** (``--relevance``): the labelled set (``evals.retrieval.labelled``: 40 new tickets, ~200 past
tickets of 4 clients, hand-labelled by shared cause) indexed with the real local embedder on full texts;
MRR@5 of vector, keyword and hybrid search side by side.

Targets (exit status 1 if one is missed): Postgres p95 <= 20 ms in both modes, recall@5 >= 0.95 (over all
queries and over those on clients large enough for the HNSW path), and no hit from another client.
SQLite latency is reported against the same 20 ms as a reference, not a target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import text

from core.database import Database
from evals.bench.stack import ms, percentile, progress, table, verdict
from evals.retrieval.corpus import CLIENT_COUNT, generate, short_texts
from evals.retrieval.databases import (
    BACKENDS,
    POSTGRES,
    PostgresServer,
    add_clients,
    migrate,
    scratch,
    sqlite_url,
)
from evals.retrieval.relevance import RelevanceFigures, embed_labelled_set, measure_relevance
from evals.retrieval.vectors import ExactSearch, random_projection
from retrieval.documents import SearchMode, TicketDocument
from retrieval.local_minilm import MODEL_NAME, LocalMiniLMEmbedder
from retrieval.store import build_index

TARGET_P95_SECONDS = 0.020
TARGET_RECALL = 0.95
K = 5
MINILM_SHORT = "minilm-short"
RANDOM_PROJECTION = "random-projection"
QUERY_SEED_OFFSET = 1000
FIRST_QUERY_ID = 10_000_000
EMBED_CHUNK = 4096
PIECES_SAMPLE = 5000  # tickets whose word pieces are counted
SCALE_MODES = (SearchMode.VECTOR, SearchMode.HYBRID)
SERVER_SQL = (
    "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
    "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
)

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Corpus:
    docs: list[TicketDocument]
    vectors: Matrix
    queries: list[TicketDocument]
    query_vectors: Matrix
    vector_kind: str
    embed_seconds: float  # the whole corpus's vectors (short texts, or the projection)
    from_cache: bool  # embed_seconds was measured by the run that filled --vector-cache
    short_rate: float  # local embedder, short texts per second (sampled)
    long_rate: float  # local embedder, full embedding_text per second (sampled)
    sample_size: int
    pieces_ratio: float  # word pieces of the full texts / of the short texts

    def short_embed_seconds(self) -> float:
        """The local embedder on every short text: measured when it made the vectors, else from the sample."""
        if self.vector_kind == MINILM_SHORT:
            return self.embed_seconds
        return len(self.docs) / self.short_rate


@dataclass
class ScaleFigures:
    backend: str
    docs: int
    upsert_seconds: float
    latencies: dict[SearchMode, list[float]] = field(default_factory=dict)
    first_search: list[float] = field(default_factory=list)  # one per client, before the timed runs
    recalls: list[float] = field(default_factory=list)
    hnsw_recalls: list[float] = field(default_factory=list)  # Postgres: queries on clients above the scan cut
    hnsw_clients: int = 0
    leaks: int = 0
    server: str = ""
    load_average: float = 0.0  # 1-minute load average when the searches ended


# -- vectors ----------------------------------------------------------------------------------------------


async def embed_in_chunks(embedder: LocalMiniLMEmbedder, texts: Sequence[str], label: str) -> Matrix:
    parts = []
    for start in range(0, len(texts), EMBED_CHUNK):
        parts.append(await embedder.embed(texts[start : start + EMBED_CHUNK]))
        if len(texts) > EMBED_CHUNK:
            progress(f"{label}: {min(start + EMBED_CHUNK, len(texts))}/{len(texts)} embedded")
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)


async def build_corpus(args: argparse.Namespace, size: int, embedder: LocalMiniLMEmbedder) -> Corpus:
    progress(f"corpus: generating {size} tickets and {args.queries} query tickets (seed {args.seed})")
    docs = generate(size, seed=args.seed)
    queries = generate(args.queries, seed=args.seed + QUERY_SEED_OFFSET, first_ticket_id=FIRST_QUERY_ID)
    await embedder.embed(["warm-up"])  # loads the model: not part of any timing
    sample = docs[: min(args.embed_sample, len(docs))]
    short_sample, long_sample = short_texts(sample), [d.embedding_text() for d in sample]
    began = time.perf_counter()
    await embedder.embed(short_sample)
    short_rate = len(sample) / (time.perf_counter() - began)
    began = time.perf_counter()
    await embedder.embed(long_sample)
    long_rate = len(sample) / (time.perf_counter() - began)
    # The embedder's cost follows the word pieces it reads: their ratio scales a measured short-text time
    # to full texts, steadier than two small timed samples on a busy machine.
    counted = docs[: min(PIECES_SAMPLE, len(docs))]
    model = embedder.model()
    short_pieces = sum(len(ids) for ids in model.token_ids(short_texts(counted)))
    long_pieces = sum(len(ids) for ids in model.token_ids([d.embedding_text() for d in counted]))
    progress(
        f"embedder: {short_rate:.0f} short / {long_rate:.1f} full texts/s ({len(sample)} sampled); word "
        f"pieces per ticket: {short_pieces / len(counted):.0f} short, {long_pieces / len(counted):.0f} full"
    )

    cache = _cache_path(args, size)
    from_cache = cache is not None and cache.is_file()
    if cache is not None and from_cache:
        with np.load(cache) as saved:
            vectors, query_vectors = saved["vectors"], saved["query_vectors"]
            embed_seconds = float(saved["embed_seconds"])
        progress(f"vectors: read from {cache} (embedding them took {embed_seconds:.0f}s)")
    elif args.vectors == MINILM_SHORT:
        progress(
            f"vectors: embedding {size} short texts with {MODEL_NAME} (~{size / short_rate / 60:.1f} min)"
        )
        began = time.perf_counter()
        vectors = await embed_in_chunks(embedder, short_texts(docs), "vectors")
        embed_seconds = time.perf_counter() - began
        query_vectors = await embedder.embed(short_texts(queries))
    else:
        began = time.perf_counter()
        vectors = random_projection(short_texts(docs), seed=args.seed)
        embed_seconds = time.perf_counter() - began
        query_vectors = random_projection(short_texts(queries), seed=args.seed)
    if cache is not None and not from_cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, vectors=vectors, query_vectors=query_vectors, embed_seconds=embed_seconds)
    progress(f"vectors: {size} in {embed_seconds:.1f}s ({args.vectors})")
    return Corpus(
        docs=docs,
        vectors=vectors,
        queries=queries,
        query_vectors=query_vectors,
        vector_kind=args.vectors,
        embed_seconds=embed_seconds,
        from_cache=from_cache,
        short_rate=short_rate,
        long_rate=long_rate,
        sample_size=len(sample),
        pieces_ratio=long_pieces / max(short_pieces, 1),
    )


def _cache_path(args: argparse.Namespace, size: int) -> Path | None:
    """Where ``--vector-cache`` keeps this corpus's vectors: they depend on nothing but these settings."""
    if args.vector_cache is None:
        return None
    model = MODEL_NAME.replace("/", "_") if args.vectors == MINILM_SHORT else "projection"
    return Path(args.vector_cache) / f"{args.vectors}-{model}-{size}-q{args.queries}-seed{args.seed}.npz"


# -- scale ------------------------------------------------------------------------------------------------


async def open_database(backend: str, root: Path, pg: PostgresServer | None, name: str) -> Database:
    if backend == POSTGRES:
        assert pg is not None
        url = pg.create_database(name)
    else:
        url = sqlite_url(root, name)
    await asyncio.to_thread(migrate, url)
    return Database(url)


async def measure_scale(
    backend: str, db: Database, corpus: Corpus, size: int, args: argparse.Namespace
) -> ScaleFigures:
    docs, vectors = corpus.docs[:size], corpus.vectors[:size]
    await add_clients(db, range(1, CLIENT_COUNT + 1))
    index = build_index(db)
    embedder_name = MODEL_NAME if corpus.vector_kind == MINILM_SHORT else f"bench/{corpus.vector_kind}"
    await index.reset(embedder=embedder_name, dimension=int(vectors.shape[1]))
    progress(f"{backend} {size}: upserting in batches of {args.batch}")
    began = last = time.perf_counter()
    for start in range(0, size, args.batch):
        await index.upsert(docs[start : start + args.batch], vectors[start : start + args.batch])
        if time.perf_counter() - last > 15:
            last = time.perf_counter()
            done = min(start + args.batch, size)
            progress(f"{backend} {size}: {done} upserted ({done / (last - began):.0f}/s)")
    figures = ScaleFigures(backend, size, time.perf_counter() - began)
    if await index.count() != size:
        raise SystemExit(f"{backend}: the index holds {await index.count()} tickets, expected {size}")
    progress(f"{backend} {size}: upserted in {figures.upsert_seconds:.1f}s")
    exact_scan_rows: int | None = None
    if backend == POSTGRES:
        from retrieval.pg_index import EXACT_SCAN_ROWS

        exact_scan_rows = EXACT_SCAN_ROWS
        async with db.session() as session:
            await session.execute(text("ANALYZE ticket_documents"))
            row = (await session.execute(text(SERVER_SQL))).one()
            figures.server = f"Postgres {row[0]}, pgvector {row[2]}, shared_buffers {row[1]}"

    exact = ExactSearch(vectors, [d.client_id for d in docs], [d.ticket_external_id for d in docs])
    queries = corpus.queries

    async def search(query: TicketDocument, vector: Matrix, mode: SearchMode) -> tuple[float, list[str]]:
        began = time.perf_counter()
        hits = await index.search(
            client_id=query.client_id,
            query_text=query.embedding_text(),
            query_vector=vector,
            limit=K,
            mode=mode,
        )
        elapsed = time.perf_counter() - began
        figures.leaks += sum(1 for hit in hits if hit.document.client_id != query.client_id)
        return elapsed, [hit.document.ticket_external_id for hit in hits]

    seen: set[int] = set()
    for query, vector in zip(queries, corpus.query_vectors, strict=True):
        if query.client_id not in seen:  # warm-up: SQLite loads the client's matrix here
            seen.add(query.client_id)
            figures.first_search.append((await search(query, vector, SearchMode.HYBRID))[0])
    for mode in SCALE_MODES:
        progress(f"{backend} {size}: {len(queries)} searches, mode={mode.value}")
        times = []
        for query, vector in zip(queries, corpus.query_vectors, strict=True):
            elapsed, found = await search(query, vector, mode)
            times.append(elapsed)
            if mode is SearchMode.VECTOR:
                recall = exact.recall(query.client_id, vector, found, K)
                figures.recalls.append(recall)
                if exact_scan_rows is not None and exact.client_size(query.client_id) > exact_scan_rows:
                    figures.hnsw_recalls.append(recall)
        figures.latencies[mode] = times
    figures.load_average = os.getloadavg()[0]
    if exact_scan_rows is not None:
        figures.hnsw_clients = sum(
            1 for c in range(1, CLIENT_COUNT + 1) if exact.client_size(c) > exact_scan_rows
        )
    return figures


# -- the run ----------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> bool:
    embedder = LocalMiniLMEmbedder()
    scale: list[ScaleFigures] = []
    relevance: dict[str, RelevanceFigures] = {}
    corpus: Corpus | None = None
    with scratch(keep=args.keep) as root:
        pg = PostgresServer(root) if POSTGRES in args.backend else None
        try:
            if args.scale:
                sizes = [
                    (b, n) for b in args.backend for n in (args.docs if b == POSTGRES else args.sqlite_docs)
                ]
                corpus = await build_corpus(args, max(n for _, n in sizes), embedder)
                for number, (backend, size) in enumerate(sizes, start=1):
                    db = await open_database(backend, root, pg, f"scale_{number}")
                    try:
                        scale.append(await measure_scale(backend, db, corpus, size, args))
                    finally:
                        await db.dispose()
            if args.relevance:
                progress("relevance: embedding the labelled set")
                labelled = await embed_labelled_set(embedder, query_limit=args.relevance_queries)
                for backend in args.backend:
                    progress(f"relevance: labelled set on {backend}")
                    db = await open_database(backend, root, pg, "relevance")
                    try:
                        relevance[backend] = await measure_relevance(db, embedder, labelled)
                    finally:
                        await db.dispose()
        finally:
            if pg is not None:
                pg.stop()
        if args.keep:
            progress(f"kept the SQLite files in {root}")
    ok = True
    if corpus is not None:
        ok &= print_scale(args, corpus, scale)
    if relevance:
        ok &= print_relevance(relevance)
    print()
    print(f"Overall: {verdict(ok)}")
    return ok


def print_scale(args: argparse.Namespace, corpus: Corpus, runs: list[ScaleFigures]) -> bool:
    servers = sorted({r.server for r in runs if r.server})
    print(
        f"Retrieval at scale: {len(corpus.queries)} queries of {CLIENT_COUNT} clients (skewed), top {K}, "
        f"vectors {corpus.vector_kind} ({corpus.vectors.shape[1]} dims), {os.cpu_count()} CPU(s), "
        f"load average {args.load_before:.1f} at start" + "".join(f", {s}" for s in servers)
    )
    rows: list[list[str]] = []
    ok = True
    for r in runs:
        ok &= scale_rows(rows, r)
    rows += build_rows(args, corpus, runs)
    print(table(["figure", "value", "target / reference", ""], rows))
    return ok


def scale_rows(rows: list[list[str]], r: ScaleFigures) -> bool:
    is_pg = r.backend == POSTGRES
    label = f"{r.backend} {r.docs:,}"
    ok = True

    def add(figure: str, value: str, reference: str = "", outcome: bool | None = None) -> None:
        rows.append([figure, value, reference, "" if outcome is None else verdict(outcome)])

    add(f"{label}: upsert (incl. {'HNSW' if is_pg else 'FTS5'})", f"{r.upsert_seconds:.1f} s",
        _rate(r.docs, r.upsert_seconds, "docs"))  # fmt: skip
    for mode, times in r.latencies.items():
        p95 = percentile(times, 95)
        ok &= p95 <= TARGET_P95_SECONDS or not is_pg
        add(f"{label}: {mode.value} p50 / p95", f"{ms(percentile(times, 50))} / {ms(p95)}",
            f"<= {ms(TARGET_P95_SECONDS)}" if is_pg else f"ref {ms(TARGET_P95_SECONDS)}, not a target",
            p95 <= TARGET_P95_SECONDS if is_pg else None)  # fmt: skip
        add("  p99 / max", f"{ms(percentile(times, 99))} / {ms(max(times))}")
    add("  load average (1 min) after the searches", f"{r.load_average:.1f}", f"{os.cpu_count()} CPUs")
    first = r.first_search
    add("  first search of each client p50 / max", f"{ms(percentile(first, 50))} / {ms(max(first))}",
        f"{len(first)} clients, not timed above")  # fmt: skip
    recall = _mean(r.recalls)
    ok &= recall >= TARGET_RECALL
    add(f"{label}: recall@{K} vs exact scan", f"{recall:.3f}", f">= {TARGET_RECALL}", recall >= TARGET_RECALL)
    if is_pg:
        hnsw = _mean(r.hnsw_recalls)
        good = not r.hnsw_recalls or hnsw >= TARGET_RECALL
        ok &= good
        add(f"  on the {r.hnsw_clients} client(s) large enough for HNSW",
            f"{hnsw:.3f}" if r.hnsw_recalls else "none", f"{len(r.hnsw_recalls)} queries", good)  # fmt: skip
    ok &= r.leaks == 0
    add(f"{label}: hits from another client", str(r.leaks), "0", r.leaks == 0)
    return ok


def build_rows(args: argparse.Namespace, corpus: Corpus, runs: list[ScaleFigures]) -> list[list[str]]:
    size = len(corpus.docs)
    short_minutes = corpus.short_embed_seconds() / 60
    long_minutes = short_minutes * corpus.pieces_ratio
    measured = corpus.vector_kind == MINILM_SHORT
    how = "measured" + (" (by the run that filled the cache)" if corpus.from_cache else "")
    rows = [
        [f"build: vectors for {size:,} tickets ({corpus.vector_kind})", f"{corpus.embed_seconds:.1f} s",
         _rate(size, corpus.embed_seconds, "texts"), ""],
        [f"  local embedder, {size:,} short texts (summary + 1st sentence)", f"{short_minutes:.1f} min",
         how if measured else f"est. from {corpus.sample_size} sampled", ""],
        ["  word pieces, full texts / short texts", f"{corpus.pieces_ratio:.1f}x", "", ""],
        [f"  local embedder, {size:,} full texts (est.)", f"{long_minutes:.1f} min",
         "short-text time x word-piece ratio", ""],
        [f"  sampled rates ({corpus.sample_size} tickets)",
         f"{corpus.short_rate:.0f} / {corpus.long_rate:.1f} texts/s", "short / full texts", ""],
    ]  # fmt: skip
    for r in runs:
        if r.docs == size:
            upsert_minutes = r.upsert_seconds / 60
            rows.append([f"  index build on {r.backend}: short texts + upsert",
                         f"{short_minutes + upsert_minutes:.1f} min", "", ""])  # fmt: skip
            rows.append([f"  index build on {r.backend}: full texts + upsert",
                         f"{long_minutes + upsert_minutes:.1f} min", "estimated", ""])  # fmt: skip
    return rows


def print_relevance(results: dict[str, RelevanceFigures]) -> bool:
    first = next(iter(results.values()))
    print()
    print(
        f"Relevance: labelled set, {first.queries} queries, {first.corpus_size} past tickets of their "
        f"clients, {first.relevant_per_query:.2f} relevant per query, {MODEL_NAME} on full texts "
        f"({first.embed_seconds:.1f} s to embed)"
    )
    ok = True
    rows: list[list[str]] = []
    for backend, figures in results.items():
        modes = figures.modes
        rows.append([f"{backend}: MRR@{K}", *(f"{m.mrr:.3f}" for m in modes)])
        rows.append(["  first hit relevant", *(f"{m.hit_at_1:.0%}" for m in modes)])
        rows.append([f"  relevant in top {K}", *(f"{m.hit_at_5:.0%}" for m in modes)])
        rows.append(["  first hit a confuser", *(str(m.confuser_first) for m in modes)])
        rows.append(["  hits from another client", *(str(m.leaks) for m in modes)])
        ok &= all(m.leaks == 0 for m in modes)
    print(table(["backend / figure", *(m.mode.value for m in first.modes)], rows))
    print(
        "A confuser is a hand-written past ticket of the query's client with its symptom or words but "
        "another cause. MRR has no target; a hit from another client fails the run."
    )
    return ok


def _rate(count: int, seconds: float, unit: str) -> str:
    return f"{count / seconds:.0f} {unit}/s" if seconds > 0 else ""


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="repeatable (default: both)")
    parser.add_argument("--scale", action="store_true", help="latency, recall and build time")
    parser.add_argument("--relevance", action="store_true", help="MRR@5 on the labelled set")
    parser.add_argument("--docs", type=_sizes, default=[100_000], help="Postgres corpus size(s) (100000)")
    parser.add_argument(
        "--sqlite-docs", type=_sizes, default=[10_000, 100_000], help="SQLite sizes, comma-separated"
    )
    parser.add_argument("--queries", type=int, default=200, help="timed queries per mode (200)")
    parser.add_argument("--vectors", choices=(MINILM_SHORT, RANDOM_PROJECTION), default=MINILM_SHORT)
    parser.add_argument("--batch", type=int, default=1000, help="tickets per upsert call (1000)")
    parser.add_argument(
        "--embed-sample", type=int, default=256, help="tickets timed for embedder rates (256)"
    )
    parser.add_argument("--relevance-queries", type=int, default=None, help="first N labelled queries only")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (7)")
    parser.add_argument(
        "--vector-cache", metavar="DIR", help="reuse (or save) the corpus vectors here between runs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    args = parser.parse_args(argv)
    if not args.scale and not args.relevance:
        args.scale = args.relevance = True
    args.backend = list(dict.fromkeys(args.backend or BACKENDS))
    if min(args.queries, args.batch, args.embed_sample) < 1:
        parser.error("--queries, --batch and --embed-sample must be at least 1")
    if args.relevance_queries is not None and args.relevance_queries < 1:
        parser.error("--relevance-queries must be at least 1")
    return args


def _sizes(value: str) -> list[int]:
    sizes = [int(part) for part in value.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_before = os.getloadavg()[0]  # other work on the machine skews every figure: say how much
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
