"""A real tokenizer that works offline, for counting the matcher prompt's tokens.

First choice: OpenAI's ``cl100k_base`` through tiktoken, from the copy litellm ships in its package (tiktoken
would otherwise download it; litellm points tiktoken at the same directory). tiktoken checks the file's
SHA-256. Fallback, when either is missing: the all-MiniLM-L6-v2 word-piece tokenizer from the local
embedder's package, without its 256-piece truncation. The benchmark prints which one counted.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CL100K = "cl100k_base"
# tiktoken's cache file name for cl100k_base: the SHA-1 of its download URL, as tiktoken names cache files.
CL100K_CACHE_FILE = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
_LITELLM_TOKENIZERS = ("litellm_core_utils", "tokenizers")
_environment_lock = threading.Lock()


@dataclass(frozen=True)
class TokenCounter:
    name: str  # e.g. "tiktoken cl100k_base (litellm's bundled copy)"
    count: Callable[[str], int]


def litellm_tiktoken_dir() -> Path | None:
    """litellm's directory of bundled tiktoken files, found without importing litellm (slow, networked)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))).joinpath(*_LITELLM_TOKENIZERS)
    return directory if (directory / CL100K_CACHE_FILE).is_file() else None


def cl100k_counter() -> TokenCounter | None:
    """cl100k_base from litellm's bundled copy, or None when tiktoken or the file is not installed."""
    directory = litellm_tiktoken_dir()
    if directory is None or importlib.util.find_spec("tiktoken") is None:
        return None
    import tiktoken

    # tiktoken reads its cache directory from the environment only; set it just for the load.
    with _environment_lock:
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
        try:
            encoding = tiktoken.get_encoding(CL100K)
        finally:
            if previous is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    return TokenCounter(f"tiktoken {CL100K} (litellm's bundled copy)", count)


def minilm_counter() -> TokenCounter:
    """The local embedder's word-piece tokenizer, counting every piece (no truncation, no [CLS]/[SEP])."""
    from tokenizers import Tokenizer

    from retrieval.local_minilm import default_model_dir

    tokenizer = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return TokenCounter("all-MiniLM-L6-v2 word pieces (tiktoken cl100k_base not available)", count)


def token_counter() -> TokenCounter:
    return cl100k_counter() or minilm_counter()
