"""Topic tagging: taxonomy terms in each question, its answer and its headings, then similarity where terms are silent.

Terms: spaCy's blank English tokenizer, the English lookup lemma table of spacy-lookups-data and one
PhraseMatcher built from `data/taxonomy.yaml`, so "Decision Trees" matches the term "decision tree" and
"CNNs" the term "CNN", always as whole tokens. Text is lowercased first (the lookup table is case-sensitive).

Speed: the lookup lemma of every word that can lead to a term is stored once as that word's NORM in the
tagger's own vocab, and the matcher runs on NORM. That is what spaCy's lookup lemmatizer computes, without
its per-token Python (which, with the tokenizer, was the whole cost). The embedding is computed only for
the questions whose terms leave the decision open.

Decision, per question (weights and thresholds in `TagSettings`, fitted with bench/tagging):
1. A question that names a topic with a full term: every distinct term of the question counts 1 (a `weak`
   term `weak_weight`), terms of the answer `answer_weight` each and at most `answer_cap` per topic. Topics
   reaching `min_score` that a full term backs (in the question, answer or heading) and that the question
   or answer names are tagged; headings add no topic to such a question.
2. A question without a full term of its own: its weak words, answer, nearest heading (`section_weight`),
   the headings above (`path_weight`) and its similarity to each topic's prototype (`qbank.embed`: the mean
   embedding of the topic's label, description and examples; `embedding_weight` per unit above
   `embedding_floor`) add up; the best topic, and those within `fallback_tie` of it, are tagged when it
   reaches `fallback_min` (none when more than `max_fallback_topics` tie).
3. A topic that `yields_to` another chosen one is dropped; at most `max_topics` are kept (highest evidence,
   then similarity). A question the classifier calls behavioral gets `kind_weight` toward the topics that
   list that kind in `for_kinds`; the page's headings and weak words add no other topic to it.
A sub-question is read together with its stem (`QAItem.parent`). A tagged child topic implies its parent.
Every tag keeps its evidence: the terms (marked `answer:`, `section:`, `heading:`), `similar: 0.42`,
`kind: behavioral` or `implied by <child>`.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import get_args

import numpy
import spacy
import spacy_lookups_data
import yaml
from spacy.attrs import IDX, NORM
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import load_language_data
from spacy.vocab import Vocab

from qbank import embed
from qbank.errors import QbankError
from qbank.records import Kind, QAItem, Question, TopicRow, TopicTag
from qbank.settings import TagSettings

# Separators inside terms ("k-NN", "CI/CD", "bias–variance") become spaces so every spelling tokenizes alike.
_FOLD = str.maketrans({c: " " for c in "-\u2010\u2011\u2012\u2013\u2014\u2015/_"} | {"\u2019": "'", "\u2018": "'"})
STRONG, WEAK = "terms", "weak"
_SEP = "\n\n"


class TaxonomyError(QbankError):
    """The taxonomy file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Topic:
    """One taxonomy entry and the terms that signal it."""

    id: str
    label: str
    description: str | None
    parent: str | None
    terms: tuple[str, ...]
    weak: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # typical questions: with label and description, the embedding prototype
    yields_to: tuple[str, ...] = ()  # topics that take the question instead when both are found
    for_kinds: tuple[str, ...] = ()  # question kinds (qbank.classify) that lean to this topic


