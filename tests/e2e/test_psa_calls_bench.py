"""Smoke run of ``evals.bench.psa_calls``: every PSA gets a row and the warm triage meets its budget."""

from __future__ import annotations

import pytest

from evals.bench import psa_calls


def test_psa_calls_benchmark_prints_a_row_per_psa_and_meets_the_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = psa_calls.main([])

    out = capsys.readouterr().out
    assert status == 0, out
    lines = out.splitlines()
    for name in ("ConnectWise", "HaloPSA", "Autotask", "Sandbox"):
        assert any(line.startswith(f"{name}  ") and "calls" in line for line in lines), out
        assert f"{name}: target <= 4: met" in out
    assert "Overall: PASS" in out


def test_psa_calls_benchmark_can_measure_one_psa(capsys: pytest.CaptureFixture[str]) -> None:
    assert psa_calls.main(["--psa", "halopsa"]) == 0

    out = capsys.readouterr().out
    assert "HaloPSA: target <= 4: met (warm 4)" in out
    assert "POST /auth/token" in out and "ConnectWise" not in out
