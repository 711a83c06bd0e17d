"""Smoke run of the retrieval benchmark, in-process at tiny sizes: SQLite scale figures and relevance."""

from __future__ import annotations

import re
import time

import pytest

from evals.bench import retrieval


def test_retrieval_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    status = retrieval.main(
        [
            "--backend", "sqlite",
            "--sqlite-docs", "300",
            "--queries", "20",
            "--embed-sample", "8",
            "--vectors", "random-projection",
            "--relevance-queries", "5",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    # About 10 s on an idle 2-core machine; the bound only catches a run at default sizes.
    assert time.monotonic() - began < 90
    for figure in (
        "sqlite 300: upsert (incl. FTS5)",
        "sqlite 300: vector p50 / p95",
        "sqlite 300: hybrid p50 / p95",
        "build: vectors for 300 tickets (random-projection)",
        "Relevance: labelled set, 5 queries",
        "sqlite: MRR@5",
        "Overall: PASS",
    ):
        assert figure in out, out
    assert "postgres" not in out
    assert re.search(r"^sqlite 300: recall@5 vs exact scan +1\.000 ", out, re.MULTILINE), out
    assert re.search(r"^sqlite 300: hits from another client +0 ", out, re.MULTILINE), out
    mrr_row = next(line for line in out.splitlines() if line.startswith("sqlite: MRR@5"))
    assert [0.0 <= float(value) <= 1.0 for value in mrr_row.split()[2:]] == [True, True, True]
