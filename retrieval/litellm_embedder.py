"""Any provider's embedding model through ``litellm.aembedding`` (OpenAI, Azure OpenAI, Ollama, any
OpenAI-compatible server), behind the ``Embedder`` protocol.

litellm is imported on first use (the import costs seconds) and configured by ``core.llm.import_litellm``
(local price map, httpx transport so tests can fake the provider with respx). No retries of our own: callers
run embeddings inside durable steps that retry, and ``IntegrationError.retryable`` says whether that is worth
it. One exception we cannot switch off: litellm 1.106.2's OpenAI embedding path reads ``max_retries=0`` as
unset (``max_retries or DEFAULT_MAX_RETRIES``), so the OpenAI SDK itself retries 408/409/429/5xx twice, with
its short backoff, before the error reaches us. 401/403/400/404 are never retried.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
from pydantic import SecretStr

from core.errors import IntegrationError
from core.llm import import_litellm
from retrieval.embedders import DimensionUnknown
from retrieval.local_minilm import normalize_rows

DEFAULT_BATCH_SIZE = 64
DEFAULT_TIMEOUT_SECONDS = 60.0
# OpenAI rejects a batch holding an empty (or blank) string with an unhelpful 400; other providers do too.
EMPTY_TEXT_PLACEHOLDER = "(empty)"
_REDACTED = "[redacted]"
_MAX_DETAIL_CHARS = 500
_RETRYABLE_STATUSES = frozenset({408, 425, 429})

Array = npt.NDArray[np.float32]


class LiteLLMEmbedder:
    """A litellm embedding model, e.g. ``openai/text-embedding-3-small`` or ``ollama/nomic-embed-text``.

    ``dimension`` is the configured one, else learned from the first response (until then it raises
    ``DimensionUnknown``; ``retrieval.embedders.resolve_dimension`` makes one probe call). Every response is
    checked against it, so a model swapped behind the same name fails loudly instead of mixing vectors.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: SecretStr | None = None,
        dimension: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not model.strip():
            raise ValueError("model must be a litellm embedding model, e.g. 'openai/text-embedding-3-small'")
        if dimension is not None and dimension < 1:
            raise ValueError("dimension must be positive")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._model = model
        self._api_base = api_base or None
        self._api_key = api_key
        self._dimension = dimension
        self._batch_size = batch_size
        self._timeout_seconds = timeout_seconds

    def __repr__(self) -> str:  # never shows the key
        return f"LiteLLMEmbedder(model_name={self._model!r}, api_base={self._api_base!r})"

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            raise DimensionUnknown(
                f"the dimension of {self._model} is known after its first embedding call; "
                "set DESKHAND_EMBEDDING_DIMENSION to know it up front"
            )
        return self._dimension

    async def embed(self, texts: Sequence[str]) -> Array:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        batches = [
            await self._embed_batch(texts[start : start + self._batch_size])
            for start in range(0, len(texts), self._batch_size)
        ]
        return np.concatenate(batches) if len(batches) > 1 else batches[0]

    async def _embed_batch(self, texts: list[str]) -> Array:
        kwargs: dict[str, Any] = {
            "model": self._model,
            "input": [text if text.strip() else EMPTY_TEXT_PLACEHOLDER for text in texts],
            "timeout": self._timeout_seconds,
            "num_retries": 0,
            "max_retries": 0,
        }
        if self._api_base:
            kwargs["api_base"] = self._api_base
        if self._api_key is not None and self._api_key.get_secret_value():
            kwargs["api_key"] = self._api_key.get_secret_value()
        litellm = import_litellm()
        try:
            raw = await litellm.aembedding(**kwargs)
        except Exception as exc:
            # `from None`: the provider's exception may quote the key; it must not ride along in tracebacks.
            raise self._map_error(litellm, exc) from None
        return self._parse(raw, expected=len(texts))

    def _parse(self, raw: Any, *, expected: int) -> Array:
        data = _field(raw, "data")
        if not isinstance(data, list):
            raise self._bad_response(f"no 'data' list in the response ({type(raw).__name__})")
        try:
            ordered = sorted(data, key=lambda item: int(_field(item, "index")))
            rows = [_vector(_field(item, "embedding")) for item in ordered]
        except (TypeError, ValueError, KeyError, binascii.Error) as exc:
            raise self._bad_response(f"unreadable embedding data ({exc})") from None
        if [int(_field(item, "index")) for item in ordered] != list(range(expected)):
            raise self._bad_response(f"{len(data)} embeddings for {expected} inputs")
        widths = {len(row) for row in rows}
        if len(widths) != 1:
            raise self._bad_response(f"embeddings of different lengths {sorted(widths)}")
        width = widths.pop()
        if self._dimension is None:
            if width == 0:
                raise self._bad_response("empty embeddings")
            self._dimension = width
        elif width != self._dimension:
            raise IntegrationError(
                f"embedding model {self._model} returned {width}-dimensional vectors, expected "
                f"{self._dimension} (DESKHAND_EMBEDDING_DIMENSION or earlier responses); "
                "a different model would make stored vectors incomparable"
            )
        vectors = np.asarray(rows, dtype=np.float32)
        if not np.isfinite(vectors).all():
            raise self._bad_response("non-finite values in embeddings")
        return normalize_rows(vectors)

    def _bad_response(self, what: str) -> IntegrationError:
        return IntegrationError(f"embedding model {self._model}: unexpected response: {what}")

    def _map_error(self, litellm: Any, exc: Exception) -> IntegrationError:
        """litellm's exceptions share no base class: transport failures by type, the rest by status."""
        message = self._redact(str(getattr(exc, "message", None) or exc))
        if len(message) > _MAX_DETAIL_CHARS:
            message = message[:_MAX_DETAIL_CHARS] + "..."
        causes = _cause_chain(exc)
        # Before status codes: litellm reports a timeout as 408 and a refused connection as 500.
        if any(isinstance(e, litellm.Timeout | httpx.TimeoutException | TimeoutError) for e in causes):
            return IntegrationError(
                f"embedding model {self._model} timed out: {message}", status=None, retryable=True
            )
        connection_errors = litellm.APIConnectionError | httpx.TransportError | ConnectionError
        if any(isinstance(e, connection_errors) for e in causes):
            return IntegrationError(
                f"embedding model {self._model} unreachable: {message}", status=None, retryable=True
            )
        status = getattr(exc, "status_code", None)
        if isinstance(status, int) and not isinstance(status, bool) and status >= 400:
            hint = " (check the embedding API key)" if status in (401, 403) else ""
            return IntegrationError(
                f"embedding model {self._model} answered {status}{hint}: {message}",
                status=status,
                retryable=status in _RETRYABLE_STATUSES or status >= 500,
            )
        return IntegrationError(f"embedding model {self._model} failed: {type(exc).__name__}: {message}")

    def _redact(self, text: str) -> str:
        if self._api_key is not None and (secret := self._api_key.get_secret_value()):
            text = text.replace(secret, _REDACTED)
        return text


def _field(item: Any, name: str) -> Any:
    """A field of a litellm response object or of a plain dict (litellm returns both, by provider)."""
    if isinstance(item, Mapping):
        return item[name]
    return getattr(item, name)


def _vector(value: Any) -> list[float]:
    """An embedding as floats; base64 (``encoding_format="base64"``) is little-endian float32."""
    if isinstance(value, str):
        decoded: list[float] = np.frombuffer(base64.b64decode(value, validate=True), dtype="<f4").tolist()
        return decoded
    if not isinstance(value, list | tuple):
        raise TypeError(f"embedding is a {type(value).__name__}")
    return [float(x) for x in value]


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
