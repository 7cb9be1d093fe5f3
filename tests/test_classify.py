"""Kind and level of questions, from headings, title, metadata and wording."""

from __future__ import annotations

import pytest

from qbank.classify import classify
from qbank.records import QAItem, StructuredDoc


def doc(title: str | None = None, **metadata: str) -> StructuredDoc:
    return StructuredDoc("file:///a.md", "0" * 64, "markdown", title, (), metadata)


def item(text: str, *headings: str) -> QAItem:
    return QAItem("file:///a.md", 0, text, text, None, None, headings[-1] if headings else None, tuple(headings))


def one(text: str, *headings: str, source: StructuredDoc | None = None) -> QAItem:
    return classify([item(text, *headings)], source or doc())[0]


@pytest.mark.parametrize(
    ("heading", "kind"),
    [("Behavioral Questions", "behavioral"), ("Behavioural interview questions", "behavioral"),
     ("Situational Questions", "situational"), ("Problem-Solving Questions", "problem-solving"),
     ("Coding", "coding"), ("Technical Questions", "technical")],
)
def test_kind_from_the_heading_above(heading: str, kind: str) -> None:
    # The heading wins even when the wording alone would say "technical".
    assert one("What is a hash map?", "Interview Questions", heading).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [("Tell me about a time you disagreed with your manager.", "behavioral"),
     ("Describe a time when a model you shipped failed.", "behavioral"),
     ("Imagine you join a team whose model drifts weekly. What do you check first?", "situational"),
     ("What would you do if the labels turned out to be noisy?", "situational"),
     ("Write a function that returns the top-k frequent words.", "coding"),
     ("Implement gradient descent for linear regression.", "coding"),
     ("How would you approach predicting churn with no labels?", "problem-solving"),
     ("What is the difference between L1 and L2 regularization?", "technical"),
     ("How would you handle missing values?", "technical")],
)
def test_kind_from_wording(text: str, kind: str) -> None:
    assert one(text, "Questions").kind == kind


def test_technical_heading_beats_wording_and_title_kind_is_a_fallback() -> None:
    assert one("Tell me about a time you tuned a model.", "Technical Questions").kind == "technical"
    assert one("What motivates you?", source=doc("Behavioral interview questions for ML engineers")).kind == "behavioral"
    assert one("What motivates you?", source=doc("Technical and behavioral questions")).kind == "technical"


@pytest.mark.parametrize(
    ("heading", "level"),
    [("Beginner machine learning questions", "beginner"), ("Entry-level questions", "beginner"),
     ("Questions for freshers", "beginner"), ("Intermediate questions", "intermediate"),
     ("Advanced Interview Questions", "advanced"), ("Senior ML engineer questions", "advanced"),
     ("Questions (2–4 years experience)", "intermediate"), ("For 0-2 years of experience", "beginner"),
     ("5+ years experience", "advanced"), ("Deep learning", None), ("From beginner to advanced", None)],
)
def test_level_from_headings(heading: str, level: str | None) -> None:
    assert one("What is dropout?", "Guide", heading).level == level


def test_level_falls_back_to_title_then_metadata_and_nearest_heading_wins() -> None:
    titled = doc("AI Engineer Interview Questions (2–4 years experience)")
    assert one("What is dropout?", "Deep Learning", source=titled).level == "intermediate"
    assert one("What is dropout?", "Advanced", source=titled).level == "advanced"
    assert one("What is dropout?", source=doc("ML questions", level="Senior")).level == "advanced"
    assert one("What is dropout?", source=doc("ML questions", description="for senior and junior")).level is None


def test_values_already_set_are_kept_and_input_is_not_changed() -> None:
    original = item("Tell me about a time you failed.")
    preset = QAItem(**{**{f: getattr(original, f) for f in original.__slots__}, "kind": "coding"})
    out = classify([original, preset], doc())
    assert original.kind is None and out[0].kind == "behavioral" and out[1].kind == "coding"
