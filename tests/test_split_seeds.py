"""The four seed articles split into exactly the interview questions they hold (counts from the seed README)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from extractors import extract
from qbank.records import QAItem, RawDocument, Rejected
from qbank.settings import SplitSettings
from qbank.split import split

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not present (../shared/seeds)")


def _split(name: str) -> tuple[list[QAItem], list[Rejected]]:
    content = (SEEDS / name).read_bytes()
    raw = RawDocument(str(SEEDS / name), hashlib.sha256(content).hexdigest(), "text/plain", content,
                      datetime(2025, 1, 1, tzinfo=timezone.utc))
    return split(extract(raw), SplitSettings())


def _answered(items: list[QAItem]) -> int:
    return sum(i.answer_markdown is not None for i in items)


def test_total_is_227() -> None:
    names = ["000_0130b098af308dda.txt", "001_83313aacd6754381.txt", "002_309aacbde7e618be.txt",
             "003_f822d67cf7e014c8.txt"]
    assert sum(len(_split(n)[0]) for n in names) == 227


def test_000_numbered_bold_with_nested_answers_and_follow_ups() -> None:
    items, rejected = _split("000_0130b098af308dda.txt")
    assert (len(items), _answered(items)) == (20, 5)
    first = items[0]
    assert first.section == "Technical Questions"
    assert first.section_path[-2:] == ("Interview Questions and Answers", "Technical Questions")
    assert len(first.follow_ups) == 2 and "**Answer:**" not in first.answer_markdown
    assert "  - **Definition:**" in first.answer_markdown  # nesting kept as Markdown
    follow_ups = [r for r in rejected if r.reason == "follow_up"]
    assert len(follow_ups) == 10
    assert all(not i.question.startswith(("Discuss", "Explore")) for i in items)


def test_001_one_question_per_line_none_answered() -> None:
    items, _ = _split("001_83313aacd6754381.txt")
    assert (len(items), _answered(items)) == (138, 0)
    assert {i.section for i in items} >= {"Python Programming and Scripting", "MLOps Fundamentals"}
    imperative = [i for i in items if i.question.startswith(("Explain", "Describe"))]
    assert len(imperative) >= 10


def test_002_example_questions_only_no_boilerplate() -> None:
    items, rejected = _split("002_309aacbde7e618be.txt")
    assert len(items) == 24
    assert _answered(items) == 0  # "What Interviewers Look For" belongs to the section, not the last bullet
    assert {r.reason for r in rejected} >= {"boilerplate", "heading"}


def test_003_numbered_with_sample_answers_and_interview_faq_rejected() -> None:
    items, rejected = _split("003_f822d67cf7e014c8.txt")
    assert (len(items), _answered(items)) == (45, 45)
    assert all(not i.answer_markdown.lower().startswith("sample answer") for i in items)
    multi = [i for i in items if "\n\n" in i.answer_markdown]
    assert len(multi) >= 8  # answers running over several paragraphs are kept whole
    reasons = [r.reason for r in rejected]
    assert reasons.count("interview_faq") >= 2 and reasons.count("ask_the_interviewer") >= 5
