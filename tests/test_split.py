"""split() on hand-built block lists: one test per question shape and per thing that is not a question."""

from __future__ import annotations

import pytest

from qbank.records import Block, StructuredDoc, StructuredQA
from qbank.settings import SplitSettings
from qbank.split import is_question_shaped, split
from qbank.clean import load_cues


def H(text: str, level: int = 2) -> Block:
    return Block("heading", text, "#" * level + " " + text, level=level)


def P(text: str, md: str = "", depth: int = 0, bold: bool = False, link: bool = False) -> Block:
    return Block("paragraph", text, md or text, depth=depth, bold=bold, link=link)


def LI(text: str, md: str = "", depth: int = 0, number: int | None = None, bold: bool = False,
       link: bool = False) -> Block:
    marker = f"{number}." if number else "-"
    return Block("list_item", text, md or f"{marker} {text}", depth=depth, number=number, ordered=number is not None,
                 bold=bold, link=link)


def run(*blocks: Block, title: str | None = None, qa: tuple[StructuredQA, ...] = ()):
    numbered = tuple(Block(b.kind, b.text, b.markdown, b.level, b.depth, b.number, b.ordered, b.bold, b.link, i)
                     for i, b in enumerate(blocks))
    doc = StructuredDoc("file:///doc", "0" * 64, "markdown", title, numbered, structured_qa=qa)
    return split(doc, SplitSettings())


def questions(items) -> list[str]:
    return [i.question for i in items]


def reasons(rejected) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in rejected:
        out.setdefault(r.reason, []).append(r.text)
    return out


def test_heading_question_answer_runs_to_next_heading_of_same_level() -> None:
    items, rejected = run(
        H("Basics"),
        H("What is a tensor?", 3), P("A multi-dimensional array."), H("Example", 4),
        Block("code", "x = torch.zeros(2)", "```python\nx = torch.zeros(2)\n```"),
        H("Why use GPUs for training?", 3), P("They parallelise matrix products."),
        H("Other", 2), P("Prose."),
    )
    assert questions(items) == ["What is a tensor?", "Why use GPUs for training?"]
    assert "```python" in items[0].answer_markdown and "#### Example" in items[0].answer_markdown
    assert items[1].answer_markdown == "They parallelise matrix products."
    assert items[0].section_path == ("Basics",) and items[0].rule == "heading_question"
    assert reasons(rejected)["heading"] == ["Basics", "Other"]


def test_numbered_bold_items_with_nested_answer_and_follow_ups() -> None:
    items, rejected = run(
        H("Technical"),
        LI("Explain gradient clipping.", "1. **Explain gradient clipping.**", number=1, bold=True),
        P("Answer:", "**Answer:**", depth=1, bold=True),
        LI("Definition: caps the gradient norm.", depth=1),
        LI("Why: stops exploding updates. Is it always needed?", depth=2),
        P("Follow-Up Points:", "**Follow-Up Points:**", depth=1, bold=True),
        LI("How would you pick the threshold?", depth=1),
        LI("Discuss clipping by value versus by norm.", depth=1),
        LI("What is weight decay?", "2. **What is weight decay?**", number=2, bold=True),
    )
    assert questions(items) == ["Explain gradient clipping.", "What is weight decay?"]
    first = items[0]
    assert first.answer_markdown == "- Definition: caps the gradient norm.\n  - Why: stops exploding updates. Is it always needed?"
    assert first.follow_ups == ("How would you pick the threshold?", "Discuss clipping by value versus by norm.")
    assert items[1].answer_markdown is None
    assert len(reasons(rejected)["follow_up"]) == 2
    assert first.rule == "numbered_bold"


def test_one_question_per_line_including_imperatives_and_parentheticals() -> None:
    items, _ = run(
        H("Python"), P("Explain the GIL in CPython."), P("Describe how a dict lookup works."),
        P("How are default arguments evaluated (at definition or call time)?"),
        P("What is monkey patching? (Runtime modification)."),
        P("Walk me through a memory leak you fixed"), P("Tell me about a project you are proud of"),
        H("Next section"),
    )
    assert len(items) == 6 and items[-1].section == "Python"
    # a parenthetical after the "?" is a hint, the answer on the question's line; before it, part of the question
    hinted = {i.question: (i.answer_markdown, i.answer_kind) for i in items if i.answer_markdown}
    assert hinted == {"What is monkey patching?": ("Runtime modification", "hint")}
    assert "How are default arguments evaluated (at definition or call time)?" in questions(items)


