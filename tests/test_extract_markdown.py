"""Markdown extraction: headings, nested list depth, bold/link detection, front matter."""

from __future__ import annotations

import textwrap

from extractors import extract
from extractors.markdown import parse_markdown
from tests.test_extract_support import raw_doc

GUIDE = textwrap.dedent(
    """\
    ---
    title: "Data Engineer Interview Guide"
    author: Jo Example
    published: 2024-05-01
    tags: [SQL, Spark]
    cover:
      url: /img/cover.png
    ---

    # Data Engineer Interview Guide

    Intro paragraph with a [link](https://example.com) and *emphasis*.

    ## Core Questions

    1. **What is a data lake?**

       **Answer:**
       - **Definition:** A store of raw data.
         - **Example:** Object storage with Parquet files.
       - Keeps data cheap to hold.

       **Follow-Up Points:**
       - Compare with a warehouse.

    2. **How do you partition a table?**

    ### Quick links

    - [What is a data lake?](#what-is-a-data-lake)
    - [How do you partition a table?](#partition)

    > A quoted tip.

    ```sql
    SELECT 1;
    ```

    | Term | Meaning |
    | --- | --- |
    | ETL | *extract*, transform, load |

    ---
    """
)


def _by_text(blocks, text):
    return next(b for b in blocks if b.text == text)


def test_front_matter_becomes_metadata_and_title():
    doc = extract(raw_doc(GUIDE, uri="/data/guide.md", media_type="text/markdown"))
    assert doc.format == "markdown"
    assert doc.title == "Data Engineer Interview Guide"
    assert doc.metadata["author"] == "Jo Example"
    assert doc.metadata["published"] == "2024-05-01"
    assert doc.metadata["tags"] == "SQL, Spark"
    assert doc.metadata["cover.url"] == "/img/cover.png"
    assert [b.order for b in doc.blocks] == list(range(len(doc.blocks)))
    assert not any("author:" in b.text for b in doc.blocks)


def test_heading_levels_and_plain_text():
    blocks = extract(raw_doc(GUIDE, uri="/data/guide.md")).blocks
    headings = [(b.level, b.text) for b in blocks if b.kind == "heading"]
    assert headings == [(1, "Data Engineer Interview Guide"), (2, "Core Questions"), (3, "Quick links")]
    intro = blocks[1]
    assert intro.text == "Intro paragraph with a link and emphasis."
    assert intro.markdown == "Intro paragraph with a [link](https://example.com) and *emphasis*."


def test_numbered_bold_question_with_nested_answer_keeps_depth():
    blocks = extract(raw_doc(GUIDE, uri="/data/guide.md")).blocks
    q1 = _by_text(blocks, "What is a data lake?")
    assert (q1.kind, q1.depth, q1.number, q1.ordered, q1.bold) == ("list_item", 0, 1, True, True)
    assert q1.markdown == "1. **What is a data lake?**"
    answer = blocks[q1.order + 1]
    assert (answer.kind, answer.text, answer.depth, answer.bold) == ("paragraph", "Answer:", 1, True)
    definition = blocks[q1.order + 2]
    assert (definition.kind, definition.depth, definition.bold) == ("list_item", 1, False)
    assert definition.text == "Definition: A store of raw data."
    assert definition.markdown == "- **Definition:** A store of raw data."
    assert _by_text(blocks, "Example: Object storage with Parquet files.").depth == 2
    assert _by_text(blocks, "Keeps data cheap to hold.").depth == 1
    assert _by_text(blocks, "Follow-Up Points:").depth == 1
    q2 = _by_text(blocks, "How do you partition a table?")
    assert (q2.depth, q2.number, q2.bold) == (0, 2, True)


def test_toc_entries_are_links_and_other_kinds():
    blocks = extract(raw_doc(GUIDE, uri="/data/guide.md")).blocks
    toc = [b for b in blocks if b.link]
    assert [b.text for b in toc] == ["What is a data lake?", "How do you partition a table?"]
    assert all(b.kind == "list_item" and not b.ordered for b in toc)
    quote = _by_text(blocks, "A quoted tip.")
    assert quote.kind == "quote" and quote.markdown == "> A quoted tip."
    code = next(b for b in blocks if b.kind == "code")
    assert code.text == "SELECT 1;" and code.markdown.startswith("```sql")
    table = next(b for b in blocks if b.kind == "table")
    assert table.text == "Term | Meaning\nETL | extract, transform, load"
    assert blocks[-1].kind == "rule"


