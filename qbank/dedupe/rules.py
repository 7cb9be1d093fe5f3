"""What the deduper reads from data files, loaded once per path and passed to `dedupe` as one object.

    wording  data/filler.yaml: the match-key wording (filler, frames, stopwords, weak words, abbreviations)
    aspects  data/filler.yaml `aspects`/`what_is`: the aspect cues of the pair model
    model    data/dedupe_model.json (or `dedupe.model_file`): the pair model's weights and thresholds
    weak     the weak words of the wording in surface and lemma form (match keys hold lemmas)

A run builds it from its settings (`qbank.rules.RuleFiles`: `data_dir`, `dedupe.model_file`); the
defaults are the files shipped in data/, for callers outside a run (tests, benches).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qbank.dedupe.semantic import MODEL_PATH, Aspects, PairModel, aspects, load_model
from qbank.normalize import FILLER_PATH, Wording, match_keys, wording


@lru_cache(maxsize=4)
def weak_lemmas(path: str = str(FILLER_PATH)) -> frozenset[str]:
    """The weak words of a wording file in both surface and lemma form (keys hold lemmas)."""
    words = wording(Path(path))
    lemmas = {token for key in match_keys(sorted(words.weak_words), words) for token in key.split()}
    return frozenset(words.weak_words | lemmas)


@dataclass(frozen=True, slots=True)
class DedupeRules:
    wording: Wording
    aspects: Aspects
    model: PairModel
    weak: frozenset[str]

    @classmethod
    def load(cls, filler: Path = FILLER_PATH, pair_model: Path = MODEL_PATH) -> DedupeRules:
        """The rules in these files (each read and compiled once per path and process)."""
        filler = Path(filler)
        return cls(wording(filler), aspects(filler), load_model(Path(pair_model)), weak_lemmas(str(filler)))