def test_bulleted_questions_after_lead_in_then_section_prose_is_not_an_answer() -> None:
    items, _ = run(
        H("Data"), P("Interviewers probe data hygiene."), P("Example Questions:"),
        LI("How do you detect label leakage?"), LI("Difference between stratified and random splits"),
        LI("When is SMOTE harmful?"),
        P("What Interviewers Look For:"), P("Care with validation design."),
        P("What Interviewers Look For: candidates who validate carefully."),
    )
    assert questions(items) == ["How do you detect label leakage?", "Difference between stratified and random splits",
                                "When is SMOTE harmful?"]
    assert all(i.answer_markdown is None for i in items)


def test_numbered_question_then_sample_answer_over_several_paragraphs() -> None:
    items, _ = run(
        H("Beginner"), P("Prepare for these questions:"),
        LI("Explain a confusion matrix", number=1),
        P("Sample answer: A table of predicted versus actual classes."),
        P("It shows where the model confuses classes. Why does that matter? It guides error analysis."),
        LI("What is recall?", number=2), P("Sample answer: The share of positives found."),
        H("Intermediate"), LI("What is AUC?", number=1), P("Sample answer: Area under the ROC curve."),
    )
    assert questions(items) == ["Explain a confusion matrix", "What is recall?", "What is AUC?"]
    assert items[0].answer_markdown == (
        "A table of predicted versus actual classes.\n\n"
        "It shows where the model confuses classes. Why does that matter? It guides error analysis."
    )
    assert items[2].section == "Intermediate"


def test_q_and_a_labels_in_separate_and_single_blocks() -> None:
    items, _ = run(
        P("Q: What is a Bloom filter?"), P("A: A probabilistic set with false positives."),
        P("Q2. What is a skip list?\nA: A layered linked list."),
        P("Question: Explain consistent hashing"), P("Answer: Keys and nodes share one ring."),
    )
    assert questions(items) == ["What is a Bloom filter?", "What is a skip list?", "Explain consistent hashing"]
    assert [i.answer_text for i in items] == [
        "A probabilistic set with false positives.", "A layered linked list.", "Keys and nodes share one ring."]


def test_bold_question_with_answer_in_same_paragraph_and_details_summary() -> None:
    items, _ = run(
        P("What is a mutex? A lock with one holder.", "**What is a mutex?** A lock with one holder."),
        P("What is a semaphore?", "**What is a semaphore?**", bold=True),  # <details><summary> from HTML
        P("A counter of permits."), LI("acquire decrements"), LI("release increments"),
        P("What is a spinlock?", "**What is a spinlock?**", bold=True),
        P("Answer here"),
    )
    assert questions(items) == ["What is a mutex?", "What is a semaphore?", "What is a spinlock?"]
    assert items[0].answer_markdown == "A lock with one holder."
    assert items[1].answer_markdown == "A counter of permits.\n\n- acquire decrements\n- release increments"
    assert items[2].answer_markdown is None  # placeholder


def test_table_with_question_and_answer_columns() -> None:
    table = Block(
        "table",
        "Question | Answer | Level\nWhat is a B-tree? | A balanced search tree. | easy\nExplain MVCC | TBD | hard",
        "| Question | Answer | Level |\n| --- | --- | --- |\n| What is a B-tree? | A balanced search tree. | easy |\n"
        "| Explain MVCC | TBD | hard |",
    )
    facts = Block("table", "Metric | Formula\nPrecision | TP/(TP+FP)", "| Metric | Formula |\n| --- | --- |\n| Precision | TP/(TP+FP) |")
    items, _ = run(H("Databases"), table, facts)
    assert questions(items) == ["What is a B-tree?", "Explain MVCC"]
    assert items[0].answer_markdown == "A balanced search tree." and items[1].answer_markdown is None


