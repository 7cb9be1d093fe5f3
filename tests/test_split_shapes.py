"""Question shapes seen in real documents, one fixture each (written here, in the shapes of real pages), read
through the real extractor and splitter: what a user of the bank relies on for each shape."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from extractors import extract
from qbank.records import BlockFates, QAItem, RawDocument
from qbank.settings import SplitSettings
from qbank.split import SplitResult, split_document

MEDIA = {"md": "text/markdown", "html": "text/html", "txt": "text/plain", "rst": "text/x-rst"}


def read(name: str, text: str) -> SplitResult:
    content = text.encode()
    raw = RawDocument(f"/docs/{name}", hashlib.sha256(content).hexdigest(), MEDIA[name.rsplit(".", 1)[1]],
                      content, datetime(2025, 1, 1, tzinfo=timezone.utc))
    return split_document(extract(raw), SplitSettings())


def asked(result: SplitResult) -> list[str]:
    return [i.question for i in result.items]


def answers(result: SplitResult) -> dict[str, str | None]:
    return {i.question: i.answer_text for i in result.items}


def reasons(result: SplitResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in result.rejected:
        out.setdefault(r.reason, []).append(r.text)
    return out


def assert_every_block_has_one_fate(result: SplitResult) -> None:
    f = result.fates
    assert f.question + f.answer + f.rejected == f.blocks


ADMONITIONS = """---
title: Kubernetes Interview Questions
description: 100+ Kubernetes interview questions with answers
---

# Kubernetes Interview Questions

Questions asked at infrastructure interviews, with worked answers.

## Core Questions

### What Is a Pod and Why Not Run Containers Directly? - Google, Meta Interview Question

**Difficulty:** 🟢 Easy | **Tags:** Pods, Basics | **Asked by:** Google, Meta, Stripe

??? success "View Answer"

    A **Pod** is the smallest deployable unit: one or more containers sharing a network namespace.

    ```yaml
    apiVersion: v1
    kind: Pod
    ```

    !!! tip "Interviewer's Insight"

        - Mentions the shared network namespace

### Services Versus Ingress: Routing Traffic Into a Cluster - Amazon, Netflix Interview Question

**Difficulty:** 🟡 Medium | **Tags:** Networking | **Asked by:** Amazon, Netflix

??? success "View Answer"

    A Service gives Pods a stable virtual IP; an Ingress routes HTTP from outside to Services.

### How Do Readiness and Liveness Probes Differ? - Uber, Lyft Interview Question

**Difficulty:** 🟡 Medium | **Tags:** Health | **Asked by:** Uber

??? success "View Answer"

    Readiness gates traffic; liveness restarts a stuck container.
"""


def test_question_headings_with_company_suffix_and_answers_in_admonitions() -> None:
    result = read("k8s.md", ADMONITIONS)
    assert asked(result) == [
        "What Is a Pod and Why Not Run Containers Directly?",
        "Services Versus Ingress: Routing Traffic Into a Cluster",  # a title, but set as every question is
        "How Do Readiness and Liveness Probes Differ?",
    ]
    first = result.items[0]
    assert first.answer_text.startswith("A Pod is the smallest deployable unit")  # not "View Answer", not metadata
    assert "apiVersion: v1" in first.answer_markdown and "Mentions the shared network namespace" in first.answer_text
    assert "Difficulty" not in first.answer_text
    assert_every_block_has_one_fate(result)


DETAILS = """# Linux Interview Questions

## Processes

1. What is a zombie process?

<details><summary><b>Answer</b></summary>

A process that has exited but whose parent has not yet read its exit status.

</details>

2. How do you find which process holds a port?

<details><summary><b>Answer</b></summary>

</details>

3. Signals.
   1. What does SIGTERM do?
   2. How is SIGKILL different?
   3. Compare the two.
"""


def test_numbered_questions_with_details_answers_and_a_stem_with_sub_questions() -> None:
    result = read("linux.md", DETAILS)
    assert asked(result) == ["What is a zombie process?", "How do you find which process holds a port?",
                             "What does SIGTERM do?", "How is SIGKILL different?", "Compare the two."]
    got = answers(result)
    assert got["What is a zombie process?"].startswith("A process that has exited")  # the "Answer" toggle is a label
    assert got["How do you find which process holds a port?"] is None  # an empty <details>
    assert {i.parent for i in result.items[2:]} == {"Signals."}  # a sub-question reads with its stem
    assert reasons(result)["stem"] == ["Signals."]


HINTS = """# Networking questions

