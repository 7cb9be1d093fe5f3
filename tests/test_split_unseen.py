"""split() on page shapes the first labelled documents did not cover: accordions under a subject FAQ heading,
bold questions after a heading question, Q&A-site chrome and sales lines ending in "?"."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from extractors import extract
from qbank.clean import load_cues
from qbank.records import RawDocument, StructuredQA
from qbank.settings import SplitSettings
from qbank.split import is_question_shaped, split
from tests.test_split import H, LI, P, questions, reasons, run


def test_subject_faq_heading_keeps_its_technical_questions_merged_with_schema_org_pairs() -> None:
    qa = (StructuredQA("What is the virtual DOM?", "A tree diffed against the last render."),
          StructuredQA("What does CSS specificity decide?", "Which matching rule wins."))
    items, rejected = run(
        H("Frontend Developer Interview FAQ", 1), P("The questions candidates ask about most."),
        H("What is the virtual DOM?", 3), P("An in-memory tree the framework diffs."),
        P("What does CSS specificity decide?", "**What does CSS specificity decide?**", bold=True),
        P("Which of several matching rules wins."),
        P("What is event delegation?", "**What is event delegation?**", bold=True), P("One listener on a parent."),
        qa=qa,
    )
    assert questions(items) == ["What is the virtual DOM?", "What does CSS specificity decide?",
                                "What is event delegation?"]  # schema.org pairs merged by key, not counted twice
    assert items[1].answer_markdown == "Which of several matching rules wins."
    assert "interview_faq" not in reasons(rejected)


def test_interview_process_questions_are_still_rejected_under_a_subject_faq() -> None:
    items, rejected = run(
        H("Backend Interview FAQ", 1),
        H("What is a message queue?", 3), P("A buffer between producers and consumers."),
        H("How long is the interview?", 3), P("About four hours."),
        H("What should I wear to the interview?", 3), P("Whatever you are comfortable in."),
    )
    assert questions(items) == ["What is a message queue?"]
    assert len(reasons(rejected)["interview_faq"]) == 2


def test_bold_numbered_question_after_a_heading_question_opens_a_new_question() -> None:
    items, _ = run(
        H("How does a Deployment differ from a StatefulSet?", 3), P("Both manage replicas, but:"),
        LI("A stable identity", "- **A stable identity**"),
        LI("What is a Service?", "1. **What is a Service?**", number=1, bold=True),
        P("A stable virtual IP in front of Pods.", depth=1),
        H("Why does latency matter?", 3), P("Because users notice it. Two parts follow:"),
        P("What is tail latency?", "**What is tail latency?**", bold=True), P("The slowest percentiles."),
    )
    assert questions(items) == ["How does a Deployment differ from a StatefulSet?", "What is a Service?",
                                "Why does latency matter?"]
    assert items[1].answer_markdown == "A stable virtual IP in front of Pods."
    assert "tail latency" in items[2].answer_markdown  # announced by a lead-in: part of the answer


def test_qa_site_chrome_is_dropped_and_answers_start_after_the_answers_heading() -> None:
    items, rejected = run(
        H("Why does my default list keep growing?", 1), P("Asked5 years, 7 months ago"), P("Viewed48k times"),
        P("I wrote a helper with an empty list default."), H("2 Answers 2", 2),
        P("Defaults are evaluated once, when def runs."),
        H("Not the answer you're looking for? Browse other questions tagged python.", 2),
    )
    assert questions(items) == ["Why does my default list keep growing?"]
    assert items[0].answer_markdown == "Defaults are evaluated once, when def runs."
    assert len(reasons(rejected)["boilerplate"]) == 4


def test_sales_lines_ending_in_a_question_mark_are_not_questions() -> None:
    items, rejected = run(
        H("SQL questions"), LI("What is a left join?"), LI("Your favourite index type and why?"),
        H("Ready to practice?"), P("Want more questions like these?"),
        P("Subscribe to our newsletter for weekly drills."), P("Start your free trial today."),
    )
    assert questions(items) == ["What is a left join?", "Your favourite index type and why?"]
    assert len(reasons(rejected)["boilerplate"]) == 2


@pytest.mark.parametrize(
    ("text", "placed", "shaped"),
    [("Ready to practice?", True, False), ("Want more questions like these?", True, False),
     ("Favourite design pattern and why?", True, True), ("Favourite design pattern and why?", False, False),
     ("In CNNs, what is the difference between same and valid padding?", False, True)],
)
def test_a_trailing_question_mark_needs_a_question_word_or_a_question_position(
    text: str, placed: bool, shaped: bool
) -> None:
    assert is_question_shaped(text, load_cues(), SplitSettings(), placed=placed) is shaped


def test_badge_rows_and_clause_headings_are_not_questions() -> None:
    items, rejected = run(
        P("Build License: CC BY 4.0", "[![Build](https://img.example/ci.svg)](https://ci.example)\n"
          "[![License: CC BY 4.0](https://img.example/l.svg)](LICENSE)"),
        H("Q1: What is a goroutine?", 3), P("A function the runtime schedules onto OS threads."),
        H("What I would do differently"), P("Sleep more."),
    )
    assert questions(items) == ["What is a goroutine?"]
    assert "What I would do differently" in reasons(rejected)["heading"]


def test_numbered_imperative_with_its_answer_wrapped_into_the_item() -> None:
    items, _ = run(
        LI("Explain the critical rendering path. [Hard] [Spotify] HTML to DOM, then layout and paint.",
           "6) Explain the critical rendering path. [Hard] [Spotify]\n   HTML to DOM, then layout and paint.", number=6),
        LI("Explain the difference between a process and a thread",
           "7) Explain the difference between a process\n   and a thread", number=7),
    )
    assert questions(items) == ["Explain the critical rendering path.",
                                "Explain the difference between a process and a thread"]
    assert items[0].answer_markdown == "HTML to DOM, then layout and paint." and items[1].answer_markdown is None


FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def _page(name: str) -> list:
    content = (FIXTURES / name).read_bytes()
    raw = RawDocument(f"file:///{name}", hashlib.sha256(content).hexdigest(), "text/html", content,
                      datetime.now(timezone.utc))
    return split(extract(raw), SplitSettings())[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("faq_accordion.html", ["What is the virtual DOM?", "What does CSS specificity decide?",
                             "How do you make a page accessible?", "What is event delegation?"]),
     ("blog_post.html", ["What is a Pod?", "How does a Deployment differ from a StatefulSet?", "What is a Service?",
                         "Explain liveness and readiness probes.", "What is an operator?"]),
     ("qa_page.html", ["Why does my default list argument keep growing between calls?"])],
)
def test_extracted_pages_give_every_question_once_with_an_answer(name: str, expected: list[str]) -> None:
    items = _page(name)
    assert questions(items) == expected
    assert all(i.answer_markdown for i in items)


def test_qa_page_answer_is_the_answers_not_the_question_body_or_site_chrome() -> None:
    answer = _page("qa_page.html")[0].answer_markdown
    assert answer.startswith("Default values are evaluated once")
    assert "Asked" not in answer and "Viewed" not in answer and "I wrote a helper" not in answer


def test_an_answer_line_set_as_a_heading_is_the_open_questions_answer() -> None:
    items, _ = run(P("Q1. Is Java pass by value?"), H("Answer: Always pass by value"),
                   P("Q2. What is the JVM?"), H("Answer: TBD"))
    assert [(i.question, i.answer_markdown) for i in items] == [
        ("Is Java pass by value?", "Always pass by value"), ("What is the JVM?", None)]


def test_two_word_imperative_headings_are_questions_but_buttons_are_not() -> None:
    items, rejected = run(
        H("Deep learning questions", 1),
        H("Explain backpropagation."), P("Gradients flow backwards through the layers."),
        H("Define overfitting"), P("A heading without a full stop is a title: this paragraph is not an answer."),
        H("Compare plans"), P("Pro and Team."),
        H("What is dropout?"), P("Random units are zeroed while training."),
    )
    assert questions(items) == ["Explain backpropagation.", "What is dropout?"]
    assert items[0].answer_text == "Gradients flow backwards through the layers."
    assert {"Define overfitting", "Compare plans"} <= set(reasons(rejected).get("heading", []))