def test_bold_needs_the_whole_text():
    blocks = parse_markdown("**Answer:** partly bold\n\n**Why?**\n\n_Whole emphasis_.\n")
    assert [b.bold for b in blocks] == [False, True, True]


def test_title_falls_back_to_first_h1_then_h2():
    assert extract(raw_doc("## Second\n\n# First\n\ntext", uri="/a.md")).title == "First"
    assert extract(raw_doc("intro\n\n## Only H2\n", uri="/a.md")).title == "Only H2"


def test_details_summary_in_markdown_becomes_bold_question():
    source = "<details>\n<summary>What is a view?</summary>\n\nA stored query.\n\n</details>\n"
    blocks = parse_markdown(source)
    assert [(b.kind, b.text, b.bold) for b in blocks] == [
        ("paragraph", "What is a view?", True),
        ("paragraph", "A stored query.", False),
    ]


def test_broken_front_matter_is_dropped_not_fatal():
    doc = extract(raw_doc("---\ntitle: [unclosed\n---\n# Real Title\n\nBody.\n", uri="/x.md"))
    assert doc.title == "Real Title"
    assert doc.metadata == {}


def test_bold_line_followed_by_answer_in_one_paragraph_is_split():
    blocks = parse_markdown("**What is a mutex?**\nA lock that one thread holds at a time.\n\n1. **What is a semaphore?**  \n   A counter of permits.\n")
    assert [(b.kind, b.text, b.bold, b.depth) for b in blocks] == [
        ("paragraph", "What is a mutex?", True, 0),
        ("paragraph", "A lock that one thread holds at a time.", False, 0),
        ("list_item", "What is a semaphore?", True, 0),
        ("paragraph", "A counter of permits.", False, 1),
    ]
    assert blocks[2].markdown == "1. **What is a semaphore?**"
    # a plain wrapped paragraph stays one block
    assert len(parse_markdown("A long sentence that\nwraps onto a second line.")) == 1


def _shape(source: str) -> list[tuple[str, int, int | None, bool, str]]:
    return [(b.kind, b.depth, b.number, b.bold, b.text) for b in parse_markdown(textwrap.dedent(source))]


def test_details_inside_a_numbered_item_gives_the_item_its_summary():
    """Issue 4.2: the summary came out before the item and the list number landed on the answer."""
    source = """\
        1. <details><summary>What is a <code>Series</code>?</summary>

           A one-dimensional labelled array.

           </details>
        2. <details><summary>What is a DataFrame?</summary> A table of columns. </details>
        """
    assert _shape(source) == [
        ("list_item", 0, 1, True, "What is a Series?"),
        ("paragraph", 1, None, False, "A one-dimensional labelled array."),
        ("list_item", 0, 2, True, "What is a DataFrame?"),
        ("paragraph", 1, None, False, "A table of columns."),
    ]


def test_items_opening_with_code_or_a_nested_list_get_their_own_list_item():
    """Issue 4.4: an item whose first block is not a paragraph produced no list_item."""
    source = """\
        1. ```python
           print(sorted({3, 1, 2}))
           ```
           What does this print?
        2. - Why is a set unordered?
           - hash order
        3. ```sql
           SELECT 1;
           ```
        4. What is a view?
        5. ### What is a trigger?
           Code run on a table event.
        """
    blocks = parse_markdown(textwrap.dedent(source))
    assert [(b.kind, b.depth, b.number, b.text) for b in blocks] == [
        ("list_item", 0, 1, "What does this print?"),
        ("code", 1, None, "print(sorted({3, 1, 2}))"),
        ("list_item", 0, 2, "Why is a set unordered?"),
        ("list_item", 1, None, "hash order"),
        ("list_item", 0, 3, "SELECT 1;"),
        ("list_item", 0, 4, "What is a view?"),
        ("list_item", 0, 5, "What is a trigger?"),
        ("paragraph", 1, None, "Code run on a table event."),
    ]
    assert blocks[4].markdown == "3. ```sql\nSELECT 1;\n```"
    assert blocks[6].markdown == "5. ### What is a trigger?"
