"""Faithful fakes at the HTTP boundary (ConnectWise, an OpenAI-compatible LLM).

Used by tests, evals and benchmarks.
"""