1. What happens when you type a URL into the browser? (DNS lookup, TCP handshake, TLS, HTTP request)
2. How does TCP differ from UDP (in terms of delivery guarantees)?
3. Why is DNS mostly served over UDP? (trick question)
4. What is a subnet mask? (see the [RFC](https://www.rfc-editor.org/rfc/rfc950))
5. Name the layers of the OSI model (physical, data link, network, transport, session, presentation, application)
6. Explain NAT.
"""


def test_a_hint_after_the_question_is_its_answer_and_a_clarifying_aside_stays() -> None:
    result = read("net.md", HINTS)
    by_question = {i.question: i for i in result.items}
    assert set(by_question) == {
        "What happens when you type a URL into the browser?",
        "How does TCP differ from UDP (in terms of delivery guarantees)?",  # before the "?": part of it
        "Why is DNS mostly served over UDP? (trick question)",  # about the question, not an answer
        "What is a subnet mask?",
        "Name the layers of the OSI model",
        "Explain NAT.",
    }
    url = by_question["What happens when you type a URL into the browser?"]
    assert (url.answer_text, url.answer_kind) == ("DNS lookup, TCP handshake, TLS, HTTP request", "hint")
    assert by_question["What is a subnet mask?"].answer_text is None  # only a link: no answer
    assert by_question["Name the layers of the OSI model"].answer_kind == "hint"


def test_parentheticals_that_name_the_topic_stay_in_their_questions() -> None:
    # a document whose parentheticals say what each question is about: notes, not hints
    text = "Git questions\n\n" + "\n".join([
        "How does git rebase differ from merge? (History rewriting concepts)",
        "What is a detached HEAD? (Git internals knowledge)",
        "How do you undo a pushed commit? (Recovery techniques)",
    ])
    result = read("git.txt", text)
    assert asked(result)[0] == "How does git rebase differ from merge? (History rewriting concepts)"
    assert all(i.answer_text is None for i in result.items)


SCENARIO = """## System design

1. You run a service behind a load balancer. Users in one region report timeouts while others do not. How would you find the cause?
2. We have a table of orders with 500 million rows and a report that scans it nightly. What would you change first?
3. Given a stream of log lines, write a function that returns the ten most frequent IP addresses.
"""


def test_a_scenario_then_the_ask_is_one_question() -> None:
    assert asked(read("design.md", SCENARIO)) == [
        "You run a service behind a load balancer. Users in one region report timeouts while others do not. "
        "How would you find the cause?",
        "We have a table of orders with 500 million rows and a report that scans it nightly. "
        "What would you change first?",
        "Given a stream of log lines, write a function that returns the ten most frequent IP addresses.",
    ]


def test_questions_and_answer_lines_alternating_in_one_bullet_list() -> None:
    result = read("alt.md", "# Docker\n\n- What is a container image?\n- Answer: A read-only template.\n"
                            "- How does a rolling update work?\n- Answer: Pods are replaced a few at a time.\n")
    assert answers(result) == {"What is a container image?": "- A read-only template.",
                               "How does a rolling update work?": "- Pods are replaced a few at a time."}


LABELS = ("SQL Interview Questions\r\n\r\nQ. What is a primary key?\r\nAns. A column that identifies each row.\r\n"
          "1) What does a LEFT JOIN return?\r\nA) Every left row, with matches or NULLs.\r\n"
          "Q: Why use an index?\r\nANS : To avoid scanning the whole table.")  # CRLF, no final newline


def test_q_and_ans_labels_in_plain_text() -> None:
    assert answers(read("sql.txt", LABELS)) == {
        "What is a primary key?": "A column that identifies each row.",
        "What does a LEFT JOIN return?": "Every left row, with matches or NULLs.",
        "Why use an index?": "To avoid scanning the whole table.",
    }


def test_questions_in_blockquotes_with_answers_below() -> None:
    result = read("js.md", "# JavaScript\n\n> **Q:** What does `===` compare?\n\nValue and type, no coercion.\n\n"
                           "> **Q:** What is hoisting?\n\nDeclarations move to the top of their scope.\n")
    assert answers(result) == {"What does === compare?": "Value and type, no coercion.",
                               "What is hoisting?": "Declarations move to the top of their scope."}


BLOG = """<html><head><title>React questions</title></head><body>
<nav><a href="/">Home</a></nav>
<main><article><h1>React questions</h1>
<p>Preparing for a React interview? Here is what I was asked.</p>
<h3>What is the virtual DOM?</h3><p>An in-memory tree React diffs between renders.</p>
<h3>Write a hook that tracks the window width.</h3>
<textarea readonly>function useWidth() {
  return window.innerWidth;
}</textarea>
<h3>What are keys for in lists?</h3><p>They match items between renders.</p>
<h3>How long did the interview take?</h3><p>About two hours.</p>
</article></main>
<aside><h4>Popular posts</h4><ul><li><a href="/a">Why is React so popular?</a></li></ul></aside>
<footer>© 2025 Dev Blog. All rights reserved.</footer></body></html>"""


def test_h3_questions_with_code_in_a_textarea_and_page_chrome_left_out() -> None:
    result = read("react.html", BLOG)
    assert asked(result) == ["What is the virtual DOM?", "Write a hook that tracks the window width.",
                             "What are keys for in lists?"]
    assert "function useWidth()" in answers(result)["Write a hook that tracks the window width."]
    assert "How long did the interview take?" in reasons(result)["interview_faq"]


PLAIN = "\n".join([
    "DevOps questions I was asked",
    "SECTION 1:",
    "What is infrastructure as code?",
    "If a pod keeps restarting, what do you check first?",
    "I have a slow CI pipeline; how would you speed it up?",
    "Blue-green versus canary deployments.",
    "PySpark -",
    "How do you repartition a DataFrame?",
    "My job runs out of memory on a wide join, why?",
])


def test_plain_list_lines_are_questions_whatever_their_first_word() -> None:
    result = read("devops.txt", PLAIN)
    assert asked(result) == [
        "What is infrastructure as code?", "If a pod keeps restarting, what do you check first?",
        "I have a slow CI pipeline; how would you speed it up?", "Blue-green versus canary deployments.",
        "How do you repartition a DataFrame?", "My job runs out of memory on a wide join, why?",
    ]
    assert all(i.answer_text is None for i in result.items)  # a line after a question is not its answer


NOT_QUESTIONS = """# Data Engineering Interview Questions

Ever wondered what interviewers really ask? Wonder no more.

## Table of Contents

- [What is a data lake?](#what-is-a-data-lake)
- [What is idempotency?](#what-is-idempotency)

## Questions

### What is a data lake?

Storage for raw data in open formats.

#### Why does it matter?

Because schema is applied on read.

### What is idempotency?

Running a job twice gives the same result.

## Interview Tips

- Define success metrics clearly
- Discuss trade-offs and limitations
- Think aloud
- Ask clarifying questions

## Questions to ask your interviewer

- How is on-call organised?
- What does the team ship each quarter?

## FAQ

### How many questions should I prepare for a data engineering interview?

About fifty.

### Is SQL enough to get a job as a data engineer?

Rarely.
"""


def test_what_is_not_a_bank_question() -> None:
    result = read("de.md", NOT_QUESTIONS)
    assert asked(result) == ["What is a data lake?", "What is idempotency?"]
    assert "Why does it matter?" in result.items[0].answer_markdown  # a heading inside the answer
    why = reasons(result)
    assert len(why["toc_link"]) == 2 or len(why.get("duplicate_in_doc", [])) + len(why.get("toc_link", [])) == 2
    # tips phrased as imperatives: turned down with the tips section (or as outliers of a list of tips)
    assert {"Define success metrics clearly", "Discuss trade-offs and limitations"} <= {
        *why.get("outlier", []), *why.get("interview_faq", [])}
    assert len(why["ask_the_interviewer"]) == 2
    assert len(why["interview_faq"]) >= 2
    assert_every_block_has_one_fate(result)


PROBLEMS = """# Array problems

### Rotate Matrix

Given an N x N matrix of pixels, write a method to rotate it by 90 degrees. Can you do it in place?

```python
def rotate(m):
    return [list(r) for r in zip(*m[::-1])]
```

### Zero Matrix

If an element of an M x N matrix is 0, its row and column are set to 0. Write an algorithm that does this.

```python
def zero(m):
    pass
```
"""


def test_titled_problems_statement_paragraphs_are_one_question_and_code_its_answer() -> None:
    result = read("arrays.md", PROBLEMS)
    assert asked(result) == [
        "Given an N x N matrix of pixels, write a method to rotate it by 90 degrees. Can you do it in place?",
        "If an element of an M x N matrix is 0, its row and column are set to 0. Write an algorithm that does this.",
    ]
    got = answers(result)
    assert got[asked(result)[0]].startswith("def rotate(m):")
    assert got[asked(result)[1]] is None  # a stub is no answer


PROBLEM_PAGE = """<html><body><main>
<h1>two-sum</h1>
<h2>Description</h2>
<p>Given an array of integers and a target, return the indices of the two numbers that add up to the target.</p>
<p>You may assume each input has exactly one solution.</p>
<p><strong>Example 1:</strong></p><p>Input: [2,7,11,15], 9 Output: [0,1]</p>
<p><strong>Constraints:</strong></p><ul><li>2 &lt;= n &lt;= 10000</li></ul>
<h2>Solution</h2>
<pre><code>def two_sum(nums, target):
    seen = {}
    for i, n in enumerate(nums):
        if target - n in seen:
            return [seen[target - n], i]
        seen[n] = i
</code></pre>
</main></body></html>"""


def test_a_problem_page_statement_is_the_question_and_the_solution_section_its_answer() -> None:
    result = read("two-sum.html", PROBLEM_PAGE)
    assert asked(result) == ["Given an array of integers and a target, return the indices of the two numbers "
                             "that add up to the target. You may assume each input has exactly one solution."]
    assert result.items[0].answer_text.startswith("def two_sum(nums, target):")  # not the examples


ANSWERS_BELOW = """<html><body><main><h1>Cloud interview questions</h1>
<p><strong>1. What is the shared responsibility model?</strong></p>
<p><strong>2. How do availability zones differ from regions?</strong></p>
<p><strong>3. What is a VPC?</strong></p>
<h2>Answers</h2>
<p><strong>1. Shared responsibility:</strong></p><p>Ans.</p><p>The provider secures the cloud, you secure what you put in it.</p>
<p><strong>2. Zones and regions:</strong></p><p>Ans.Zones are isolated data centres inside one region.</p>
</main></body></html>"""


def test_answers_listed_after_all_questions_go_to_the_question_of_their_number() -> None:
    got = answers(read("cloud.html", ANSWERS_BELOW))
    assert got == {
        "What is the shared responsibility model?": "The provider secures the cloud, you secure what you put in it.",
        "How do availability zones differ from regions?": "Zones are isolated data centres inside one region.",
        "What is a VPC?": None,
    }


def test_one_labelled_answer_after_a_list_of_questions_answers_each_of_them() -> None:
    text = ("## Redis\n\n- What is Redis used for?\n- Why is it popular as a cache?\n\n"
            "Expected answer: an in-memory key-value store, fast enough to sit in front of a database.\n")
    result = read("redis.md", text)
    assert {i.answer_kind for i in result.items} == {"grouped", None}
    assert all(i.answer_text.startswith("an in-memory key-value store") for i in result.items)


def test_a_reply_reported_after_the_question_is_its_answer() -> None:
    result = read("report.md", "## Onsite\n\n1. What are the problems of training GANs? Said mode collapse.\n"
                               "2. How does dropout work?\n3. Why use batch norm?\n")
    assert answers(result)["What are the problems of training GANs?"] == "Said mode collapse."


def test_a_source_whose_question_shaped_lines_all_went_elsewhere_is_flagged() -> None:
    text = "# Onboarding\n\n## Questions to ask your interviewer\n\n" + "".join(
        f"- Why does team {i} work the way it does?\n" for i in range(6))
    result = read("odd.md", text)
    assert not result.items and result.fates.question_shaped_rejected == 6
    assert result.warning(SplitSettings()).startswith("no questions found although 6 lines read as questions")


def test_answers_that_swallowed_many_question_shaped_lines_are_flagged() -> None:
    items = tuple(QAItem("/d.md", n, f"What is thing {n}?", f"What is thing {n}?", "It is.", "It is.", None)
                  for n in range(4))
    fates = BlockFates(blocks=40, question=4, answer=30, rejected=6, question_shaped_in_answers=9)
    assert "9 question-shaped lines were kept inside answers of 4 questions" in SplitResult(
        items, (), fates).warning(SplitSettings())
    calm = BlockFates(blocks=40, question=4, answer=34, question_shaped_in_answers=1)
    assert SplitResult(items, (), calm).warning(SplitSettings()) is None
