"""The pair model: one logistic regression over string, embedding and key-term evidence.

A candidate pair (two questions) is described by the features below; `PairModel.probability` turns them
into P(same question) with weights read from data/dedupe_model.json (written by
`bench/dedup_quality/fit.py` from labelled pairs; nothing here is tuned by hand):

- `cosine`: cosine of the two questions' static embeddings (qbank/embed.py).
- `token_set`, `key_ratio`: rapidfuzz token_set_ratio of the content words and token_sort_ratio of the
  match keys, /100.
- `differ_info`: the share of the pair's meaning carried by terms only one side has. Each content word
  weighs its rarity in general English (-log probability from spaCy's lexeme_prob table, capped, so
  "convolutional" or "multinomial" weigh much more than "network" or "use"); words that agree up to a typo,
  an inflection or a closed compound count as shared (verify.unmatched_words).
- `max_differ`: the rarity of the rarest such term: one rare name differing decides more than many common words.
- `substitution`: each side has a term the other lacks ("k-means"/"kNN", "L1"/"L2", "precision"/"recall").
- `modifier`: the rarity of the rarest term only one side has that forms a compound with a shared word:
  it stands right before or after it in the question's words ("convolutional neural network",
  "self-supervised learning", "data versioning", "hierarchical clustering"), unlike trailing context
  ("recall as a metric"); common words there are mostly verbs ("What causes the vanishing gradient?").
- `aspect_clash`: both ask about one aspect of a thing and the aspects differ ("What is X?" / "Why do we need
  X?" / "How do you prevent X?"): cue phrases per aspect live in data/filler.yaml (`aspects`), matched on
  lemmas ("avoided" meets the cue "avoid").

Decision levels: `same` when P >= `accept`; `review` (the gray zone `qbank review` lists) when
P >= `review`; `related` when not same but the two share most of their meaning (shared-term share >=
`related_shared` and cosine >= `related_cosine`): same concept, another ask. Related pairs are linked,
never merged.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from qbank.dedupe.verify import Profile, unmatched_words, _modifies_shared
from qbank.normalize import FILLER_PATH, lemma_text
from qbank.settings import DATA_DIR, DedupeSettings

MODEL_PATH = DATA_DIR / "dedupe_model.json"
FEATURES = ("cosine", "token_set", "key_ratio", "differ_info", "max_differ", "substitution", "modifier",
            "aspect_clash")  # fmt: skip
_INDEX = {name: i for i, name in enumerate(FEATURES)}
_MAX_INFO = 20.0  # -log probability of a word spaCy has never seen (names, jargon, numbers)


@lru_cache(maxsize=1)
def _lexeme_prob() -> dict[str, float]:
    """spaCy's English unigram log probabilities (spacy-lookups-data, offline), read as a plain dict: a
    spaCy Lookups table of its million entries takes seconds to build."""
    import spacy_lookups_data
    import srsly

    path = spacy_lookups_data.en["lexeme_prob"]
    return srsly.read_gzip_json(path.with_name(path.name + ".gz")) if not path.exists() else srsly.read_json(path)


@lru_cache(maxsize=200_000)
def info(word: str) -> float:
    """How much a word says, 0..1: its rarity in general English (unknown words are rarest)."""
    prob = _lexeme_prob().get(word)
    return min(-prob if prob is not None else _MAX_INFO, _MAX_INFO) / _MAX_INFO


@dataclass(frozen=True, slots=True)
class Aspects:
    """Cue phrases per aspect of a question (data/filler.yaml `aspects`), compiled."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    what_is: re.Pattern[str]  # a what-is frame, capturing the word after it

    def of(self, text: str, lemmas: str | None = None) -> frozenset[str]:
        """The aspects a question asks about; one with no cue asks what the thing is ("define").
        `lemmas` may pass lemma_text(text) when the caller has it."""
        lowered = lemma_text(text) if lemmas is None else lemmas
        found = {name for name, pattern in self.patterns if pattern.search(lowered)}
        for frame in self.what_is.finditer(lowered):
            after = lowered[frame.end(1):].strip()
            if not any(pattern.match(after) for name, pattern in self.patterns if name != "define"):
                found.add("define")
        return frozenset(found or {"define"})


@lru_cache(maxsize=4)
def aspects(path: Path = FILLER_PATH) -> Aspects:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    patterns = []
    for name, cues in (data.get("aspects") or {}).items():
        ordered = sorted({lemma_text(str(c)) for c in cues}, key=len, reverse=True)
        patterns.append((str(name), re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c) for c in ordered) + r")(?!\w)")))
    frames = sorted({lemma_text(str(c)) for c in data.get("what_is") or []}, key=len, reverse=True)
    what_is = re.compile(r"(?<!\w)(?:" + ("|".join(re.escape(f) for f in frames) or "(?!x)x") + r")((?: the| a| an)?)(?!\w)")
    return Aspects(tuple(patterns), what_is)


@dataclass(frozen=True, slots=True)
class Side:
    """One question as the pair model sees it."""

    prof: Profile  # its match key split into content words (verify.profile)
    aspects: frozenset[str]
    words: tuple[str, ...]  # its lemmatized words in order, stopwords kept (normalize.lemma_text)
    info: float  # summed rarity of its content words


