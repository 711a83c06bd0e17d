"""Workflow matching at scale: the shortlist's recall of labelled templates and the matcher prompt's size.

    python -m evals.bench.matching                     # N = 13, 100, 1000; about 2 minutes (embedding)
    python -m evals.bench.matching --smoke             # 12 tickets, N = 13 and 100 (the test suite's run)
    python -m evals.bench.matching --vector-cache /tmp/matching-vectors.npz   # embed once across runs

Starts no server and opens no socket. The labelled set is ``evals/datasets/matching.yaml`` (200 MSP
tickets, each labelled with the starter templates whose trigger describes it). For each library size N the
active workflows are the 13 templates plus N - 13 distractors from ``evals.matching.distractors`` (MSP-wide
workflows first, then per-client ones), all treated as shared. Triggers and tickets are embedded with the
real local embedder (all-MiniLM-L6-v2, via ``retrieval.embedders.build_embedder``), triggers through
``workflows.shortlist.embed_trigger``; each ticket is cut with ``workflows.shortlist.shortlist`` at K = 12
on the text the pipeline gives it (summary + the description's first 1,500 characters).

Figures per N: recall (the share of (ticket, labelled template) pairs kept for the LLM stage), tickets
with a miss (the worst are listed), per-template recall at the largest N, the matcher prompt's tokens per
ticket (``MATCHER_INSTRUCTIONS`` + ``build_prompt(ticket, kept candidates)``, mean and max; the tokenizer
is named in the output) and the shortlist's own time per ticket.

Targets (exit status 1 if one is missed): recall >= 0.99 at every N; prompt tokens at the largest N no
more than 1.5x those at N = 13 (mean and max per ticket).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from evals.bench.stack import ms, percentile, progress, table, verdict
from evals.matching.dataset import DATASET_PATH, TEMPLATE_KEYS, LabelledTicket, load_dataset
from evals.matching.distractors import DEFAULT_SEED, available
from evals.matching.measure import CachingEmbedder, SizeFigures, build_library, measure_size
from evals.matching.tokens import TokenCounter, token_counter
from retrieval.embedders import build_embedder
from workflows.shortlist import SHORTLIST_SIZE
from workflows.templates import TEMPLATES

TARGET_RECALL = 0.99
TARGET_TOKEN_RATIO = 1.5
DEFAULT_SIZES = (13, 100, 1000)
SMOKE_SIZES = (13, 100)
SMOKE_TICKETS = 12


@dataclass(frozen=True)
class LocalEmbeddingSettings:
    """What ``build_embedder`` reads: nothing set, so it builds the offline local embedder."""

    embedding_model: str | None = None
    embedding_api_base: str | None = None
    embedding_api_key: None = None
    embedding_dimension: int | None = None
    llm_api_base: str | None = None
    llm_api_key: None = None
    llm_timeout_seconds: float = 60.0


async def run(args: argparse.Namespace) -> bool:
    tickets = load_dataset(args.dataset)
    if args.tickets is not None:
        tickets = tickets[: args.tickets]
    counter = token_counter()
    embedder = CachingEmbedder(build_embedder(LocalEmbeddingSettings()))
    cache = Path(args.vector_cache) if args.vector_cache else None
    if cache is not None:
        progress(f"vectors: {embedder.load(cache)} read from {cache}")
    progress(f"embedding {len(tickets)} tickets with {embedder.model_name}")
    began = time.perf_counter()
    ticket_vectors = await embedder.embed([t.shortlist_text() for t in tickets])
    results: list[SizeFigures] = []
    for size in args.sizes:
        progress(f"N={size}: embedding triggers (new ones only) and shortlisting {len(tickets)} tickets")
        library = await build_library(size, embedder, seed=args.seed)
        results.append(
            measure_size(
                library,
                tickets,
                ticket_vectors,
                embedder_name=embedder.model_name,
                counter=counter,
                k=args.k,
            )
        )
    embed_seconds = time.perf_counter() - began
    if cache is not None:
        embedder.save(cache)
    progress(f"done: {embedder.embedded} texts embedded in this run")
    return report(args, tickets, counter, results, embed_seconds)


def report(
    args: argparse.Namespace,
    tickets: list[LabelledTicket],
    counter: TokenCounter,
    results: list[SizeFigures],
    seconds: float,
) -> bool:
    pairs = sum(len(t.expected) for t in tickets)
    print(
        f"Workflow matching: {len(tickets)} labelled tickets ({pairs} ticket-template pairs, "
        f"{sum(1 for t in tickets if not t.expected)} matching nothing), K = {args.k}, "
        f"embedder local all-MiniLM-L6-v2, prompt tokens by {counter.name}; "
        f"{os.cpu_count()} CPU(s), {seconds:.0f} s"
    )
    ok = True
    rows: list[list[str]] = []
    baseline = next((r for r in results if r.size == len(TEMPLATES)), None)
    for r in results:
        good = r.recall >= TARGET_RECALL
        ok &= good
        label = f"N={r.size:,}"
        rows.append([f"{label}: recall of labelled templates", f"{r.recall:.4f}",
                     f"{r.kept_pairs}/{r.pairs} pairs kept; >= {TARGET_RECALL}", verdict(good)])  # fmt: skip
        rows.append([f"{label}: tickets with a miss", str(len(r.with_a_miss)), f"of {len(r.outcomes)}", ""])
        mean_tokens = sum(r.tokens) / len(r.tokens)
        reference, outcome = "", ""
        if baseline is not None and r is not baseline and r is results[-1]:
            mean_ratio = mean_tokens / (sum(baseline.tokens) / len(baseline.tokens))
            max_ratio = max(r.tokens) / max(baseline.tokens)
            good = max(mean_ratio, max_ratio) <= TARGET_TOKEN_RATIO
            ok &= good
            reference = f"{mean_ratio:.2f}x / {max_ratio:.2f}x of N={baseline.size}; <= {TARGET_TOKEN_RATIO}x"
            outcome = verdict(good)
        rows.append([f"{label}: prompt tokens mean / max", f"{mean_tokens:.0f} / {max(r.tokens)}", reference,
                     outcome])  # fmt: skip
        times = [o.shortlist_seconds for o in r.outcomes]
        rows.append([f"{label}: shortlist time p50 / max", f"{ms(percentile(times, 50))} / {ms(max(times))}",
                     "per ticket, triggers already embedded", ""])  # fmt: skip
    if baseline is None:
        rows.append(["prompt tokens vs N=13", "not measured", "N=13 not in --sizes", ""])
    print(table(["figure", "value", "target / reference", ""], rows))
    largest = results[-1]
    print_per_template(largest)
    print_misses(largest, args.worst)
    print()
    print(f"Overall: {verdict(ok)}")
    return ok


def print_per_template(r: SizeFigures) -> None:
    print()
    rows = []
    for key in TEMPLATE_KEYS:
        kept, labelled = r.recall_of(key)
        if labelled:
            rows.append([key, f"{kept}/{labelled}", f"{kept / labelled:.3f}"])
    print(f"Per template at N={r.size:,}:")
    print(table(["template", "kept / labelled", "recall"], rows))


def print_misses(r: SizeFigures, limit: int) -> None:
    misses = sorted(r.with_a_miss, key=lambda o: (-len(o.missed), o.ticket.id))
    print()
    if not misses:
        print(f"No labelled template was cut at N={r.size:,}.")
        return
    print(f"Tickets with a cut template at N={r.size:,} (worst {min(limit, len(misses))} of {len(misses)}):")
    rows = [
        [o.ticket.id, o.ticket.summary[:50], ", ".join(o.missed), ",".join(o.ticket.kinds)]
        for o in misses[:limit]
    ]
    print(table(["ticket", "summary", "cut", "kind"], rows))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=_sizes, default=None, help="library sizes (13,100,1000)")
    parser.add_argument("--k", type=int, default=SHORTLIST_SIZE, help=f"shortlist size ({SHORTLIST_SIZE})")
    parser.add_argument("--tickets", type=int, default=None, help="first N labelled tickets only")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_TICKETS} tickets, N = 13 and 100")
    parser.add_argument("--worst", type=int, default=10, help="tickets with a miss to list (10)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"distractor seed ({DEFAULT_SEED})")
    parser.add_argument("--dataset", type=Path, default=DATASET_PATH, help="labelled tickets (YAML)")
    parser.add_argument("--vector-cache", metavar="FILE", help="reuse (and update) vectors in this .npz")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes = args.sizes or list(SMOKE_SIZES)
        args.tickets = args.tickets or SMOKE_TICKETS
    args.sizes = sorted(set(args.sizes or DEFAULT_SIZES))
    most = len(TEMPLATES) + available(args.seed)
    if args.sizes[0] < len(TEMPLATES) or args.sizes[-1] > most:
        parser.error(f"sizes must be between {len(TEMPLATES)} and {most}")
    if args.k < 1 or (args.tickets is not None and args.tickets < 1) or args.worst < 0:
        parser.error("--k and --tickets must be at least 1, --worst at least 0")
    return args


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("sizes must be integers, comma-separated") from None
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one size")
    return sizes


def main(argv: list[str] | None = None) -> int:
    return 0 if asyncio.run(run(parse_args(argv))) else 1


if __name__ == "__main__":
    sys.exit(main())
