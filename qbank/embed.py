"""Static sentence embeddings from the `wordllama` wheel: loaded offline, once per process.

wordllama ships 256-dimensional token embeddings (average-pooled, ~33 MB) inside its wheel, so nothing is
downloaded at run time. Its loader looks for the bundled tokenizer config in the wrong folder unless it is
pointed at the package folder itself, which `model()` does.

Cosine similarity of these vectors separates same-intent questions much better than string scores, but it
also scores "neural network" vs "convolutional neural network" high: use it as one piece of evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 256


@lru_cache(maxsize=2)
def model(dim: int = DIM):  # -> wordllama.WordLlama (imported lazily: numpy + tokenizers, ~0.2 s)
    import wordllama
    from wordllama import WordLlama

    return WordLlama.load(dim=dim, cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def model_name(dim: int = DIM) -> str:
    """The name and version the vectors are stored under (warehouse `embeddings.model`): a new wheel or
    dimension is another model, so stored vectors of the old one are not mixed with the new."""
    from importlib.metadata import version

    return f"wordllama-{version('wordllama')}-{dim}d"


def embed(texts: Sequence[str], dim: int = DIM, batch_size: int = 512) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (a zero row for an empty text)."""
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    vectors = np.asarray(model(dim).embed(list(texts), norm=False, batch_size=batch_size), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two matrices of unit vectors (or of one vector against a matrix)."""
    return np.sum(a * b, axis=-1)
