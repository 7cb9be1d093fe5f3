"""Match keys and stable question ids.

A match key is the question reduced to what decides "same question?": NFKC, lowercase, no numbering or
punctuation, no filler ("can you explain", "briefly", "in machine learning"), abbreviations and synonyms
expanded, hyphenated bound prefixes closed ("pre-processing" = "preprocessing"), and every word replaced by
its lemma (spaCy's English lookup lemmatizer from spacy-lookups-data; a plural it lacks loses its "s").

The wording lists live in data/filler.yaml (`Wording`); nothing here is keyed to one source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qbank.ids import TOKEN, id_text, question_id, question_ids  # ids: re-exported, once defined here
from qbank.records import QAItem, Question
from qbank.settings import DATA_DIR

FILLER_PATH = DATA_DIR / "filler.yaml"

# "1.", "1)", "Q1:", "Q.1", "Question 12 -", "(a)", "#3" at the start of a question.
_NUMBERING = re.compile(r"^\s*(?:(?:q(?:uestion)?\.?\s*)?#?\d+[a-z]?\s*[.):\-–—]*|\(?[a-z]\)|[ivx]+[.)])\s+", re.I)
# A one-letter prefix joined by a hyphen or slash names one thing: k-means, t-SNE, A/B, k-NN
# (but "F1-score" is two words).
_SHORT_PREFIX = re.compile(r"\b([a-z])[-/]([a-z0-9]+)\b")
# A bound prefix joined by a hyphen is written closed as often: pre-processing / preprocessing,
# hyper-parameter, non-linear, auto-encoder, over-fitting, multi-class. ("cross-", "self-" and "out-of-"
# are written open instead, so they are left alone.)
_BOUND_PREFIX = re.compile(
    r"\b(pre|post|non|multi|hyper|sub|semi|mini|micro|meta|re|un|inter|intra|over|under|anti|auto|bi|de|co|mis)"
    r"-(?=[^\W\d_])"
)


@dataclass(frozen=True, slots=True)
class Wording:
    """The wording lists of data/filler.yaml, compiled."""

    filler: re.Pattern[str]
    frames: re.Pattern[str]
    stopwords: frozenset[str]
    weak_words: frozenset[str]
    abbreviations: dict[str, str]

    @classmethod
    def load(cls, path: Path = FILLER_PATH) -> Wording:
        """Read and compile a wording file (see data/filler.yaml for its sections)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            filler=_alternation(data.get("filler", []), anchored=False),
            frames=_alternation(data.get("frames", []), anchored=True),
            stopwords=frozenset(data.get("stopwords", [])),
            weak_words=frozenset(data.get("weak_words", [])),
            abbreviations={str(k): str(v) for k, v in (data.get("abbreviations") or {}).items()},
        )


def _alternation(phrases: Iterable[str], anchored: bool) -> re.Pattern[str]:
    """One regex matching any phrase on word boundaries; longest first so "can you explain" beats "explain"."""
    ordered = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in ordered) or r"(?!x)x"
    prefix = r"^\s*" if anchored else r"(?<!\w)"
    return re.compile(prefix + "(?:" + body + r")(?!\w)")


@lru_cache(maxsize=4)
def wording(path: Path = FILLER_PATH) -> Wording:
    """The compiled wording lists, read once per path."""
    return Wording.load(path)


@lru_cache(maxsize=1)
def _lemma_table() -> Mapping[str, str]:
    """The English lookup lemma table, taken from a spaCy blank("en") pipeline's lemmatizer.

    We read the table once and look tokens up directly: with punctuation already stripped, spaCy's
    tokenizer adds nothing to a whitespace split, and the per-token Python overhead of `nlp.pipe` was
    the bottleneck at 1M questions (3.9 s vs 0.25 s per 50k in bench/dedup_scale).
    """
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    # spaCy's Table hashes string keys on lookup, so it is used as is (its items() yield hashes).
    return nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")


