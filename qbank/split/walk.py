"""The walk: blocks in document order -> questions with their answers, sections, follow-ups and parents.

Which blocks are questions was decided before the walk (`qbank.split.layout`); the walk decides where each
question's answer ends and gives every block exactly one fate: question, answer, or rejected with a reason.

- a heading question's answer is its whole section (sub-headings included), until a heading of its level or
  above, or a question of another template after some answer text;
- a list question's answer is what is nested under it, then (for a question with nothing nested) the paragraphs
  after it; items nested under a question that the layout made questions are its sub-questions;
- a bold, labelled or plain question's answer is what follows until the next question or heading;
- a run of bare questions (question followed directly by question) has no answers, so the prose after the
  run belongs to the section, not to the last question;
- items after a "Follow-Up Points:" label go into the question's `follow_ups`;
- sections about the interview itself (FAQ, questions to ask the interviewer), tables of contents, licence /
  contributing / references sections and page furniture contribute nothing;
- page chrome between a question and its answer ("Asked 5 years ago") is dropped, and a Q&A site's
  "2 Answers" heading means what came before it was the question's body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from qbank.clean import Cues, clean_question
from qbank.records import Block, Rejected, StructuredDoc
from qbank.settings import SplitSettings
from qbank.split.candidates import NUMBERED, Candidate, about_interview
from qbank.split.layout import Layout, Verdict
from qbank.split.wording import first_words, is_question_shaped, match_key

_EMPHASIS_EDGE = re.compile(r"^[\s*_]+")
_TABLE_Q_HEADER = re.compile(r"\b(questions?|q|prompts?)\b", re.IGNORECASE)
_TABLE_A_HEADER = re.compile(r"\b(answers?|a|solutions?|explanations?|responses?)\b", re.IGNORECASE)


@dataclass
class Open:
    """A question being assembled."""

    block: Block
    question: str
    question_raw: str
    rule: str
    family: str  # heading | list | bold | label | plain | quote | table
    section: str | None
    section_path: tuple[str, ...]
    template: bool = False  # set in one of the document's question templates
    entry: int | None = None  # an answer entry ("16. Handling High Variance:" + "Ans. ..."): the number it answers
    statement: bool = False  # a titled problem's statement: a solution heading below it starts its answer
    parent: str | None = None  # the stem it is a sub-question of
    reject: str | None = None  # reason decided by context (interview FAQ section, ...), applied at close
    answer: list[Block] = field(default_factory=list)
    inline_md: str | None = None  # answer text in the question's own block ("**Q?** answer", a hint)
    inline_text: str | None = None
    answer_kind: str | None = None  # "inline" | "hint" when the answer was written on the question's line
    cued: bool = False  # an answer label was seen
    run: int = 0  # how many bare questions directly precede this one
    shared: int = 0  # how many of those bare questions share this one's answer (a labelled answer after a list)
    follow_ups: list[str] = field(default_factory=list)
    follow_depth: int | None = None  # depth of the "Follow-Up Points:" label while collecting

    @property
    def depth(self) -> int:
        return self.block.depth if self.family == "list" else -1

    @property
    def has_answer(self) -> bool:
        return bool(self.answer or self.inline_md or self.cued)


@dataclass
class Walk:
    doc: StructuredDoc
    cues: Cues
    settings: SplitSettings
    candidates: list[Candidate | None]
    layout: Layout
    headings: list[tuple[int, str]] = field(default_factory=list)
    modes: list[tuple[int, str]] = field(default_factory=list)  # (heading level, reason) for special sections
    lead_in: str | None = None  # "questions" or a rejection reason, for the list that follows
    current: Open | None = None
    kept: list[Open] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    seen_headings: set[str] = field(default_factory=set)
    fates: dict[int, str] = field(default_factory=dict)  # block order -> "question" | "answer" | "rejected"

    # -------------------------------------------------------- helpers

    def reject(self, text: str, reason: str, block: Block | None) -> None:
        self.rejected.append(Rejected(self.doc.source_uri, text, reason, self.section, block.order if block else None))
        if block is not None:
            self.fates[block.order] = "rejected"

    @property
    def section(self) -> str | None:
        return self.headings[-1][1] if self.headings else None

    @property
    def mode(self) -> str | None:
        return self.modes[-1][1] if self.modes else None

    def context_reason(self, question: str, cand: Candidate | None = None) -> str | None:
        """Why a question found here is not a bank question, from its own wording, lead-in or section."""
        about = cand.about_interview if cand is not None and cand.question == question else about_interview(
            question, self.cues)
        if about:
            return about
        if self.lead_in and self.lead_in != "questions":
            return self.lead_in
        if self.mode == "tips":
            # advice for the candidate: its imperatives are tips; an explicit "What is X?" still counts
            asks = question.rstrip().endswith("?") and first_words(question, 1) in self.cues.question_words
            return None if asks else "tips"
        return self.mode

    def open(self, block: Block, cand: Candidate | None, question: str, question_md: str, family: str, rule: str,
             template: bool = False) -> Open:
        previous = self.current
        self.close()
        item = Open(block=block, question=question, question_raw=question_md, rule=rule, family=family,
                    section=self.section, section_path=tuple(h for _, h in self.headings), template=template)
        if cand is not None:
            item.inline_md, item.inline_text, item.answer_kind = cand.answer_md, cand.answer_text, cand.answer_kind
        if previous is not None and not previous.has_answer and previous.family == family:
            item.run = previous.run + 1
        item.reject = self.context_reason(question, cand)
        self.fates[block.order] = "question"
        self.current = item
        return item

    def close(self) -> None:
        item, self.current = self.current, None
        if item is None:
            return
        if item.entry is not None:
            self.file_entry(item)
            return
        if item.reject:
            self.reject(item.question, item.reject, item.block)
            for block in item.answer:
                self.reject(block.text, item.reject, block)
            return
        self.kept.append(item)

    def file_entry(self, entry: Open) -> None:
        """Answers set apart from their questions ("Questions" listed first, then "N. <title>:" and "Ans. ..."):
        the answer goes to the question of the same number that has none yet."""
        target = next((q for q in self.kept if question_number(q.block) == entry.entry and not q.has_answer), None)
        if target is None or not entry.answer:
            self.reject(entry.question, "answer_title", entry.block)
            for block in entry.answer:
                self.reject(block.text, "orphan_answer", block)
            return
        self.fates[entry.block.order] = "answer"
        target.answer.extend(entry.answer)

    def answer_entry(self, index: int, block: Block) -> int | None:
        """The number this block titles an answer for: a numbered line that is no question, set as a title
        (bold, or ending with ':'), right before an answer label ("Ans.", "Answer:")."""
        number = question_number(block)
        cand = self.candidates[index]
        if number is None or cand is None or self.layout.verdict(index).question or index + 1 >= len(self.doc.blocks):
            return None
        if not (block.bold or block.text.rstrip().endswith((":", "："))):
            return None
        return number if self.labels_answer(self.doc.blocks[index + 1].text) else None

    def labels_answer(self, text: str) -> bool:
        """The text opens with an answer label ("Answer: ...", "Ans.") or is only one ("View Answer")."""
        return bool(self.cues.answer_label.match(text) or self.cues.answer_button.match(clean_question(text, self.cues)))

    def add_answer(self, block: Block | None, source: Block) -> None:
        """`source` is consumed by the open answer; `block` (None for a bare label) is what it contributes."""
        if block is not None:
            self.current.answer.append(block)
        self.fates[source.order] = "answer"

    # -------------------------------------------------------- blocks

    def heading(self, index: int, block: Block) -> None:
        text = clean_question(block.text, self.cues)
        cur = self.current
        verdict = self.layout.verdict(index)
        if cur and cur.statement and not cur.answer and self.cues.solution_heading.search(text):
            cur.cued = True  # "Solution (Python)" under a problem statement: its section is the answer
            self.fates[block.order] = "answer"
            return
        if cur and cur.family == "heading" and block.level > cur.block.level and self.cues.answer_section.search(text):
            for kept in cur.answer:
                self.fates[kept.order] = "question"  # "2 Answers": what came before was the question's own body
            cur.answer.clear()
            self.reject(block.text, "boilerplate", block)
            return
        if cur and not cur.has_answer and self.cues.answer_label.match(block.text):
            # "Answer: Always by value" set as a heading (a short plain-text line) is the open question's answer
            self.attach(replace(block, kind="paragraph", markdown=block.text, level=0))
            return
        chrome = bool(self.cues.boilerplate.search(text))
        if chrome and cur and not cur.has_answer:
            self.reject(block.text, "boilerplate", block)  # page chrome between a question and its answer
            return
        deeper = cur is not None and cur.family == "heading" and block.level > cur.block.level
        if deeper and not chrome and (not verdict.question or (cur.template and not verdict.template)):
            # a sub-heading inside a heading question's answer ("#### Example", "#### Why does it matter?")
            self.add_answer(block, block)
            return
        self.close()
        self.lead_in = None
        while self.headings and self.headings[-1][0] >= block.level:
            self.headings.pop()
        while self.modes and self.modes[-1][0] >= block.level:
            self.modes.pop()
        mode = self.section_mode(text)
        if not chrome and mode is None and verdict.question:
            self.open(block, None, text, block.markdown or block.text, "heading", "heading_question", verdict.template)
            self.headings.append((block.level, text))
            return
        key = match_key(text)
        repeat = key in self.seen_headings or (
            self.doc.title is not None and key == match_key(self.doc.title) and self.headings
        )
        self.seen_headings.add(key)
        reason = "boilerplate" if repeat or chrome else verdict.reason if verdict.reason in ("section_title",) else "heading"
        cand = self.candidates[index]
        if mode in ("interview_faq", "ask_the_interviewer") and cand is not None and cand.shaped:
            reason = mode  # "How long is the interview?" is a candidate turned down, not a section title
        self.reject(block.text, reason, block)
        self.headings.append((block.level, text))
        if mode:
            self.modes.append((block.level, mode))

    def section_mode(self, heading: str) -> str | None:
        if self.cues.skip_section.search(heading.strip(" :")):
            return "excluded_section"
        if self.cues.ask_the_interviewer.search(heading):
            return "ask_the_interviewer"
        if self.cues.interview_faq.search(heading):
            return "interview_faq"
        if self.cues.tips_section.search(heading) and self.seen_headings:
            return "tips"  # (not the document's first heading, its title: "... Questions (and How to Prepare)")
        return None

    def follow_up(self, block: Block, text: str) -> bool:
        """Collect follow-up items; True when `block` was consumed as one (or as the label)."""
        cur = self.current
        if cur is None:
            return False
        if self.cues.follow_up_label.match(text):
            cur.follow_depth = block.depth
            self.fates[block.order] = "answer"
            return True
        if cur.follow_depth is None:
            return False
        if block.depth >= cur.follow_depth and (block.kind == "list_item" or block.depth > cur.follow_depth):
            follow = clean_question(block.text, self.cues)
            cur.follow_ups.append(follow)
            self.reject(follow, "follow_up", block)
            return True
        cur.follow_depth = None
        return False

    def take_statement(self, index: int, item: Open) -> None:
        """A titled problem: its further paragraphs join the question text; its examples and constraints (a
        "Problem Statement" section's rest) belong to the question, not to the answer."""
        more = self.layout.statements[index]
        blocks = self.doc.blocks
        if more:
            item.question = " ".join([item.question, *(self.candidates[j].question for j in more)])
            item.question_raw = "\n\n".join([item.question_raw, *(blocks[j].markdown or blocks[j].text for j in more)])
        item.statement, item.rule = True, "statement"
        for j in (*more, *self.layout.statement_body.get(index, ())):
            self.fates[blocks[j].order] = "question"

    def cue(self) -> None:
        """An answer label: what follows is the answer. Code shown between the question and its first label
        ("Here is the Dockerfile ... How would you improve it?" + code + "Answer: ...") belongs to the question."""
        cur = self.current
        if cur is None or cur.cued:
            return
        cur.cued = True
        if cur.answer and all(b.kind in ("code", "table") for b in cur.answer):
            cur.question_raw = "\n\n".join([cur.question_raw, *(b.markdown or b.text for b in cur.answer)])
            for b in cur.answer:
                self.fates[b.order] = "question"
            cur.answer.clear()

    def strip_answer_label(self, block: Block) -> Block | None:
        """Strip an answer label ("Sample answer:", "**Answer:**"); None when nothing but the label remains."""
        if self.cues.answer_button.match(clean_question(block.text, self.cues)):
            self.cue()
            return None  # "View Answer", a <summary>Answer</summary>: the label of what follows
        m = self.cues.answer_label.match(block.text)
        if not m:
            return block
        self.cue()
        rest_text = block.text[m.end() :].strip()
        if not rest_text:
            return None
        md = _EMPHASIS_EDGE.sub("", block.markdown or block.text)
        mm = self.cues.answer_label.match(md)
        rest_md = _EMPHASIS_EDGE.sub("", md[mm.end() :]) if mm else rest_text
        return replace(block, text=rest_text, markdown=rest_md, bold=False)

    def starts_new(self, index: int, block: Block, cand: Candidate, verdict: Verdict) -> bool:
        """Whether a question `block` opens a new question rather than continuing the open answer."""
        cur = self.current
        if cur is None:
            return True
        if cur.family == "list" and block.depth > cur.depth:
            # nested under the open question: a sub-question when the layout made the nested items questions,
            # else answer text, even when it asks something
            return index in self.layout.parents and not cur.answer and not cur.inline_md
        last = cur.answer[-1] if cur.answer else None
        if (last is not None and block.kind == last.kind == "list_item" and cur.family != "heading" and not cur.cued
                and self.layout.runs[last.order] == self.layout.runs[index]):
            return False  # the list the answer began goes on ("1. Create a role ... 2. Attach a policy ...")
        after_text = last is not None and last.kind != "heading" and not last.text.rstrip().endswith((":", "："))
        if cur.family == "heading":
            # a bold or templated question after the heading question's answer is the next question of an
            # accordion or a list under it, unless a lead-in announced it as part of the answer
            return after_text and ((block.bold and block.depth == 0) or (verdict.template and not verdict.by_layout))
        if block.kind == "list_item":
            # bullets after a bold or plain question are its answer, unless they are the document's questions
            # or a numbered question after an answer ("Q. ..." / "1) ...?"); after a list question that has
            # an answer, a list set otherwise (bullets after numbered questions) is more of that answer
            numbered = (cand.decorated or block.ordered) and cand.question.endswith("?") and block.depth == 0
            if cur.family == "list":
                return not cur.answer or block.ordered == cur.block.ordered or numbered
            return cur.has_answer and ((verdict.template and cur.template) or numbered)
        if cand.family in ("bold", "label"):
            return True
        # a plain line right after a bold or labelled question is its answer, however it is worded
        return cur.family in ("plain", "table", "quote") or (cur.family == "list" and not cur.has_answer)

    def attach(self, block: Block) -> None:
        """A block that is not a new question: part of the open answer, or section prose."""
        cur = self.current
        if cur is None:
            return
        if self.cues.boilerplate.search(block.text) and block.depth == 0:
            if cur.has_answer:  # footer furniture ends the answer; chrome before it ("Asked 5 years ago") does not
                self.close()
            self.reject(block.text, "boilerplate", block)
            return
        nested = cur.family == "list" and block.depth > cur.depth
        if nested or cur.family == "heading":
            self.add_answer(self.strip_answer_label(block), block)
            return
        labelled = self.labels_answer(block.text)
        if cur.family == "list" and cur.answer and not cur.cued:
            self.close()  # the answer was nested under the item; top-level prose after it is the section's
            return
        # prose after a run of bare questions is the section's; bold Q/A pairs (details/summary) may have
        # one empty answer, so they need a longer run before the rule applies
        if not labelled and not cur.has_answer and cur.run >= (1 if cur.family in ("list", "plain") else 2):
            self.close()
            return
        if labelled and not cur.has_answer and cur.run and self.cues.answer_label.match(block.text):
            # "Expected answer: ..." after a list of bare questions answers all of them (a bare "Answer" toggle
            # is one question's)
            cur.shared = cur.run
        self.add_answer(self.strip_answer_label(block), block)

    def table(self, block: Block) -> None:
        rows = table_rows(block)
        if len(rows) < 2:
            self.attach(block)
            return
        header, body = rows[0], rows[1:]
        q_col = next((i for i, (t, _) in enumerate(header) if _TABLE_Q_HEADER.search(t)), None)
        a_col = next((i for i, (t, _) in enumerate(header) if i != q_col and _TABLE_A_HEADER.search(t)), None)
        if q_col is None:
            shaped = sum(is_question_shaped(clean_question(r[0][0], self.cues), self.cues, self.settings, placed=True)
                         for r in body if r)
            q_col = 0 if shaped >= max(1, 0.6 * len(body)) else None
        if q_col is None:
            self.attach(block)  # a table of facts: answer content
            return
        self.close()
        for row in body:
            if len(row) <= q_col or not row[q_col][0].strip():
                continue
            question = clean_question(row[q_col][0], self.cues)
            item = self.open(block, None, question, row[q_col][1], "table", "table", template=True)
            if a_col is not None and len(row) > a_col and row[a_col][0].strip():
                item.inline_md, item.inline_text = row[a_col][1], row[a_col][0]
            self.close()

    def block(self, index: int, block: Block) -> None:
        if block.order in self.fates:
            return  # taken by a question already (a problem statement's further paragraphs, its examples)
        if block.kind == "heading":
            self.heading(index, block)
            return
        if block.kind == "table":
            self.table(block)
            return
        if block.kind == "rule":
            self.reject(block.text, "separator", block)
            return
        cand = self.candidates[index]
        if cand is None:
            self.attach(block)
            return
        text = cand.question
        if self.follow_up(block, clean_question(block.text, self.cues)):
            return
        number = self.answer_entry(index, block) if self.kept else None
        if number is not None:
            self.open(block, None, text, block.markdown or block.text, "bold", "answer_entry")
            self.current.entry = number
            return
        verdict = self.layout.verdict(index)
        in_heading_answer = self.current is not None and self.current.family == "heading"
        if block.kind == "paragraph" and block.text.rstrip().endswith((":", "：")) and block.depth == 0 and not in_heading_answer:
            # a lead-in such as "Example Questions:" announces the list below it
            if self.cues.ask_the_interviewer.search(text):
                self.close()
                self.lead_in = "ask_the_interviewer"
                self.reject(block.text, "lead_in", block)
                return
            if self.cues.question_lead_in.search(text) and not self.cues.answer_label.match(block.text):
                self.close()
                self.lead_in = "questions"
                self.reject(block.text, "lead_in", block)
                return
        if verdict.reason == "stem":
            self.close()
            self.reject(text, "stem", block)
            return
        question = verdict.question or (
            block.kind == "list_item" and self.lead_in is not None and cand.excluded is None
            and cand.words >= self.settings.min_question_words  # an item of an announced question list
        )
        if question and self.starts_new(index, block, cand, verdict):
            if self.mode == "excluded_section" or (block.link and self.mode):
                self.close()
                self.reject(text, "toc_link" if block.link else "excluded_section", block)
                return
            parent = self.layout.parents.get(index)
            item = self.open(block, cand, text, cand.question_md, cand.family, rule_name(block, cand.family),
                             verdict.template)
            item.parent = self.layout.stems.get(parent) if parent is not None else None
            if index in self.layout.statements:
                self.take_statement(index, item)
            return
        if block.kind == "paragraph" and block.depth == 0 and self.lead_in and not question:
            self.lead_in = None  # prose ends an announced list
        if self.current is None:
            if self.cues.boilerplate.search(block.text):
                self.reject(block.text, "boilerplate", block)
            elif self.mode == "excluded_section" and block.link:
                self.reject(text, "toc_link", block)
            return
        self.attach(block)


_LEADING_NUMBER = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[qQ](?:uestion)?\s*)?(\d{1,3})\s*[.):]")


