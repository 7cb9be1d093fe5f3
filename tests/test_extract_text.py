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


# -- issue 13: plain-text lists as they come ----------------------------------------------------------

TAB_LIST = (
    "Spark Interview Questions\n"
    "SECTION 1:\n"
    "\t1.\tWhat is an RDD?\n"
    "\t2.\tWhat is the difference between a narrow and a wide transformation when you\n"
    "\t\tPlan a job?\n"
    "\t\ta.\tWhich one shuffles?\n"
    "\t\tb)\tWhich one can be pipelined?\n"
    "\t3.\tWhat is a broadcast variable?\n"
    "\t\tSample answer: a read-only value shipped once to each executor.\n"
    "PySpark -\n"
    "(1) How do you create a DataFrame from a list?\n"
    "(2) What does collect() return?\n"
    "ANSWER:\n"
    "Example Questions:\n"
    "Part 2:\n"
    "1. What is a UDF?"  # no final newline
)


def test_tab_indented_numbering_labels_and_wrapped_items() -> None:
    blocks = parse_text(TAB_LIST)
    assert [(b.kind, b.level, b.depth, b.number, b.text) for b in blocks] == [
        ("heading", 1, 0, None, "Spark Interview Questions"),
        ("heading", 2, 0, None, "SECTION 1"),
        ("list_item", 0, 0, 1, "What is an RDD?"),
        # indented under an unfinished item: its wrapped tail, whatever its case
        ("list_item", 0, 0, 2, "What is the difference between a narrow and a wide transformation when you Plan a job?"),
        ("list_item", 0, 1, 1, "Which one shuffles?"),
        ("list_item", 0, 1, 2, "Which one can be pipelined?"),
        ("list_item", 0, 0, 3, "What is a broadcast variable?"),
        ("paragraph", 0, 1, None, "Sample answer: a read-only value shipped once to each executor."),  # inside item 3
        ("heading", 2, 0, None, "PySpark"),
        ("list_item", 0, 0, 1, "How do you create a DataFrame from a list?"),
        ("list_item", 0, 0, 2, "What does collect() return?"),
        ("paragraph", 0, 0, None, "ANSWER:"),  # labels of what follows, not sections
        ("paragraph", 0, 0, None, "Example Questions:"),
        ("heading", 2, 0, None, "Part 2"),
        ("list_item", 0, 0, 1, "What is a UDF?"),
    ]
    assert blocks[5].markdown == "b) Which one can be pipelined?"


def test_crlf_and_a_missing_final_newline_change_nothing() -> None:
    lf = parse_text(TAB_LIST + "\n")
    assert parse_text(TAB_LIST.replace("\n", "\r\n")) == lf
    assert parse_text(TAB_LIST.replace("\n", "\r")) == lf
    assert parse_text(TAB_LIST) == lf
    doc = extract(raw_doc(TAB_LIST.replace("\n", "\r\n").encode("utf-8")))
    assert [b.text for b in doc.blocks] == [b.text for b in lf]


def dense_list(lines: int) -> str:
    stems = ("I have a {n} and need to sort it", "My {n} fails when I merge it", "Is there a way to copy a {n}?",
             "Difference between a {n} and a set", "If I have a {n}, how do I flatten it?", "Using a {n} to group records")
    nouns = ("list", "dict", "tuple", "dataframe", "generator")
    return "Python Questions\n" + "\n".join(stems[n % 6].format(n=nouns[n % 5]) + f" ({n})" for n in range(lines))


def test_a_dense_list_keeps_its_lines_as_items_not_headings() -> None:
    """Issue 13: in a list of one question per line, the short lines without "?" ("I have a dict and need
    to sort it") were read as section headings, 40% of them."""
    source = dense_list(300).replace("(150)\n", "(150)\n\nAdvanced Questions\n", 1)
    blocks = parse_text(source + "\nSECTION 9:\nMy last question (x)")
    headings = [(b.level, b.text) for b in blocks if b.kind == "heading"]
    assert headings == [(1, "Python Questions"), (2, "Advanced Questions"), (2, "SECTION 9")]
    assert sum(b.kind == "paragraph" for b in blocks) == 301


def test_a_short_document_keeps_its_sentence_case_headings() -> None:
    source = "Interview prep\nData structures\nWhat is a heap?\nWhat is a trie?\nSystem design\nHow would you shard a table?\n"
    assert [b.text for b in parse_text(source) if b.kind == "heading"] == ["Interview prep", "Data structures", "System design"]