def side(prof: Profile, text: str, cues: Aspects) -> Side:
    words = lemma_text(text)
    return Side(prof, cues.of(text, words), tuple(words.split()), sum(info(w) for w in prof.content))


def _compounds(extra: list[str], shared: set[str], words: tuple[str, ...]) -> list[str]:
    """Extra words standing right next to a shared word ("data versioning", "convolutional neural")."""
    return [
        w for i, w in enumerate(words)
        if w in extra and ((i > 0 and words[i - 1] in shared) or (i + 1 < len(words) and words[i + 1] in shared))
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """The features of one pair (see module docstring), plus the shared share used for `related`."""

    values: tuple[float, ...]  # in FEATURES order
    shared: float  # share of the pair's meaning in terms both have
    first_term: str  # a differing term, for the rule name ("" when none)

    def get(self, name: str) -> float:
        return self.values[_INDEX[name]]


def evidence(a: Side, b: Side, cosine: float, settings: DedupeSettings) -> PairEvidence:
    """Features of a pair of questions."""
    only_a, only_b = unmatched_words(a.prof, b.prof, settings)
    total = a.info + b.info
    differ = [*only_a, *only_b]
    differ_info = sum(info(w) for w in differ) / total if total else 0.0
    shared_a, shared_b = set(a.prof.content) - set(only_a), set(b.prof.content) - set(only_b)  # typo twins too
    modifiers = [
        *(w for w in only_a if _modifies_shared(w, a.prof, only_a)), *(w for w in only_b if _modifies_shared(w, b.prof, only_b)),
        *_compounds(only_a, shared_a, a.words), *_compounds(only_b, shared_b, b.words),
    ]  # fmt: skip
    clash = bool(a.aspects) and bool(b.aspects) and not (a.aspects & b.aspects)
    values = (
        float(cosine), fuzz.token_set_ratio(a.prof.text, b.prof.text) / 100.0,
        fuzz.token_sort_ratio(a.prof.key, b.prof.key) / 100.0, differ_info,
        max((info(w) for w in differ), default=0.0), float(bool(only_a and only_b)),
        max((info(w) for w in modifiers), default=0.0), float(clash),
    )  # fmt: skip
    first = max(differ, key=info) if differ else ""
    return PairEvidence(values, 1.0 - differ_info, first)


@dataclass(frozen=True, slots=True)
class PairModel:
    """Weights and thresholds of the pair decision (data/dedupe_model.json)."""

    weights: dict[str, float]
    bias: float
    accept: float  # P(same) at or above: same question
    review: float  # P(same) at or above (below accept): gray zone, listed by `qbank review`
    related_shared: float  # not same, shared share at or above ...
    related_cosine: float  # ... and cosine at or above: related
    embedding: str  # the embedding model the weights were fitted with
    modifier_veto: float = 2.0  # a compound modifier at least this rare makes a pair not the same, whatever P
    fitted_on: str = ""
    _vector: tuple[float, ...] = ()  # weights in FEATURES order

    def __post_init__(self) -> None:
        object.__setattr__(self, "_vector", tuple(self.weights[name] for name in FEATURES))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> PairModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        missing = set(FEATURES) - set(data["weights"])
        if missing:
            raise ValueError(f"{path}: no weight for {', '.join(sorted(missing))}; run bench/dedup_quality/fit.py")
        keys = ("bias", "accept", "review", "related_shared", "related_cosine", "embedding")
        return cls(weights={k: float(v) for k, v in data["weights"].items()}, fitted_on=data.get("fitted_on", ""),
                   modifier_veto=float(data.get("modifier_veto", 2.0)), **{k: data[k] for k in keys})  # fmt: skip

    def probability(self, ev: PairEvidence) -> float:
        z = self.bias + sum(map(operator.mul, self._vector, ev.values))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def level(self, ev: PairEvidence, p: float) -> str:
        """`same`, `related` or `different` for a pair with evidence `ev` and probability `p`."""
        if p >= self.accept and ev.values[_INDEX["modifier"]] < self.modifier_veto:
            return "same"
        if ev.shared >= self.related_shared and ev.get("cosine") >= self.related_cosine:
            return "related"
        return "different"

    def rule(self, ev: PairEvidence, p: float) -> str:
        """A short name for why the pair was decided so (shown by `qbank explain`)."""
        level = self.level(ev, p)
        if level == "same":
            return "model:same"
        why = ("aspect" if ev.get("aspect_clash") else "key_term" if ev.get("substitution")
               else "subset" if ev.get("modifier") else "low")  # fmt: skip
        term = f":{ev.first_term}" if ev.first_term and why != "aspect" else ""
        return f"model:{level}:{why}{term}"


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> PairModel:
    return PairModel.load(path)


def write_model(path: Path, weights: Iterable[float], bias: float, **fields: object) -> None:
    """Write fitted weights as data/dedupe_model.json (bench/dedup_quality/fit.py)."""
    data = {"features": list(FEATURES), "weights": dict(zip(FEATURES, (round(w, 6) for w in weights), strict=True)),
            "bias": round(bias, 6), **fields}  # fmt: skip
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