def question_number(block: Block) -> int | None:
    """The number a block is set with: its list item number, or "12." / "Q12:" opening its text."""
    if block.number is not None:
        return block.number
    m = _LEADING_NUMBER.match(block.markdown or block.text) or _LEADING_NUMBER.match(block.text)
    return int(m.group(1)) if m else None


def rule_name(block: Block, family: str) -> str:
    numbered = block.ordered or block.number is not None or bool(NUMBERED.match(block.markdown or ""))
    if family == "list":
        return ("numbered" if numbered else "bulleted") + ("_bold" if block.bold else "")
    return {"bold": "bold_line", "label": "q_label", "plain": "paragraph", "quote": "quote"}.get(family, family)


def table_rows(block: Block) -> list[list[tuple[str, str]]]:
    """Cells as (plain text, markdown) per row; the Markdown separator row is skipped."""
    text_rows = [[c.strip() for c in line.split(" | ")] for line in block.text.splitlines() if line.strip()]
    md_rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in (block.markdown or "").splitlines()
        if line.strip() and not re.fullmatch(r"[\s|:\-]+", line)
    ]
    if len(md_rows) != len(text_rows):
        md_rows = text_rows
    return [
        [(t, md_row[i] if i < len(md_row) else t) for i, t in enumerate(t_row)]
        for t_row, md_row in zip(text_rows, md_rows)
    ]
