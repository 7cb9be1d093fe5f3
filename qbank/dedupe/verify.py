"""Decide whether two match keys are the same interview question.

rapidfuzz scores the keys' content words (token_set_ratio), and two guards reject what a string score
cannot see:

- subset: one question names a thing the other does not ("neural network" vs "convolutional neural
  network"); token_set_ratio and WRatio give ~100 here. An extra word is tolerated only when it does not
  modify a shared word (it is not right before one: "convolutional neural", "k-fold cross") and there are
  at most `max_extra_words` of them: "explain precision as a metric", "the transformer architecture".
- key_term: each names a thing the other does not ("k-means" vs "kNN", "L1" vs "L2", "precision" vs
  "recall"); short differing names score high on edit distance.

Content words are a key's words minus `weak_words` (data/filler.yaml: "use", "benefit", "work", ...),
which vary freely between paraphrases. Two differing words still count as one when they are a typo or
an inflection of each other (same first letter, rapidfuzz ratio >= word_typo_ratio, neither merely a
prefixed form of the other, so "supervised" and "unsupervised" stay apart).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rapidfuzz import fuzz

from qbank.settings import DedupeSettings

SCORER = "token_set_ratio"

# What is left of two inflected forms after their common prefix: English grammar, not a tunable.
_ENDINGS = frozenset({
    "", "e", "s", "es", "d", "ed", "ing", "er", "ers", "y", "ies", "ied", "ly", "al", "ally", "ic", "ical",
    "ion", "ions", "ation", "ations", "ize", "ise", "izes", "ises", "ized", "ised", "izing", "ising",
    "ization", "isation", "ity", "ities", "ness", "ment", "ments", "t", "ce", "nt", "nce", "ncy", "ive",
    "ate", "ated", "ates", "ating", "or", "ors", "ist", "ists", "ism", "ous", "ful", "ance", "ence", "ant",
    "ent", "cation", "cations", "ication", "ications", "ier", "iers", "ify", "ified", "ifies",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """A match key split into the words that decide identity."""

    key: str
    tokens: tuple[str, ...]  # all words of the key, in order
    content: tuple[str, ...]  # content words in key order, duplicates removed
    text: str  # content words joined: what rapidfuzz scores


@dataclass(frozen=True, slots=True)
class Verdict:
    score: float
    accepted: bool
    rule: str


def profile(key: str, weak: frozenset[str]) -> Profile:
    """Content words of a key; a key made only of weak words keeps them all ("machine learn")."""
    words = list(dict.fromkeys(key.split()))
    content = [w for w in words if w not in weak] or words
    return Profile(key=key, tokens=tuple(key.split()), content=tuple(content), text=" ".join(content))


def same_word(a: str, b: str, settings: DedupeSettings) -> bool:
    """True when two different words are one word misspelt or inflected ("regularisation", "regularization")."""
    if min(len(a), len(b)) < settings.min_typo_word_len or a[0] != b[0]:
        return False
    # "learning"/"learn" are inflections; "supervised"/"unsupervised" fail the first-letter test above.
    if a.startswith(b) or b.startswith(a):
        return True
    # Inflections differ in an ending only: "normalization"/"normalize", "important"/"importance"; but
    # "transfer"/"transformer" share as long a prefix and are two words, so the rests must be endings.
    stem = len(os.path.commonprefix([a, b]))
    if stem >= max(settings.min_typo_word_len, min(len(a), len(b)) - 2) and {a[stem:], b[stem:]} <= _ENDINGS:
        return True
    return fuzz.ratio(a, b) >= settings.word_typo_ratio


def unmatched_words(a: Profile, b: Profile, settings: DedupeSettings) -> tuple[list[str], list[str]]:
    """Content words of each side with no equal, typo or inflected counterpart on the other side."""
    only_b = [w for w in b.content if w not in a.content]
    only_a: list[str] = []
    for word in (w for w in a.content if w not in b.content):
        twin = next((w for w in only_b if same_word(word, w, settings)), None)
        if twin is None:
            only_a.append(word)
        else:
            only_b.remove(twin)
    _drop_compounds(only_a, only_b, b.tokens)
    _drop_compounds(only_b, only_a, a.tokens)
    return only_a, only_b


def _drop_compounds(words: list[str], other: list[str], other_tokens: tuple[str, ...]) -> None:
    """A closed compound is its two open words: "tradeoff" is "trade off", "dataset" is "data set"."""
    pairs = {x + y: (x, y) for x, y in zip(other_tokens, other_tokens[1:])}
    for word in [w for w in words if w in pairs]:
        words.remove(word)
        for part in pairs[word]:
            if part in other:
                other.remove(part)


def compare(a: Profile, b: Profile, settings: DedupeSettings, score: float | None = None) -> Verdict:
    """Score a pair and decide it; `score` may be passed when rapidfuzz already computed it in bulk."""
    if a.key == b.key:
        return Verdict(100.0, True, "exact_key")
    if score is None:
        score = getattr(fuzz, SCORER)(a.text, b.text)
    only_a, only_b = unmatched_words(a, b, settings)
    if only_a and only_b:
        return Verdict(score, False, f"key_term:{only_a[0]}|{only_b[0]}")
    if only_a or only_b:
        extra, side = (only_a, a) if only_a else (only_b, b)
        modifier = next((w for w in extra if _modifies_shared(w, side, extra)), None)
        if modifier is not None or len(extra) > settings.max_extra_words:
            return Verdict(score, False, f"subset:+{modifier or extra[0]}")
        if score < settings.threshold:
            return Verdict(score, False, "below_threshold")
        return Verdict(score, True, f"extra_word:+{extra[0]}")
    if score < settings.threshold:
        return Verdict(score, False, "below_threshold")
    return Verdict(score, True, "content_match")


def _modifies_shared(word: str, side: Profile, extra: list[str]) -> bool:
    """True when `word` stands before a word of the shared phrase ("convolutional" in "convolutional neural
    network", "recursive" in "recursive common table expression", "choose" in "choose the learning rate"):
    English puts a noun's modifiers, and a verb, in front of it. Only trailing context is tolerated."""
    tokens = side.tokens
    return any(tok == word and i + 1 < len(tokens) and tokens[i + 1] not in extra for i, tok in enumerate(tokens))