def load_taxonomy(path: Path) -> list[Topic]:
    """Read and check `path` (unique ids, known parents, no cycles, at least one term per topic)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"cannot read taxonomy {path}: {exc}") from exc
    entries = (data or {}).get("topics") if isinstance(data, dict) else None
    if not entries:
        raise TaxonomyError(f"taxonomy {path} has no 'topics' list")
    topics = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("terms"):
            raise TaxonomyError(f"taxonomy {path}: every topic needs an id and terms, got {entry!r}")
        topics.append(
            Topic(
                id=str(entry["id"]),
                label=str(entry.get("label") or entry["id"]),
                description=entry.get("description"),
                parent=entry.get("parent"),
                terms=tuple(str(t) for t in entry["terms"]),
                weak=tuple(str(t) for t in entry.get("weak") or ()),
                examples=tuple(str(e) for e in entry.get("examples") or ()),
                yields_to=tuple(str(y) for y in entry.get("yields_to") or ()),
                for_kinds=tuple(str(k) for k in entry.get("for_kinds") or ()),
            )
        )
    ids = [t.id for t in topics]
    if len(set(ids)) != len(ids):
        raise TaxonomyError(f"taxonomy {path}: duplicate topic ids")
    parents = {t.id: t.parent for t in topics}
    for topic in topics:
        if topic.parent is not None and topic.parent not in parents:
            raise TaxonomyError(f"taxonomy {path}: topic {topic.id} has unknown parent {topic.parent}")
        if len(_ancestors(topic.id, parents)) >= len(topics):
            raise TaxonomyError(f"taxonomy {path}: parent cycle through {topic.id}")
        unknown = [y for y in topic.yields_to if y not in parents]
        if unknown:
            raise TaxonomyError(f"taxonomy {path}: topic {topic.id} yields to unknown topics {unknown}")
        odd = [k for k in topic.for_kinds if k not in get_args(Kind)]
        if odd:
            raise TaxonomyError(f"taxonomy {path}: topic {topic.id} lists unknown kinds {odd} (known: {get_args(Kind)})")
    return topics


def _ancestors(topic: str, parents: dict[str, str | None]) -> list[str]:
    """Parent, grandparent, ... of `topic` (stops after len(parents) steps, so a cycle cannot hang)."""
    chain: list[str] = []
    current = parents.get(topic)
    while current is not None and len(chain) <= len(parents):
        chain.append(current)
        current = parents.get(current)
    return chain


def fold_text(text: str) -> str:
    """Lowercase, drop accents ("naïve" -> "naive"), turn hyphens, dashes and slashes into spaces."""
    text = text.lower()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.translate(_FOLD)


def _term_variants(term: str) -> list[str]:
    """The folded term and its plural ("llm" -> "llms"): the lookup table does not know abbreviations.

    A plural that the table knows as another word is left out: "tries" is "try", so the term "trie"
    would match every "try".
    """
    folded = " ".join(fold_text(term).split())
    if folded.endswith("s"):
        return [folded]
    last = folded.rsplit(" ", 1)[-1]
    plural_lemma = _lemma(last + "s")
    return [folded, folded + "s"] if plural_lemma in (last + "s", _lemma(last)) else [folded]


@lru_cache(maxsize=1)
def _lemma_table() -> dict[str, str]:
    """spacy-lookups-data's English lookup lemmas (~40,000 words), read once per process."""
    return load_language_data(spacy_lookups_data.en["lemma_lookup"])


def _lemma(word: str) -> str:
    """The lookup lemma of a lowercase word; the word itself when the lemma would change its first letter,
    and for "-ing" forms.

    The table maps "ai" and "'s" to "have", which would make the abbreviation "AI" match every "have";
    suppletive forms (was -> be) never matter for topic terms. An "-ing" word names a field or a technique
    more often than it conjugates a verb: "networking" is not "network" (neural networks), "clustering" not
    "cluster" (a clustered index), "pooling" not "pool" (a connection pool). A term that should match the verb
    lists its base form ("train" beside "training").
    """
    found = _lemma_table().get(word, word)
    if found[:1] != word[:1] or (word.endswith("ing") and found != word):
        return word
    return found


# Evidence of one text: topic -> term -> weight (1.0, or weak_weight for a weak term).
Evidence = dict[str, dict[str, float]]
# Per topic: summed evidence; the topics a full term backs.
_Scores = tuple[dict[str, float], set[str]]


