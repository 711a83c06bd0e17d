"""Evaluations and benchmarks."""
