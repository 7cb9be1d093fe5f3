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
    # a question whose wording names no kind takes the title's, unless the title names two
    assert one("Which editor do you prefer?", source=doc("Behavioral interview questions for ML engineers")).kind == "behavioral"
    assert one("Which editor do you prefer?", source=doc("Technical and behavioral questions")).kind == "technical"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # commands, queries and code to write are coding
        ("How do you undo the last commit with git?", "coding"),
        ("Write a query that lists customers without orders.", "coding"),
        ("Which command shows the processes listening on a port?", "coding"),
        ("Write a regex that matches an email address.", "coding"),
        ("Given an array of integers, return the indices of two numbers that add up to a target.", "coding"),
        ("Reverse a linked list in place.", "coding"),
        ("Write down the equation of a perceptron.", "technical"),  # writing maths is not code
        # the candidate's own past is behavioral
        ("What was the hardest bug you ever fixed?", "behavioral"),
        ("Have you ever worked with Kafka in production?", "behavioral"),
        ("What did you learn from your last project?", "behavioral"),
        ("Describe your role in your previous team.", "behavioral"),
        ("Why are you leaving your current job?", "behavioral"),
        # hypotheticals are situational
        ("Suppose the database is down at peak traffic. What do you do first?", "situational"),
        ("How would you respond if a colleague pushed a secret to the repository?", "situational"),
        # puzzles, estimates and debugging scenarios are problem-solving
        ("How many golf balls fit in a school bus?", "problem-solving"),
        ("Estimate the storage a photo app needs for a year.", "problem-solving"),
        ("Your service returns 502 errors after a deploy. How would you debug it?", "problem-solving"),
        ("What is the probability that two dice sum to seven?", "problem-solving"),
        ("How does TF-IDF weigh rare words?", "technical"),
    ],
)
def test_kind_holds_beyond_ml_wording(text: str, kind: str) -> None:
    assert one(text, "Questions").kind == kind


@pytest.mark.parametrize(
    ("heading", "kind"),
    [("Non-technical questions", "behavioral"), ("Estimation questions", "problem-solving"),
     ("SQL exercises", "coding"), ("Scenario questions", "situational")],
)
def test_more_headings_name_the_kind_and_win(heading: str, kind: str) -> None:
    assert one("What is a hash map?", "Interview", heading).kind == kind


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
