"""Labelled questions of the real documents in ../shared/corpus, as the pipeline extracts them.

The documents are not ours to copy, so `corpus_labels.jsonl` stores only a document stem, the index of the
question in that document's truth file and our labels (`topics`, `kind`). At bench time every document is
extracted, split and classified exactly as `qbank ingest` does (`qbank.pipeline.process_source` minus the
fetch), and the extracted questions are matched one to one to the truth questions (bench/extraction/corpus.py:
NFKC, case and punctuation folded, difflib ratio >= 0.85). A labelled question the pipeline did not extract
is counted as missed, not scored: tagging is measured on the questions that reach it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench.extraction.corpus import align, corpus_documents
from bench.extraction.run import media_type
from extractors import extract
from qbank.classify import classify
from qbank.errors import SourceError
from qbank.records import QAItem, RawDocument
from qbank.settings import SplitSettings
from qbank.split import split


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One extracted question with the labels of the truth question it matched."""

    doc: str  # document stem
    index: int  # question index in the document's truth file
    item: QAItem  # as extract + split + classify produced it (kind filled)
    topics: tuple[str, ...]
    kind: str


def read_labels(path: Path) -> dict[tuple[str, int], dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["doc"], int(r["index"])): r for r in rows}


def labelled_items(corpus: Path, labels_path: Path) -> tuple[list[LabelledItem], int, int]:
    """(extracted labelled questions, labelled questions in all, labelled questions not extracted)."""
    labels = read_labels(labels_path)
    out: list[LabelledItem] = []
    for source, truth in corpus_documents(corpus):
        stem = source.stem
        wanted = {i for (doc, i) in labels if doc == stem}
        if not wanted:
            continue
        content = source.read_bytes()
        raw = RawDocument(str(source), hashlib.sha256(content).hexdigest(), media_type(source), content,
                          datetime.now(timezone.utc))  # fmt: skip
        try:
            doc = extract(raw)
        except SourceError:
            continue
        items, _ = split(doc, SplitSettings())
        items = classify(items, doc)
        truth_texts = [q.get("question_nfkc") or q["question"] for q in truth["questions"]]
        for i, j in align([it.question for it in items], truth_texts):
            if j in wanted:
                label = labels[(stem, j)]
                out.append(LabelledItem(stem, j, items[i], tuple(label["topics"]), label["kind"]))
    return out, len(labels), len(labels) - len(out)
