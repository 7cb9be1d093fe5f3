"""Structural facts about the real seed articles (skipped when /work/shared/seeds is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors import extract
from qbank.records import StructuredDoc
from tests.test_extract_support import raw_doc

SEEDS = Path("/work/shared/seeds")
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not available")


def _seed(prefix: str) -> StructuredDoc:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return extract(raw_doc(path.read_bytes(), uri=str(path), media_type="text/plain"))


def test_seed_000_is_markdown_with_front_matter_and_nested_answers():
    doc = _seed("000")
    assert doc.format == "markdown"
    assert doc.title and doc.title == doc.metadata["term"]
    assert {"author", "tags", "pubDate"} <= doc.metadata.keys()
    questions = [b for b in doc.blocks if b.kind == "list_item" and b.depth == 0 and b.ordered and b.bold]
    assert len(questions) >= 15
    assert [q.number for q in questions[:3]] == [1, 2, 3]
    answer_cue = doc.blocks[questions[0].order + 1]
    assert answer_cue.kind == "paragraph" and answer_cue.bold and answer_cue.depth == 1
    assert max(b.depth for b in doc.blocks) >= 3
    assert {b.level for b in doc.blocks if b.kind == "heading"} >= {2, 3, 4}


def test_seed_001_text_has_title_and_sections():
    doc = _seed("001")
    assert doc.format == "text"
    assert doc.title is not None
    assert sum(1 for b in doc.blocks if b.kind == "heading" and b.level == 2) >= 8
    assert sum(1 for b in doc.blocks if b.kind == "paragraph" and b.text.endswith("?")) >= 100


def test_seed_002_bullets_and_colon_cues():
    doc = _seed("002")
    assert doc.format == "text"
    assert sum(1 for b in doc.blocks if b.kind == "list_item" and b.depth == 0) >= 20
    cues = [b for b in doc.blocks if b.kind == "paragraph" and b.text.endswith(":")]
    assert len(cues) >= 8


def test_seed_003_numbered_questions_with_answer_paragraphs():
    doc = _seed("003")
    assert doc.format == "text"
    numbered = [b for b in doc.blocks if b.kind == "list_item" and b.ordered]
    assert len(numbered) >= 40
    assert sum(1 for b in numbered if b.number == 1) >= 3  # numbering restarts per level section
    headings = [b for b in doc.blocks if b.kind == "heading"]
    assert len(headings) >= 3
    following = [doc.blocks[b.order + 1] for b in numbered[:10]]
    assert all(b.kind == "paragraph" for b in following)
