"""Faithful fakes at the HTTP boundary (ConnectWise, an OpenAI-compatible LLM), for tests, evals and benchmarks."""