def test_toc_links_do_not_add_copies_and_project_sections_contribute_nothing() -> None:
    items, rejected = run(
        H("Table of Contents"), LI("What is a closure?", link=True), LI("What is hoisting?", link=True),
        H("JavaScript"), H("What is a closure?", 3), P("A function with its scope."),
        H("Async", 3), LI("What is an event loop?", "- [What is an event loop?](https://example.org/loop)", link=True),
        H("Contributing"), P("How can I add a question? Open a pull request."),
        LI("How do I run the tests?"),
        H("License"), P("MIT"),
    )
    assert questions(items) == ["What is a closure?", "What is an event loop?"]
    r = reasons(rejected)
    assert len(r["toc_link"]) == 2 and r["excluded_section"] == ["How do I run the tests?"]


def test_interview_faq_and_questions_to_ask_are_rejected() -> None:
    items, rejected = run(
        H("Questions"), LI("What is sharding?", number=1), P("Sample answer: Splitting data across nodes."),
        H("FAQ"), P("How do I prepare for a data engineering interview?"), P("Practice SQL daily."),
        H("Questions to ask your interviewer"), LI("What does on-call look like?"), LI("How is success measured?"),
        H("More"), P("Here are some questions you could ask at the end:"), LI("What is the team's roadmap?"),
    )
    assert questions(items) == ["What is sharding?"]
    r = reasons(rejected)
    # the answer of a question turned down goes with it, for the same reason
    assert r["interview_faq"] == ["How do I prepare for a data engineering interview?", "Practice SQL daily."]
    assert len(r["ask_the_interviewer"]) == 3


def test_duplicates_in_one_document_are_kept_once_with_the_answer() -> None:
    items, rejected = run(
        H("Summary"), LI("What is a heap?"), LI("What is a trie?"),
        H("Answers"), H("What is a heap?", 3), P("A tree with the heap property."),
    )
    assert questions(items) == ["What is a heap?", "What is a trie?"]
    assert items[0].answer_markdown == "A tree with the heap property."
    assert reasons(rejected)["duplicate_in_doc"] == ["What is a heap?"]


def test_schema_org_pairs_merge_without_double_counting() -> None:
    qa = (StructuredQA("What is a CDN?", "A network of edge caches."), StructuredQA("What is DNS?", "<p>Names to IPs.</p>"))
    items, _ = run(P("What is a CDN?", "**What is a CDN?**", bold=True), qa=qa)
    assert questions(items) == ["What is a CDN?", "What is DNS?"]
    assert items[0].answer_markdown == "A network of edge caches." and items[1].rule == "schema_org"


def test_boilerplate_repeated_title_and_prose_are_not_questions() -> None:
    items, rejected = run(
        H("Top SQL Questions", 1), P("Top SQL Questions"), H("Joins"), LI("What is a left join?"),
        P("Looking to hire? Book a free consultation today."), H("Previous"),
        P("How Teams Are Hiring Data Engineers in Remote Markets"), P("How to Write a Great Resume"),
        title="Top SQL Questions",
    )
    assert questions(items) == ["What is a left join?"]
    assert "boilerplate" in reasons(rejected)


@pytest.mark.parametrize(
    ("text", "shaped"),
    [("What is a neural network", True), ("Explain K-means clustering", True), ("Compare REST and gRPC", True),
     ("Example Questions:", False), ("Still hiring? Our team can help you today.", False),
     ("How to Hire a Product Marketer", False), ("Python Programming and Scripting", False),
     ("Is it random, or does it follow a pattern?", True)],
)
def test_question_shape(text: str, shaped: bool) -> None:
    assert is_question_shaped(text, load_cues(), SplitSettings()) is shaped


def test_a_custom_cue_file_reaches_every_wording_rule(tmp_path) -> None:
    # a team adds its own question label: the cleaned text, not only the walk, follows the file it names
    import yaml
    from qbank.clean import DEFAULT_CUES

    raw = yaml.safe_load(DEFAULT_CUES.read_text(encoding="utf-8"))
    raw["question_labels"] = [*raw["question_labels"], "frage"]
    custom = tmp_path / "cues.yaml"
    custom.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    doc = StructuredDoc("file:///doc", "0" * 64, "markdown", None,
                        (Block("paragraph", "Frage 3: What is a B-tree?", "Frage 3: What is a B-tree?", order=0),))
    default_items, _ = split(doc, SplitSettings())
    custom_items, _ = split(doc, SplitSettings(cues_file=custom))
    assert "What is a B-tree?" not in [i.question for i in default_items]  # "Frage 3:" is no label by default
    assert [i.question for i in custom_items] == ["What is a B-tree?"]
