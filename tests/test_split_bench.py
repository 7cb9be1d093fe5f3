"""The extraction gate's scoring, and the gate itself on our labelled documents (bench/extraction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.extraction.corpus import Score, corpus_documents, score_document
from bench.extraction.run import BASELINE, labelled_docs, read_doc, score_labelled, score_seed
from qbank.records import QAItem


def _item(question: str, answer: str | None) -> QAItem:
    return QAItem("f", 0, question, question, answer, answer, None)


def test_scoring_matches_after_normalisation_and_checks_answer_presence() -> None:
    expected = [{"q": "What is a GAN?", "answer": True}, {"q": "Explain dropout", "answer": False},
                {"q": "What is RAG?", "answer": True}]
    items = [_item("what is a gan", "Two networks."), _item("Explain dropout.", "Random zeroing."),
             _item("Subscribe to our newsletter?", None)]
    score, missed, spurious = score_labelled(items, expected)
    assert (score.expected, score.predicted, score.matched, score.attached) == (3, 3, 2, 1)
    assert missed == ["What is RAG?"] and spurious == ["Subscribe to our newsletter?"]
    assert round(score.f1, 3) == 0.667 and score.attachment == 0.5


def test_seed_score_is_count_based() -> None:
    items = [_item(f"Q{i}?", "a" if i < 3 else None) for i in range(10)]
    score = score_seed(items, (12, 5))
    assert (score.matched, score.attached) == (10, 8)
    assert Score().f1 == 1.0  # nothing expected, nothing found


def test_labelled_documents_meet_the_floors() -> None:
    floors = json.loads(BASELINE.read_text())["ours"]
    total = Score()
    for source, expected in labelled_docs():
        total += score_labelled(read_doc(source), expected)[0]
    assert total.expected >= floors["expected"]
    assert total.f1 >= floors["f1"] and total.attachment >= floors["attachment"]


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus (real documents, not in this repository) is absent")
def test_real_documents_meet_the_floors() -> None:
    floors = json.loads(BASELINE.read_text())["corpus"]
    scores = [score_document(source.name, read_doc(source), truth) for source, truth in corpus_documents(CORPUS)]
    total = Score()
    for s in scores:
        total += s
    mean_f1 = sum(s.f1 for s in scores) / len(scores)
    assert total.expected >= floors["expected"]
    assert total.f1 >= floors["f1"] and mean_f1 >= floors["mean_f1"], (round(total.f1, 3), round(mean_f1, 3))
    assert total.attachment >= floors["attachment"], round(total.attachment, 3)
