"""One protocol for every embedder, and the factory that picks one from settings.

``DESKHAND_EMBEDDING_MODEL`` unset or ``local`` gives the offline all-MiniLM-L6-v2 embedder (no API key, no
network); any other value is a litellm embedding model string (``openai/text-embedding-3-small``,
``azure/<deployment>``, ``ollama/nomic-embed-text``, ...). Vector stores keep ``model_name`` and ``dimension``
next to the vectors, so vectors from another model are detected instead of silently compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from pydantic import SecretStr

from retrieval.local_minilm import DIMENSION as LOCAL_DIMENSION
from retrieval.local_minilm import MODEL_NAME as LOCAL_MODEL_NAME
from retrieval.local_minilm import LocalMiniLMEmbedder

if TYPE_CHECKING:
    from retrieval.litellm_embedder import LiteLLMEmbedder

LOCAL = "local"
# Any of these selects the local embedder (compared case-insensitively, trimmed).
LOCAL_ALIASES = frozenset({LOCAL, LOCAL_MODEL_NAME.lower(), "all-minilm-l6-v2"})
DIMENSION_PROBE_TEXT = "dimension probe"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors; rows are in input order."""

    @property
    def model_name(self) -> str:
        """Stored with every vector, e.g. ``local/all-MiniLM-L6-v2`` or the litellm model string."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector. May raise ``DimensionUnknown`` before the first ``embed`` call."""
        ...

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """float32 array of shape ``(len(texts), dimension)`` with L2-normalised rows."""
        ...


class DimensionUnknown(LookupError):
    """A remote model's dimension was neither configured nor seen in a response yet."""


class EmbeddingSettings(Protocol):
    """The settings the factory reads (``core.settings.Settings`` has them)."""

    @property
    def embedding_model(self) -> str | None: ...
    @property
    def embedding_api_base(self) -> str | None: ...
    @property
    def embedding_api_key(self) -> SecretStr | None: ...
    @property
    def embedding_dimension(self) -> int | None: ...
    @property
    def llm_api_base(self) -> str | None: ...
    @property
    def llm_api_key(self) -> SecretStr | None: ...
    @property
    def llm_timeout_seconds(self) -> float: ...


def is_local_model(model: str | None) -> bool:
    return model is None or not model.strip() or model.strip().lower() in LOCAL_ALIASES


def build_embedder(settings: EmbeddingSettings) -> Embedder:
    """The configured embedder: local MiniLM by default, otherwise litellm.

    The litellm embedder uses ``embedding_api_base`` / ``embedding_api_key``, each falling back to the LLM's
    (``llm_api_base`` / ``llm_api_key``): one OpenAI-compatible server often serves both. Nothing is loaded or
    called here; the local weights load on the first ``embed``.
    """
    if is_local_model(settings.embedding_model):
        if settings.embedding_dimension not in (None, LOCAL_DIMENSION):
            raise ValueError(
                f"DESKHAND_EMBEDDING_DIMENSION={settings.embedding_dimension} does not match the local "
                f"model ({LOCAL_MODEL_NAME} has {LOCAL_DIMENSION} dimensions); unset it"
            )
        return LocalMiniLMEmbedder()
    return _litellm_embedder(settings)


def _litellm_embedder(settings: EmbeddingSettings) -> LiteLLMEmbedder:
    from retrieval.litellm_embedder import LiteLLMEmbedder

    model = settings.embedding_model
    assert model is not None  # is_local_model(None) is True
    api_key = settings.embedding_api_key
    if api_key is None or not api_key.get_secret_value():
        api_key = settings.llm_api_key
    return LiteLLMEmbedder(
        model.strip(),
        api_base=settings.embedding_api_base or settings.llm_api_base,
        api_key=api_key,
        dimension=settings.embedding_dimension,
        timeout_seconds=settings.llm_timeout_seconds,
    )


async def resolve_dimension(embedder: Embedder) -> int:
    """The embedder's dimension; for a remote model not yet seen, one tiny embedding call learns it."""
    try:
        return embedder.dimension
    except DimensionUnknown:
        return int((await embedder.embed([DIMENSION_PROBE_TEXT])).shape[1])
