"""Builders of pipeline records for the warehouse, export and query tests (no fetching or extraction).

`load(wh, n, corpus)` loads a corpus {source_uri: [(question, answer, kind, level, topics), ...]} as run n,
deduplicating by exact match key the way the real deduper's exact stage does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from qbank.normalize import question_id
from qbank.records import (
    ClusterAssignment,
    DedupeResult,
    Failure,
    Match,
    QAItem,
    Question,
    RawDocument,
    Rejected,
    RunInfo,
    RunSummary,
    SourceResult,
    StructuredDoc,
    TopicRow,
    TopicTag,
)
from warehouse.store import Warehouse

Entry = tuple[str, str | None, str, str | None, tuple[str, ...]]  # question, answer, kind, level, topics

TAXONOMY = (
    TopicRow("ml", "Machine learning", "Models that learn from data"),
    TopicRow("deep_learning", "Deep learning", "Neural networks", parent="ml"),
    TopicRow("nlp", "Natural language processing", "Text and language models", parent="ml"),
    TopicRow("teamwork", "Teamwork", "Working with others"),
)

CORPUS: dict[str, list[Entry]] = {
    "/data/articles/ml-basics.md": [
        ("What is overfitting?", "The model memorises **noise** in the training set.", "technical", "beginner", ("ml",)),
        ("Explain the bias-variance tradeoff.", "Simpler models underfit; complex ones overfit.", "technical",
         "intermediate", ("ml",)),
        ("What is a transformer?", None, "technical", "advanced", ("deep_learning", "nlp")),
    ],
    "https://example.com/interview/deep-learning": [
        ("What is overfitting?", "Fitting the training data too closely to generalise.", "technical", "beginner",
         ("ml",)),
        ("How does dropout work?", "It zeroes random activations during training.", "technical", "intermediate",
         ("deep_learning",)),
        ("Reverse a linked list in place.", "Walk the list, flipping each `next` pointer.", "coding",
         "intermediate", ()),
    ],
    "/data/articles/behavioral.txt": [
        ("Tell me about a time you disagreed with a teammate.", None, "behavioral", None, ("teamwork",)),
    ],
}  # fmt: skip


def match_key(text: str) -> str:
    return " ".join(text.lower().rstrip("?.").split())


def cluster_id(founder: str) -> str:
    return "c_" + hashlib.sha256(founder.encode()).hexdigest()[:16]


def run_info(n: int) -> RunInfo:
    return RunInfo(f"r_2026010{n}T000000_{n:04x}", datetime(2026, 1, n, tzinfo=timezone.utc), "settings-hash")


def source_result(uri: str, entries: Sequence[Entry], version: str = "v1") -> tuple[SourceResult, list[Question]]:
    """A successfully processed source and its questions."""
    sha = hashlib.sha256(f"{uri}{version}{entries}".encode()).hexdigest()
    raw = RawDocument(uri, sha, "text/markdown", b"", datetime(2026, 1, 1, tzinfo=timezone.utc), etag='"e1"')
    doc = StructuredDoc(uri, sha, "markdown", f"Title of {uri}", (), {"author": "someone"})
    items = tuple(
        QAItem(uri, i, q, q, answer, answer, "Questions", ("Questions",), rule="test", kind=kind, level=level)
        for i, (q, answer, kind, level, _) in enumerate(entries)
    )
    rejected = (Rejected(uri, "Table of contents", "heading", None, 0),)
    questions = [Question(question_id(uri, it.question), it, match_key(it.question)) for it in items]
    return SourceResult(uri, raw, doc, items, rejected), questions


def failed_result(uri: str, reason: str = "HTTP 503 from server; retry later") -> SourceResult:
    return SourceResult(uri, None, failure=Failure(uri, "fetch", reason))


def unchanged_result(uri: str) -> SourceResult:
    return SourceResult(uri, None, unchanged=True)


def dedupe_exact(wh: Warehouse, questions: Sequence[Question]) -> DedupeResult:
    """Same match key -> same cluster (an existing one when the key is already loaded)."""
    members = wh.existing_members()
    known = {m.question_id for m in members}
    by_key = {m.match_key: (m.cluster_id, m.question_id) for m in members}
    assignments, matches, canonical = [], [], {}
    for q in questions:
        if q.question_id in known:
            continue  # already loaded: the warehouse keeps its cluster
        if q.match_key in by_key:
            cid, other = by_key[q.match_key]
            assignments.append(ClusterAssignment(q.question_id, cid, "exact_key"))
            matches.append(Match(q.question_id, other, 100.0, "exact", True, "exact_key"))
        else:
            by_key[q.match_key] = (cluster_id(q.question_id), q.question_id)
            canonical[cluster_id(q.question_id)] = q.question_id
            assignments.append(ClusterAssignment(q.question_id, cluster_id(q.question_id), "new_cluster"))
    return DedupeResult(tuple(assignments), tuple(matches), (), canonical)


def tags_for(corpus: Mapping[str, Sequence[Entry]], questions: Sequence[Question]) -> list[TopicTag]:
    topics = {(uri, e[0]): e[4] for uri, entries in corpus.items() for e in entries}
    return [
        TopicTag(q.question_id, topic, 1.0, q.item.question.split()[-1])
        for q in questions
        for topic in topics.get((q.item.source_uri, q.item.question), ())
    ]


def load(
    wh: Warehouse,
    n: int,
    corpus: Mapping[str, Sequence[Entry]] = CORPUS,
    *,
    failed: Sequence[str] = (),
    unchanged: Sequence[str] = (),
    version: str = "v1",
) -> RunSummary:
    """Load `corpus` as run n, plus failed and unchanged sources."""
    results, questions = [], []
    for uri, entries in corpus.items():
        result, qs = source_result(uri, entries, version)
        results.append(result)
        questions.extend(qs)
    results += [failed_result(uri) for uri in failed] + [unchanged_result(uri) for uri in unchanged]
    dedupe = dedupe_exact(wh, questions)
    return wh.load_run(run_info(n), results, questions, dedupe, tags_for(corpus, questions), TAXONOMY)
