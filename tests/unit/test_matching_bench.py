"""The matching benchmark: a smoke run with the real local embedder, its pieces, and its options."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from evals.bench import matching
from evals.matching.dataset import LabelledTicket
from evals.matching.measure import CachingEmbedder, build_library, measure_size, prompt_tokens
from evals.matching.tokens import cl100k_counter, minilm_counter, token_counter
from workflows.matcher import MATCHER_INSTRUCTIONS
from workflows.shortlist import trigger_text
from workflows.templates import TEMPLATES


def test_the_smoke_run_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    status = matching.main(["--smoke"])
    out = capsys.readouterr().out
    # About 15 s on a busy 2-core machine (embedding 12 tickets and 100 triggers); catches a default-size run.
    assert time.monotonic() - began < 120
    assert "Workflow matching: 12 labelled tickets" in out
    for size in ("N=13", "N=100"):
        recall = re.search(
            rf"^{size}: recall of labelled templates +([01]\.\d{{4}}) +(\d+)/(\d+) pairs", out, re.M
        )
        assert recall is not None, out
        assert float(recall.group(1)) == pytest.approx(int(recall.group(2)) / int(recall.group(3)), abs=5e-5)
        assert re.search(rf"^{size}: prompt tokens mean / max +\d+ / \d+", out, re.M), out
        assert re.search(rf"^{size}: tickets with a miss +\d+ +of 12", out, re.M), out
    assert re.search(r"^N=100: prompt tokens mean / max .* of N=13; <= 1\.5x +(PASS|FAIL)", out, re.M), out
    assert "Per template at N=100:" in out and "N=1,000" not in out
    passed = out.rstrip().endswith("Overall: PASS")
    assert status == (0 if passed else 1)
    assert passed == ("FAIL" not in out)


def test_options_are_checked() -> None:
    with pytest.raises(SystemExit):
        matching.parse_args(["--sizes", "5"])  # fewer workflows than templates
    with pytest.raises(SystemExit):
        matching.parse_args(["--sizes", "100000"])
    with pytest.raises(SystemExit):
        matching.parse_args(["--k", "0"])
    args = matching.parse_args(["--sizes", "100,13,100"])
    assert args.sizes == [13, 100] and args.tickets is None and args.k == 12


def test_the_help_describes_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        matching.parse_args(["--help"])
    assert exit_info.value.code == 0
    assert "recall >= 0.99" in capsys.readouterr().out


class CountingEmbedder:
    """A deterministic stand-in: one-hot vectors keyed by text length, counting what it is asked."""

    model_name = "test/counting"
    dimension = 8

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += texts
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row, len(text) % self.dimension] = 1.0
        return vectors


async def test_the_cache_embeds_each_text_once_and_survives_a_file(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachingEmbedder(inner)
    first = await cache.embed(["a", "bb", "a"])
    again = await cache.embed(["bb", "ccc"])
    assert inner.asked == ["a", "bb", "ccc"] and cache.embedded == 3
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], again[0])
    path = tmp_path / "vectors.npz"
    cache.save(path)
    reloaded = CachingEmbedder(CountingEmbedder())
    assert reloaded.load(path) == 3
    assert np.array_equal(await reloaded.embed(["ccc"]), again[1:])


async def test_library_rows_carry_embed_trigger_vectors_and_template_keys() -> None:
    inner = CountingEmbedder()
    library = await build_library(20, CachingEmbedder(inner))
    assert len(library.rows) == 20 and [r.id for r in library.rows] == list(range(1, 21))
    assert library.ids_by_key == {t.key: i for i, t in enumerate(TEMPLATES, start=1)}
    assert all(r.status == "active" and r.client_id is None for r in library.rows)
    assert all(r.trigger_embedder == "test/counting" and r.trigger_vector for r in library.rows)
    # One batch for the library, then embed_trigger per row answered from the cache.
    assert len(inner.asked) == 20 and inner.asked[0] == trigger_text(TEMPLATES[0].title, TEMPLATES[0].trigger)


async def test_recall_counts_labelled_pairs_kept_and_tokens_cover_instructions_and_prompt() -> None:
    embedder = CachingEmbedder(CountingEmbedder())
    library = await build_library(13, embedder)
    ticket = LabelledTicket(
        id="t1",
        summary="Forgot password",
        description="Please reset it.",
        expected=("reset-password",),
        kinds=(),
    )
    figures = measure_size(
        library,
        [ticket],
        np.zeros((1, 8), dtype=np.float32),
        embedder_name=embedder.model_name,
        counter=minilm_counter(),
        k=13,  # everything kept
    )
    assert figures.recall == 1.0 and figures.pairs == 1 and figures.with_a_miss == []
    counter = minilm_counter()
    assert figures.tokens[0] == prompt_tokens(counter, ticket, library.rows)
    assert figures.tokens[0] > counter.count(MATCHER_INSTRUCTIONS) + sum(
        counter.count(r.trigger) for r in library.rows
    )


def test_token_counters_work_offline() -> None:
    counter = token_counter()
    assert counter.count("Reset my voicemail PIN") > 0
    cl100k = cl100k_counter()
    if cl100k is not None:  # litellm ships cl100k_base: the benchmark uses it
        assert counter.name == cl100k.name and cl100k.count("hello world") == 2
    assert minilm_counter().count("hello world") == 2
