"""Plain text extraction: list items, heading inference from layout, wrapped lines."""

from __future__ import annotations

import textwrap

from extractors import extract
from extractors.text import parse_text
from tests.test_extract_support import raw_doc

ARTICLE = textwrap.dedent(
    """\
    Backend Developer Interview Questions (Senior Level)
    Databases and Storage

    What is an index and when does it hurt writes?

    Explain the CAP theorem.

    Example Questions:

      • How would you shard a user table?
      • Why might a query ignore an index?
          - nested bullet under the second one
      • What is write amplification?

    What Interviewers Look For: clear trade-offs.

    Caching Strategies
    1. How do you invalidate a cache?
    Sample answer: Use explicit keys and short TTLs, and purge on writes.
    2) Describe a cache stampede
    Thanks for reading!
    """
)


def test_title_sections_and_questions():
    doc = extract(raw_doc(ARTICLE))
    assert doc.format == "text"
    assert doc.title == "Backend Developer Interview Questions (Senior Level)"
    headings = [(b.level, b.text) for b in doc.blocks if b.kind == "heading"]
    assert headings == [
        (1, "Backend Developer Interview Questions (Senior Level)"),
        (2, "Databases and Storage"),
        (2, "Caching Strategies"),
    ]
    kinds = {b.text: b.kind for b in doc.blocks}
    assert kinds["What is an index and when does it hurt writes?"] == "paragraph"
    assert kinds["Explain the CAP theorem."] == "paragraph"
    assert kinds["Example Questions:"] == "paragraph"  # a cue line, not a heading
    assert kinds["Thanks for reading!"] == "paragraph"
    assert kinds["Sample answer: Use explicit keys and short TTLs, and purge on writes."] == "paragraph"


def test_bullets_and_numbers():
    blocks = extract(raw_doc(ARTICLE)).blocks
    items = [(b.text, b.depth, b.number, b.ordered) for b in blocks if b.kind == "list_item"]
    assert items == [
        ("How would you shard a user table?", 0, None, False),
        ("Why might a query ignore an index?", 0, None, False),
        ("nested bullet under the second one", 1, None, False),
        ("What is write amplification?", 0, None, False),
        ("How do you invalidate a cache?", 0, 1, True),
        ("Describe a cache stampede", 0, 2, True),
    ]
    assert next(b for b in blocks if b.number == 2).markdown == "2. Describe a cache stampede"


def test_first_line_sentence_is_not_a_title():
    doc = extract(raw_doc("Whether you are new or experienced, these questions help you prepare.\nSection One\n"))
    assert doc.title is None
    assert [b.kind for b in doc.blocks] == ["paragraph", "heading"]


def test_question_word_lines_are_not_headings():
    blocks = parse_text("Intro\nHow does TLS work\nWhy use queues\nDesign Patterns\n")
    assert [(b.kind, b.level) for b in blocks] == [("heading", 1), ("paragraph", 0), ("paragraph", 0), ("heading", 2)]


def test_hard_wrapped_lines_join_their_paragraph():
    source = (
        "Title Line\n"
        "This paragraph was wrapped by an editor at a fixed width, so it goes\n"
        "on to the next line without a break in the sentence.\n"
        "Next Section\n"
    )
    blocks = parse_text(source)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading"]
    assert blocks[1].text.endswith("goes on to the next line without a break in the sentence.")
