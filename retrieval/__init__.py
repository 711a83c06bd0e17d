"""Retrieval: embedders (litellm for any provider, a local offline one), vector stores and searches.

Importing this package loads no model and imports no litellm; both happen on first use.
"""

from retrieval.embedders import (
    DimensionUnknown,
    Embedder,
    EmbeddingSettings,
    build_embedder,
    is_local_model,
    resolve_dimension,
)
from retrieval.local_minilm import LocalMiniLMEmbedder

__all__ = [
    "DimensionUnknown",
    "Embedder",
    "EmbeddingSettings",
    "LocalMiniLMEmbedder",
    "build_embedder",
    "is_local_model",
    "resolve_dimension",
]