class Tagger:
    """Tags questions with taxonomy topics. Build once per run; `tag` is pure over its input."""

    def __init__(self, topics: Sequence[Topic], settings: TagSettings) -> None:
        self.topics = list(topics)
        self.settings = settings
        self._parents = {t.id: t.parent for t in self.topics}
        self.nlp = spacy.blank("en")
        term_words = {w for t in self.topics for term in (*t.terms, *t.weak) for w in _term_variants(term)}
        _lemmas_as_norms(self.nlp.vocab, [self.nlp.make_doc(w) for w in term_words])
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self._keys: dict[int, tuple[str, float]] = {}  # match id -> (topic, weight)
        self._terms: dict[tuple[int, tuple[int, ...]], str] = {}  # (match id, lemma ids) -> taxonomy term
        for topic in self.topics:
            for strength, terms, weight in ((STRONG, topic.terms, 1.0), (WEAK, topic.weak, settings.weak_weight)):
                if not terms:
                    continue
                key = f"{topic.id}|{strength}"
                match_id = self.nlp.vocab.strings.add(key)
                self._keys[match_id] = (topic.id, weight)
                variants = [(term, v) for term in terms for v in _term_variants(term)]
                patterns = [self.nlp.make_doc(v) for _, v in variants]
                self.matcher.add(key, patterns)
                for (term, _), pattern in zip(variants, patterns, strict=True):
                    self._terms.setdefault((match_id, tuple(pattern.to_array(NORM).tolist())), term)

        self._yields = {t.id: set(t.yields_to) for t in self.topics if t.yields_to}
        self._kind_topics: dict[str, set[str]] = defaultdict(set)  # kind -> topics it leans to
        for topic in self.topics:
            for kind in topic.for_kinds:
                self._kind_topics[kind].add(topic.id)
        self._prototypes = self._prototype_vectors() if settings.use_embeddings else None

    def _prototype_vectors(self) -> numpy.ndarray:
        """One unit vector per topic: the mean of the embeddings of its label + description and its examples."""
        rows = []
        for topic in self.topics:
            texts = [f"{topic.label}. {topic.description or ''}", *topic.examples]
            mean = embed.embed(texts).mean(axis=0)
            rows.append(mean / max(float(numpy.linalg.norm(mean)), 1e-9))
        return numpy.vstack(rows).astype(numpy.float32)

    def similarities(self, texts: Sequence[str]) -> numpy.ndarray:
        """Cosine of each text with each topic's prototype: shape (len(texts), topics), in taxonomy order."""
        if self._prototypes is None:
            return numpy.zeros((len(texts), len(self.topics)), dtype=numpy.float32)
        return embed.embed(list(texts), batch_size=self.settings.batch_size) @ self._prototypes.T

    @classmethod
    def from_taxonomy(cls, path: Path, settings: TagSettings) -> Tagger:
        """A tagger for the taxonomy file at `path`."""
        return cls(load_taxonomy(path), settings)

    def taxonomy_rows(self) -> list[TopicRow]:
        """One row per topic, for the warehouse `topics` table."""
        return [TopicRow(t.id, t.label, t.description, t.parent) for t in self.topics]

    def tag(self, questions: Sequence[Question]) -> list[TopicTag]:
        """Topic tags for every question (multi-label), ordered by question then descending score."""
        cap = self.settings.answer_chars
        folded = [fold_text(_asked(q.item)) for q in questions]
        # One doc per question: its text, a paragraph break no term can span, the opening of its answer.
        texts = (f"{q}{_SEP}{fold_text(_opening(x.item.answer_text or '', cap))}" for q, x in zip(folded, questions))
        docs = self.nlp.tokenizer.pipe(texts, batch_size=self.settings.batch_size)
        headings = sorted({h for q in questions for h in (q.item.section, _outer(q.item)) if h})
        heading_ev = dict(zip(headings, self.evidence(headings), strict=True))
        found = []
        for question, text, doc in zip(questions, folded, docs, strict=True):
            q_ev, a_ev = self._doc_evidence(doc, len(text))
            s_ev = heading_ev.get(question.item.section or "", {})
            o_ev = heading_ev.get(_outer(question.item), {})
            found.append(_Found(question.question_id, q_ev, a_ev, s_ev, o_ev, question.item.kind))
        scored = [self._scores(f) for f in found]
        by_terms = [self._by_terms(f, sc) for f, sc in zip(found, scored, strict=True)]
        # The embedding is read only where the terms leave the decision open (no full term of the question's
        # own, or more topics than max_topics): most questions never need it.
        open_ = [i for i, chosen in enumerate(by_terms) if not chosen or len(chosen) > self.settings.max_topics]
        sims = self.similarities([_asked(questions[i].item) for i in open_])
        similarity = dict(zip(open_, sims, strict=True))
        tags: list[TopicTag] = []
        for i, (f, sc, chosen) in enumerate(zip(found, scored, by_terms, strict=True)):
            tags.extend(self._decide(f, sc, chosen, similarity.get(i)))
        return tags

    def evidence(self, texts: Iterable[str]) -> list[Evidence]:
        """Matched taxonomy terms per topic for each text."""
        docs = self.nlp.tokenizer.pipe((fold_text(t) for t in texts), batch_size=self.settings.batch_size)
        return [self._doc_evidence(doc, None)[0] for doc in docs]

    def _doc_evidence(self, doc: Doc, boundary: int | None) -> tuple[Evidence, Evidence]:
        """Terms matched before character `boundary` (the question) and after it (the answer).

        Among overlapping matches only the longest count, and a term counts once however it is inflected
        ("training", "trained"); the evidence names the taxonomy term.
        """
        before: Evidence = defaultdict(dict)
        after: Evidence = defaultdict(dict)
        matches = self.matcher(doc)
        if not matches:
            return before, after
        lemmas = doc.to_array(NORM).tolist()
        split_token = len(doc) if boundary is None else int(numpy.searchsorted(doc.to_array(IDX), boundary))
        for match_id, start, end in _longest(matches):
            topic, weight = self._keys[match_id]
            term = self._terms.get((match_id, tuple(lemmas[start:end])), "?")
            (before if start < split_token else after)[topic][term] = weight
        return before, after

    def _sources(self, f: _Found) -> Iterator[tuple[str, str, dict[str, float], float, float | None]]:
        """(label, topic, terms, weight, cap) for every piece of term evidence the question may use."""
        st = self.settings
        people = self._kind_topics.get(f.kind or "", set())
        sources = ((f.q_ev, "", 1.0, None), (f.a_ev, "answer: ", st.answer_weight, st.answer_cap),
                   (f.s_ev, "section: ", st.section_weight, None), (f.o_ev, "heading: ", st.path_weight, None))  # fmt: skip
        for ev, label, factor, cap in sources:
            for topic, terms in ev.items():
                if people and topic not in people:
                    if ev is f.s_ev or ev is f.o_ev:
                        continue  # the page's headings name its technology, not the candidate's past
                    terms = {term: w for term, w in terms.items() if w == 1.0}  # "estimate", "environment": plain words here
                    if not terms:
                        continue
                yield label, topic, terms, factor, cap

    def _scores(self, f: _Found) -> _Scores:
        """Per topic: summed evidence, and the topics a full (not weak) term backs in the question, answer or heading."""
        scores: dict[str, float] = defaultdict(float)
        strong: set[str] = set()
        for topic in self._kind_topics.get(f.kind or "", ()):  # "Tell me about a time ...": about the candidate
            scores[topic] += self.settings.kind_weight
        for label, topic, terms, factor, cap in self._sources(f):
            value = factor * sum(terms.values())
            scores[topic] += value if cap is None else min(cap, value)
            if label != "heading: " and 1.0 in terms.values():
                strong.add(topic)
        return scores, strong

    def _notes(self, f: _Found, topic: str) -> list[str]:
        """The evidence of one chosen topic, in words: its terms (marked by where they were found), the kind."""
        notes = [f"kind: {f.kind}"] if topic in self._kind_topics.get(f.kind or "", ()) else []
        for label, found, terms, _, _ in self._sources(f):
            if found == topic:
                notes.extend(label + term for term in terms)
        return notes

    def _by_terms(self, f: _Found, scored: _Scores) -> dict[str, float]:
        """Topics a full term of the question's own text decides; empty when it has none."""
        if not any(w == 1.0 for terms in f.q_ev.values() for w in terms.values()):
            return {}
        scores, strong = scored
        # The heading says what a page is about, not each question: a question that names a topic of its
        # own does not take the heading's too ("How are CNNs used in vision?" under "NLP"); generic words
        # ("AI model") do not add a topic next to one that has a real term.
        chosen = {t: v for t, v in scores.items()
                  if v >= self.settings.min_score and (t in f.q_ev or t in f.a_ev) and t in strong}  # fmt: skip
        return self._yield(chosen)

    def _decide(self, f: _Found, scored: _Scores, by_terms: dict[str, float], sims: numpy.ndarray | None) -> list[TopicTag]:
        """Combine the evidence of one question (terms of question, answer, headings; similarity) into tags."""
        st = self.settings
        scores, _ = scored
        chosen = by_terms
        similar: dict[str, float] = {}
        if sims is not None:
            similar = {t.id: float(v) for t, v in zip(self.topics, sims, strict=True)}
        if not chosen:
            # No term of its own decides: weak words, the answer, the headings and the similarity to each
            # topic's prototype together pick the best topic (and any within `fallback_tie` of it).
            combined = {t: scores.get(t, 0.0) + st.embedding_weight * max(0.0, similar.get(t, 0.0) - st.embedding_floor)
                        for t in scores.keys() | similar.keys()}  # fmt: skip
            best = max(combined.values(), default=0.0)
            chosen = {t: v for t, v in combined.items() if v > 0 and v >= max(st.fallback_min, best - st.fallback_tie)}
            chosen = self._yield(chosen)
            if len(chosen) > st.max_fallback_topics:  # generic words pointing everywhere say nothing
                chosen = {}
        if len(chosen) > st.max_topics:
            ranked = sorted(chosen, key=lambda t: (-chosen[t], -similar.get(t, 0.0), t))
            chosen = {t: chosen[t] for t in ranked[: st.max_topics]}
        result = {}
        for topic, value in chosen.items():
            evidence = self._notes(f, topic)
            if topic in similar and similar[topic] > st.embedding_floor and topic not in by_terms:
                evidence.append(f"similar: {similar[topic]:.2f}")
            result[topic] = (min(1.0, value), "; ".join(evidence))
        for topic, (score, _) in list(result.items()):
            for parent in _ancestors(topic, self._parents):
                if parent not in result or result[parent][0] < score:
                    result[parent] = (score, f"implied by {topic}")
        ordered = sorted(result.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [TopicTag(f.question_id, topic, round(score, 3), ev) for topic, (score, ev) in ordered]

    def _yield(self, chosen: dict[str, float]) -> dict[str, float]:
        """Drop the topics that yield to another chosen one (`yields_to` in the taxonomy)."""
        return {t: v for t, v in chosen.items() if not (self._yields.get(t, set()) & chosen.keys())}


@dataclass(frozen=True, slots=True)
class _Found:
    """The term evidence of one question: its text, its answer, its heading, the headings above that."""

    question_id: str
    q_ev: Evidence
    a_ev: Evidence
    s_ev: Evidence
    o_ev: Evidence
    kind: str | None = None  # the question's kind, from qbank.classify


def _asked(item: QAItem) -> str:
    """What the question asks: a sub-question reads with its stem ("k-means clustering." + "Compare the two.")."""
    return f"{item.parent} {item.question}" if item.parent else item.question


def _outer(item: QAItem) -> str:
    """The headings above the nearest one, outermost first ("Python questions / Basics")."""
    path = item.section_path[:-1] if item.section_path and item.section_path[-1] == item.section else item.section_path
    return " / ".join(path or ())


def _longest(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Matches not inside a longer one ("logistic regression" hides "regression"); equal spans all stay."""
    if len(matches) < 2:
        return matches
    kept = []
    reach = -1  # furthest end among earlier spans that differ from the current one
    group: tuple[int, int] | None = None
    group_reach = -1
    for match in sorted(matches, key=lambda m: (m[1], -m[2])):
        span = (match[1], match[2])
        if span != group:  # a new span: earlier spans (starting at or before it) may cover it
            group, group_reach = span, reach
            reach = max(reach, span[1])
        if group_reach < span[1]:
            kept.append(match)
    return kept


def _opening(text: str, max_chars: int) -> str:
    """The first `max_chars` characters of `text`, cut at a space."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > 0 else max_chars]


def _lemmas_as_norms(vocab: Vocab, term_docs: Sequence[Doc]) -> None:
    """Set NORM = lookup lemma for the term words and for every word whose lemma is one of theirs.

    Only those words can take part in a match, so the other ~40,000 entries of the table are skipped
    (see `_lemma` for the lemmas that are not used).
    """
    wanted = {_lemma(token.text) for doc in term_docs for token in doc}
    for word, found in _lemma_table().items():
        if found in wanted and found[:1] == word[:1]:
            vocab[word].norm_ = found
    for doc in term_docs:
        for token in doc:
            vocab[token.text].norm_ = _lemma(token.text)
