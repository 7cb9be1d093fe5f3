"""HTML extraction: main text as blocks, chrome and TOC removal, collapsed Q/A rescue, schema.org."""

from __future__ import annotations

from pathlib import Path

from extractors import extract
from extractors.html import html_to_markdown
from extractors.schema_org import extract_structured_qa
from qbank.records import StructuredDoc
from tests.test_extract_support import raw_doc

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def _page(name: str) -> StructuredDoc:
    path = FIXTURES / name
    return extract(raw_doc(path.read_bytes(), uri=f"https://example.org/{name}", media_type="text/html"))


def _all_text(doc: StructuredDoc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def test_blog_post_headings_lists_and_answers():
    doc = _page("blog_post.html")
    assert doc.format == "html"
    assert doc.title == "Top 5 Kubernetes Interview Questions"  # og:title wins over <title>
    headings = [(b.level, b.text) for b in doc.blocks if b.kind == "heading"]
    assert headings[:3] == [(1, "Top 5 Kubernetes Interview Questions"), (2, "Basics"), (3, "1. What is a Pod?")]
    nested = next(b for b in doc.blocks if b.text == "ordinal hostnames such as web-0")
    assert (nested.kind, nested.depth) == ("list_item", 1)
    service = next(b for b in doc.blocks if b.text == "What is a Service?")
    assert (service.kind, service.ordered, service.number, service.bold) == ("list_item", True, 1, True)
    answer = doc.blocks[service.order + 1]
    assert answer.kind == "paragraph" and answer.depth == 1 and answer.text.startswith("A stable virtual IP")
    operator = next(b for b in doc.blocks if b.text == "What is an operator?")
    assert operator.kind == "paragraph" and operator.bold
    assert any(b.kind == "table" and "ConfigMap" in b.text for b in doc.blocks)
    text = _all_text(doc)
    for chrome in ("Related posts", "Terraform tips", "All rights reserved", "About"):
        assert chrome not in text


def test_docs_page_drops_sidebars_toc_and_footer():
    doc = _page("docs_page.html")
    assert doc.title == "SQL Interview Questions - Team Handbook"
    questions = [b.text for b in doc.blocks if b.text.endswith("?")]
    # each question once, as a heading: the sidebar TOC and the in-page anchor list are gone
    assert questions == [
        "What is the difference between an inner and an outer join?",
        "When would you use a common table expression?",
    ]
    assert all(b.kind == "heading" and b.level == 2 for b in doc.blocks if b.text in questions)
    text = _all_text(doc)
    for chrome in ("Python questions", "Table of contents", "Common table expressions", "Copyright", "¶", "Next:"):
        assert chrome not in text
    assert any(b.kind == "code" and "WITH recent" in b.text for b in doc.blocks)
    assert doc.metadata["description"] == "Questions we ask in SQL interviews"


def test_faq_accordion_and_details_questions_survive():
    doc = _page("faq_accordion.html")
    assert doc.title == "Frontend Interview FAQ"
    blocks = {b.text: b for b in doc.blocks}
    assert blocks["What is the virtual DOM?"].kind == "heading"  # button inside a heading: the heading stays
    for question in ("What does CSS specificity decide?", "How do you make a page accessible?", "What is event delegation?"):
        assert blocks[question].kind == "paragraph" and blocks[question].bold
        following = doc.blocks[blocks[question].order + 1]
        assert following.kind == "paragraph" and not following.bold and len(following.text) > 30
    assert any(b.text.startswith("Which of several matching rules wins") for b in doc.blocks)  # hidden panel kept
    text = _all_text(doc)
    assert "Apply now" not in text and "resume tips" not in text and "Jobs Inc" not in text


def test_schema_org_faq_page_json_ld():
    doc = _page("faq_accordion.html")
    assert [qa.question for qa in doc.structured_qa] == ["What is the virtual DOM?", "What does CSS specificity decide?"]
    assert doc.structured_qa[0].answer_markdown == "An in-memory tree the framework **diffs** against the last render."
    assert doc.structured_qa[1].answer_markdown == "Which of several matching rules wins."


def test_schema_org_microdata_qa_page():
    html = """<html><body><div itemscope itemtype="https://schema.org/QAPage">
      <div itemprop="mainEntity" itemscope itemtype="https://schema.org/Question">
        <h1 itemprop="name">How do I reverse a list in Python?</h1>
        <div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer">
          <div itemprop="text">Use slicing with a negative step.</div></div>
        <div itemprop="acceptedAnswer" itemscope itemtype="https://schema.org/Answer">
          <div itemprop="text">Call reversed() or list.reverse().</div></div>
      </div></div></body></html>"""
    qa = extract_structured_qa(html, "https://example.org/q/1")
    assert [(q.question, q.answer_markdown) for q in qa] == [
        ("How do I reverse a list in Python?", "Call reversed() or list.reverse().")
    ]


def test_pages_without_structured_data_have_none():
    assert _page("blog_post.html").structured_qa == ()
    assert extract_structured_qa("<html><body><script type='application/ld+json'>{broken</script></body></html>") == ()


PAGE = (
    "<html><body><main><h1>Questions</h1><p>Intro text for the page, long enough to count as content.</p>"
    "<h2>What is a closure?</h2><p>A function with the variables it captured.</p>"
    "<ol><li>Why use <strong>generators</strong>?<ul><li>lazy</li></ul></li></ol></main></body></html>"
)


def test_falls_back_to_the_whole_main_text_when_trafilatura_keeps_too_little(monkeypatch):
    monkeypatch.setattr("extractors.html.trafilatura.extract", lambda *a, **k: "Intro text")
    md = html_to_markdown(PAGE)
    assert "# Questions" in md and "## What is a closure?" in md
    assert "A function with the variables it captured." in md
    assert "1. Why use **generators**?" in md and "lazy" in md


def test_falls_back_when_trafilatura_drops_the_headings(monkeypatch):
    body_only = "Intro text for the page, long enough to count as content. A function with the variables it captured."
    monkeypatch.setattr("extractors.html.trafilatura.extract", lambda *a, **k: body_only + " Why use generators? lazy")
    assert "## What is a closure?" in html_to_markdown(PAGE)


def test_trafilatura_output_used_when_it_keeps_headings_and_text(monkeypatch):
    def no_fallback(*args: object, **kwargs: object) -> str:
        raise AssertionError("fallback used although trafilatura kept the content")

    monkeypatch.setattr("extractors.html.markdownify", no_fallback)
    md = html_to_markdown(PAGE)
    assert md.startswith("# Questions")
    assert "What is a closure?" in md


def test_definition_list_faq_and_bold_question_with_line_break():
    html = """<html><body><article><h1>Analyst questions</h1>
    <p>Analysts get a mix of SQL, statistics and business questions in most interviews.</p>
    <p><strong>1. What is a p-value?</strong><br>The chance of data this extreme under the null hypothesis.</p>
    <dl><dt>What is a KPI?</dt><dd>A key performance indicator tracked against a target.</dd>
    <dt>What is churn?</dt><dd>The share of customers who leave in a period.</dd></dl>
    </article></body></html>"""
    doc = extract(raw_doc(html, uri="https://example.org/analyst", media_type="text/html"))
    pairs = [(b.kind, b.text, b.bold) for b in doc.blocks[2:]]
    assert pairs == [
        ("paragraph", "1. What is a p-value?", True),
        ("paragraph", "The chance of data this extreme under the null hypothesis.", False),
        ("paragraph", "What is a KPI?", True),
        ("paragraph", "A key performance indicator tracked against a target.", False),
        ("paragraph", "What is churn?", True),
        ("paragraph", "The share of customers who leave in a period.", False),
    ]


def test_one_line_code_in_a_details_answer_stays_apart_from_the_next_question():
    """Issue 4.1: a one-line `<pre><code>` was written as inline code glued to the next summary."""
    html = """<html><body><main><h1>JavaScript questions</h1>
    <p>Open each question to see a short answer written by the team.</p>
    <details><summary>What is a closure?</summary>
    <p>A function bundled with the variables of the scope where it was made.</p>
    <pre><code>const add = (a) => (b) => a + b;</code></pre></details>
    <details><summary>Why debounce an input handler?</summary>
    <p>So a burst of keystrokes triggers one request instead of dozens.</p></details>
    </main></body></html>"""
    doc = extract(raw_doc(html, uri="https://example.org/js", media_type="text/html"))
    code = next(b for b in doc.blocks if "const add" in b.text)
    assert (code.kind, code.text) == ("code", "const add = (a) => (b) => a + b;")
    question = doc.blocks[code.order + 1]
    assert (question.kind, question.text, question.bold) == ("paragraph", "Why debounce an input handler?", True)


def test_inline_code_in_a_summary_leaves_no_space_before_punctuation():
    """Issue 4.3: `<code>let</code>, <code>const</code>` came out as "let , const"."""
    html = """<html><body><main><h1>JavaScript questions</h1>
    <p>Open each question to see a short answer written by the team.</p>
    <details><summary>What is the difference between <code>let</code>, <code>const</code> and
    <code>var</code>?</summary><p>Scope and whether the binding can be reassigned.</p></details>
    <dl><dt>When is <code>this</code> bound?</dt><dd>At call time, except in arrow functions.</dd></dl>
    </main></body></html>"""
    texts = [b.text for b in extract(raw_doc(html, uri="https://example.org/js", media_type="text/html")).blocks]
    assert "What is the difference between let, const and var?" in texts
    assert "When is this bound?" in texts


def test_docs_site_with_tabs_and_on_this_page_toc():
    """Docusaurus-style page: sidebar, breadcrumbs, tabbed code, permalink anchors, "On this page" TOC."""
    doc = _page("docs_tabs.html")
    questions = [b.text for b in doc.blocks if b.text.endswith("?")]
    assert questions == [  # each once, as an h2 with no invisible permalink character left on it
        "What is the cache-aside pattern?",
        "How does write-through differ from write-behind?",
        "What is a cache stampede and how do you prevent it?",
        "Which eviction policy would you pick for a session store?",
    ]
    assert all(b.kind == "heading" and b.level == 2 for b in doc.blocks if b.text in questions)
    first = next(b for b in doc.blocks if b.text == questions[0])
    answer = [b for b in doc.blocks if b.order > first.order][:3]
    assert [b.kind for b in answer] == ["paragraph", "code", "code"]  # both tabs' code, hidden one too
    assert "cache.get(user_id)" in answer[1].text and "cache.Get(id)" in answer[2].text
    text = _all_text(doc)
    for chrome in ("On this page", "Interview loop overview", "Edit this page", "Last updated", "Python\n",
                   "Copy", "Skip to main content", "Direct link", "Built with Docusaurus"):
        assert chrome not in text
    assert not any(b.kind == "list_item" for b in doc.blocks)  # tab labels are not a list


def test_medium_style_post_with_h3_questions_and_figures():
    doc = _page("medium_blog.html")
    assert (doc.title, doc.metadata["author"]) == ("12 Python Generator Questions I Got in Interviews", "Priya Raman")
    h3 = [b.text for b in doc.blocks if b.kind == "heading" and b.level == 3]
    assert h3 == [
        "1. What does yield do, and how is it different from return?",
        "2. Why would you use a generator instead of a list?",
        "3. What is the difference between a generator expression and a list comprehension?",
        "4. What does yield from add?",
        "5. How do you send a value into a running generator?",
    ]
    second = next(b for b in doc.blocks if b.text == h3[1])
    code = doc.blocks[second.order + 2]
    assert code.kind == "code" and code.text.splitlines()[0] == "def error_lines(path):"
    assert len(code.text.splitlines()) == 5  # <br>-separated lines stay lines
    text = _all_text(doc)
    for chrome in ("min read", "Written by", "Responses (18)", "More from", "Recommended from Medium",
                   "Sign in", "1.2K", "Photo by", "Figure 2"):
        assert chrome not in text


def test_qa_page_keeps_question_answers_and_code_without_site_chrome():
    """Stack-Overflow-like QAPage: the title sits outside the main column; votes, comments, user cards
    and the sidebar are chrome; the microdata accepted answer keeps its code block."""
    doc = _page("qa_page.html")
    question = "Why does my default list argument keep growing between calls?"
    assert [(b.kind, b.level) for b in doc.blocks if b.text == question] == [("heading", 1)]
    codes = [b.text for b in doc.blocks if b.kind == "code"]
    assert [c.splitlines()[0] for c in codes] == [
        "def add_tag(tag, tags=[]):", "def add_tag(tag, tags=None):", "print(add_tag.__defaults__)"
    ]
    assert any(b.text.startswith("Default values are evaluated once") for b in doc.blocks)
    text = _all_text(doc)
    for chrome in ("Hot Network Questions", "Linked", "How do I copy a list", "Add a comment", "Up vote",
                   "This trips up everyone", "answered Apr", "88.1k", "Sorted by", "Improve this answer",
                   "Ask Question"):
        assert chrome not in text
    [qa] = doc.structured_qa
    assert qa.question == question
    assert qa.answer_markdown is not None
    assert qa.answer_markdown.startswith("Default values are evaluated once, when the `def` statement runs")
    assert "```" in qa.answer_markdown and "    if tags is None:\n        tags = []" in qa.answer_markdown


def test_code_inside_numbered_items_keeps_the_list_and_its_numbers():
    """trafilatura opens a fence at the end of the item's text line and leaves the code unindented, which
    broke the list: the code swallowed the next items."""
    html = """<html><body><main><h1>SQL questions</h1>
    <p>Short questions with answers, some with a query to read or to write.</p><ol>
    <li><details><summary>What is an index?</summary><p>A structure that speeds up lookups.</p>
    <pre><code>CREATE INDEX idx ON orders(customer_id);
  -- then ANALYZE orders;</code></pre><p>It costs extra work on every write.</p></details></li>
    <li><pre><code>SELECT COUNT(*) FROM t;</code></pre><p>What does this return for an empty table?</p></li>
    <li>What is a foreign key?</li></ol></main></body></html>"""
    doc = extract(raw_doc(html, uri="https://example.org/sql", media_type="text/html"))
    assert [(b.kind, b.depth, b.number, b.text) for b in doc.blocks[2:]] == [
        ("list_item", 0, 1, "What is an index?"),
        ("paragraph", 1, None, "A structure that speeds up lookups."),
        ("code", 1, None, "CREATE INDEX idx ON orders(customer_id);\n  -- then ANALYZE orders;"),
        ("paragraph", 1, None, "It costs extra work on every write."),
        ("list_item", 0, 2, "What does this return for an empty table?"),
        ("code", 1, None, "SELECT COUNT(*) FROM t;"),
        ("list_item", 0, 3, "What is a foreign key?"),
    ]
