"""Embeddings of match keys: each distinct key is embedded once, and reused from the warehouse when stored.

The warehouse keeps vectors in table `embeddings`, keyed by the embedding model's name and version
(qbank.embed.model_name) and the sha256 of the key (`key_digest`), so an incremental run embeds only keys
it has not seen, and a new model never mixes with the vectors of an old one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qbank.embed import DIM, embed


def key_digest(key: str) -> str:
    """The stored id of a key's vector: hex sha256 of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyVectors:
    """One unit vector per distinct match key."""

    rows: dict[str, int]  # key -> row of matrix
    matrix: np.ndarray  # float32, (len(rows), dim)
    fresh: tuple[str, ...] = ()  # keys embedded now (not given as stored): the ones to store

    def of(self, key: str) -> np.ndarray:
        return self.matrix[self.rows[key]]


def key_vectors(keys: Sequence[str], stored: Mapping[str, np.ndarray] | None = None, dim: int = DIM) -> KeyVectors:
    """Vectors for every distinct key: taken from `stored` (digest -> vector) when there, else embedded."""
    stored = stored or {}
    distinct = list(dict.fromkeys(keys))
    rows = {key: i for i, key in enumerate(distinct)}
    matrix = np.zeros((len(distinct), dim), dtype=np.float32)
    missing = []
    for key, row in rows.items():
        vector = stored.get(key_digest(key))
        if vector is None or len(vector) != dim:
            missing.append(key)
        else:
            matrix[row] = vector
    if missing:
        matrix[[rows[k] for k in missing]] = embed(missing, dim)
    return KeyVectors(rows, matrix, tuple(missing))