def surface_key(text: str, words: Wording) -> str:
    """Text before lemmatizing: NFKC, lowercase, numbering/filler/frames/punctuation removed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    # Accents are spelling variants here ("naïve", "naive"): drop combining marks after decomposing.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _NUMBERING.sub("", text, count=1)
    text = _SHORT_PREFIX.sub(r"\1\2", text)
    text = _BOUND_PREFIX.sub(r"\1", text)
    text = " ".join(TOKEN.findall(text.replace("'s ", " ").replace("'", "")))
    stripped = " ".join(words.filler.sub(" ", text).split())
    # Frames can nest ("can you explain what is X"): strip until nothing changes.
    while True:
        shorter = words.frames.sub("", stripped, count=1).strip()
        if shorter == stripped.strip():
            break
        stripped = shorter
    # A question that was all frame ("What is it?") keeps its words rather than an empty key.
    return " ".join(stripped.split()) or text


def _singular(word: str) -> str:
    """A plural the lemma table does not know (domain words: "embeddings", "autoencoders", "logits") loses
    its "s"; words ending in -ss, -us, -is, -as ("loss", "corpus", "analysis", "pandas") are not plurals."""
    if len(word) >= 5 and word.endswith("s") and word[-2] not in "suia" and word.isalpha():
        return word[:-1]
    return word


def match_keys(texts: Sequence[str], words: Wording | None = None) -> list[str]:
    """Match keys for many texts; repeated texts and tokens are computed once."""
    words = words or wording()
    table = _lemma_table()
    lemma_cache: dict[str, tuple[str, ...]] = {}

    def lemmas(part: str) -> tuple[str, ...]:
        lemma = table.get(part)
        if lemma is None:
            single = _singular(part)
            lemma = table.get(single, single)  # "embeddings" -> "embedding" -> "embed", as "embedding" is
        # A synonym listed by its base form also covers its inflections: "avoided" -> "avoid" -> "prevent".
        synonym = words.abbreviations.get(lemma) if lemma != part else None
        return tuple(table.get(p, p) for p in synonym.split()) if synonym else (lemma,)

    key_cache: dict[str, str] = {}
    keys: list[str] = []
    for text in texts:
        key = key_cache.get(text)
        if key is None:
            out: list[str] = []
            for token in surface_key(text, words).split():
                # Stopwords are dropped before lemmatizing too: the lookup table maps "does" to "doe".
                if token in words.stopwords:
                    continue
                expanded = words.abbreviations.get(token)
                for part in (expanded.split() if expanded else (token,)):
                    found = lemma_cache.get(part)
                    if found is None:
                        found = lemma_cache[part] = lemmas(part)
                    out.extend(lemma for lemma in found if lemma not in words.stopwords)
            key = key_cache[text] = " ".join(out) or surface_key(text, words)
        keys.append(key)
    return keys


def lemma_text(text: str) -> str:
    """Lowercase words of a text, each replaced by its lemma, stopwords kept ("Why was it avoided?" ->
    "why be it avoid"): what cue phrases (data/filler.yaml `aspects`) are matched against."""
    table = _lemma_table()
    tokens = TOKEN.findall(unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("'", ""))
    return " ".join(table.get(token, token) for token in tokens)


def match_key(text: str, words: Wording | None = None) -> str:
    """The normalized text used to find duplicates, e.g. "Can you explain CNNs?" -> "convolutional neural network"."""
    return match_keys([text], words)[0]


def matching_text(question: str, parent: str | None) -> str:
    """What a question is matched on: a sub-question reads with its stem ("k-means clustering." + "How would you
    choose k?" is not the kNN question of the same words)."""
    return f"{parent} {question}" if parent else question


def to_questions(items: Sequence[QAItem], words: Wording | None = None) -> list[Question]:
    """Questions with stable ids and match keys, in the order given."""
    keys = match_keys([matching_text(item.question, item.parent) for item in items], words)
    ids = question_ids((item.source_uri, item.question) for item in items)
    return [Question(question_id=qid, item=item, match_key=key) for item, qid, key in zip(items, ids, keys, strict=True)]
