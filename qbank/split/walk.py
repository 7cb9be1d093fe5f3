"""Split stage: a StructuredDoc's blocks -> interview questions with their answers, and what was not kept.

The rules are about document structure and wording, never about one site:

- a question is a block whose cleaned text is *question-shaped* (ends with "?", or opens with a question word
  or an imperative such as "Explain" / "Walk me through", see data/cues.yaml), or any item of a list announced
  by a lead-in such as "Example Questions:"; a line ending in "?" without a question word counts only where
  questions stand (heading, list item, bold or numbered line) and never as a sales line ("Ready to practice?");
- its answer is what follows until the next question of the same shape or a heading: blocks nested deeper
  than a question list item, paragraphs after it (always when they open with an answer label such as
  "Sample answer:"), or a heading question's whole section;
- a run of bare questions (question followed directly by question) has no answers, so the prose after the
  run belongs to the section, not to the last question;
- items after a "Follow-Up Points:" label go into the question's `follow_ups`;
- sections about the interview itself (FAQ, questions to ask the interviewer), tables of contents,
  licence / contributing / references sections and page furniture contribute nothing;
- a question that is only a link (a table of contents, a sidebar) never adds a second copy;
- page chrome between a question and its answer ("Asked 5 years ago", "Viewed 48k times") is dropped, and a
  Q&A site's "2 Answers" heading means what came before it was the question's body.

Every candidate dropped is returned as a `Rejected` with a snake_case reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from qbank.clean import Cues, clean_question, is_placeholder_answer, load_cues, strip_markup
from qbank.records import Block, QAItem, Rejected, StructuredDoc
from qbank.settings import SplitSettings

_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*[.]?\s*$")
_SENTENCE = re.compile(r"(?<=[.?!])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_INLINE_BOLD_Q = re.compile(r"^\s*(?:\d{1,3}[.)]\s*)?(\*\*|__)(?P<q>.+?)\1\s*[:\-–—]?\s*(?P<rest>\S.*)$", re.DOTALL)
_INLINE_ANSWER = re.compile(
    r"(?:(?<=[?.!:)*`])[ \t]*|\n\s*)(?:\*\*|__)?\s*(?:A|Ans|Answer)\s*[:：](?:\*\*|__)?\s+", re.IGNORECASE
)
_NUMBERED = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[qQ]\s*)?\d{1,3}[.):]\s")
_EMPHASIS_EDGE = re.compile(r"^[\s*_]+")
_MD_LINK = re.compile(r"!?\[[^\[\]]*\]\([^()\s]*\)")
_TABLE_Q_HEADER = re.compile(r"\b(questions?|q|prompts?)\b", re.IGNORECASE)
_TABLE_A_HEADER = re.compile(r"\b(answers?|a|solutions?|explanations?|responses?)\b", re.IGNORECASE)


# ---------------------------------------------------------------- wording


def _first_words(text: str, n: int) -> str:
    return " ".join(w.strip("\"'“‘(").lower() for w in text.split()[:n])


def _opens_with(text: str, phrases: tuple[str, ...]) -> bool:
    head = _first_words(text, 4)
    return any(head == p or head.startswith(p + " ") for p in phrases)


def _is_title_case(text: str) -> bool:
    """'How ABM Roles Are Often Disguised as ...' reads as a title, not as a question."""
    words = [w for w in text.split()[1:] if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


_NOT_A_THING = frozenset({"this", "that", "these", "those", "more", "here", "there", "them", "everything", "below"})


def _short_prompt(words: list[str], cues: Cues, marked: bool) -> bool:
    """Two words that are still a prompt: an imperative and its object, closed like a sentence or set as a
    question ("Explain backpropagation.", "3. Define overfitting"); not a bare "Compare plans" button."""
    if len(words) != 2:
        return False
    thing = words[1].rstrip(".?!").lower()
    if len(thing) < 4 or thing in _NOT_A_THING:  # "Share this.", "Find more."
        return False
    closed = words[1].endswith((".", "?")) or marked
    return closed and words[0].lower() in cues.imperatives


def is_question_shaped(
    text: str, cues: Cues, settings: SplitSettings, marked: bool = False, placed: bool = False
) -> bool:
    """True when cleaned `text` reads as a question (or an imperative prompt) by its wording.

    `marked`: the line is formatted as a question (numbered, bold, "Q1."), so coding-task verbs count too.
    `placed`: the line stands where questions stand (a heading, a list item, a bold or numbered line), which is
    what makes a "?" line without a question word ("Favourite design pattern and why?") a question.
    """
    words = text.split()
    if not words or len(text) > settings.max_question_chars:
        return False
    if len(words) < settings.min_question_words and not _short_prompt(words, cues, marked):
        return False
    if text.rstrip().endswith((":", "：")):
        return False  # a label or lead-in ("Example Questions:", "Here are some questions:")
    core = text
    while _TRAILING_PAREN.search(core) and not core.endswith("?)"):
        stripped = _TRAILING_PAREN.sub("", core)
        if stripped == core or not stripped:
            break
        core = stripped  # "... model? (e.g. scaling) (feature scaling)." -> "... model?"
    first = _first_words(core, 1)
    starts = first in cues.question_words or _opens_with(core, cues.imperatives) or (
        marked and first in cues.task_verbs
    )
    # "In CNNs, what is ...?": the question word opens the clause after a leading phrase
    lead, _, clause = core.partition(",")
    clause = clause if len(lead.split()) <= 5 else ""
    starts = starts or _first_words(clause, 1) in cues.question_words
    sentences = [s for s in _SENTENCE.split(core) if s.strip()]
    if core.endswith("?"):
        if starts:
            return len(sentences) <= 3
        # a trailing "?" alone is not substance: "Ready to practice?" is a sales line wherever it stands
        return (marked or placed) and len(sentences) <= 2 and not _opens_with(core, cues.promo_openings)
    if _opens_with(core, cues.title_openings) or _is_title_case(core):
        return False
    if not starts:
        return False
    if ":" in " ".join(words[:8]) and not _opens_with(core, cues.imperatives):
        return False  # "What Interviewers Look For: Strong candidates ..." is a label and its text
    if "?" not in core:
        return len(sentences) <= 2
    # "What is X? Give an example." : a question, then imperatives only
    return len(sentences) <= 3 and all(
        s.rstrip().endswith("?") or _opens_with(s, cues.imperatives) for s in sentences
    )


def match_key(text: str) -> str:
    """Key for recognising the same question twice in one document (case, punctuation, spacing ignored)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


# ---------------------------------------------------------------- state


@dataclass
class _Open:
    """The question being assembled."""

    block: Block
    question: str
    question_raw: str
    rule: str
    family: str  # heading | list | bold | label | plain | table
    section: str | None
    section_path: tuple[str, ...]
    reject: str | None = None  # reason decided by context (interview FAQ section, ...), applied at close
    answer: list[Block] = field(default_factory=list)
    inline_md: str | None = None  # answer text in the question's own block ("**Q?** answer", "Q: ... A: ...")
    inline_text: str | None = None
    cued: bool = False  # an answer label was seen
    run: int = 0  # how many bare questions directly precede this one
    follow_ups: list[str] = field(default_factory=list)
    follow_depth: int | None = None  # depth of the "Follow-Up Points:" label while collecting

    @property
    def depth(self) -> int:
        return self.block.depth if self.family == "list" else -1

    @property
    def has_answer(self) -> bool:
        return bool(self.answer or self.inline_md or self.cued)


@dataclass
class _Walk:
    doc: StructuredDoc
    cues: Cues
    settings: SplitSettings
    headings: list[tuple[int, str]] = field(default_factory=list)
    modes: list[tuple[int, str]] = field(default_factory=list)  # (heading level, reason) for special sections
    lead_in: str | None = None  # "questions" or a rejection reason, for the list that follows
    current: _Open | None = None
    kept: list[tuple[_Open, bool]] = field(default_factory=list)  # (question, is_link)
    rejected: list[Rejected] = field(default_factory=list)
    seen_headings: set[str] = field(default_factory=set)

    # -------------------------------------------------------- helpers

    def reject(self, text: str, reason: str, block: Block | None) -> None:
        self.rejected.append(
            Rejected(self.doc.source_uri, text, reason, self.section, block.order if block else None)
        )

    @property
    def section(self) -> str | None:
        return self.headings[-1][1] if self.headings else None

    @property
    def mode(self) -> str | None:
        return self.modes[-1][1] if self.modes else None

    def shaped(self, text: str, marked: bool = False, placed: bool = False) -> bool:
        return is_question_shaped(text, self.cues, self.settings, marked, placed)

    def context_reason(self, question: str) -> str | None:
        """Why a question found here is not a bank question, from its section, lead-in or own wording."""
        if self.cues.ask_the_interviewer.search(question):
            return "ask_the_interviewer"
        if self.cues.interview_faq.search(question):
            return "interview_faq"
        if self.lead_in and self.lead_in != "questions":
            return self.lead_in
        return self.mode

    def open(self, block: Block, question_md: str, question: str, family: str, rule: str) -> None:
        previous = self.current
        self.close()
        item = _Open(
            block=block,
            question=question,
            question_raw=question_md,
            rule=rule,
            family=family,
            section=self.section,
            section_path=tuple(h for _, h in self.headings),
        )
        if previous is not None and not previous.has_answer and previous.family == family:
            item.run = previous.run + 1
        item.reject = self.context_reason(question)
        self.current = item

    def close(self) -> None:
        item, self.current = self.current, None
        if item is None:
            return
        if item.reject:
            self.reject(item.question, item.reject, item.block)
            return
        self.kept.append((item, item.block.link))

    # -------------------------------------------------------- blocks

    def heading(self, block: Block) -> None:
        text = clean_question(block.text)
        cur = self.current
        if cur and cur.family == "heading" and block.level > cur.block.level and self.cues.answer_section.search(text):
            cur.answer.clear()  # "2 Answers": what came before was the question's own body
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
        if (cur and cur.family == "heading" and block.level > cur.block.level and not chrome
                and not self.shaped(text, placed=True)):
            cur.answer.append(block)  # a sub-heading inside a heading question's answer ("### Example")
            return
        self.close()
        self.lead_in = None
        while self.headings and self.headings[-1][0] >= block.level:
            self.headings.pop()
        while self.modes and self.modes[-1][0] >= block.level:
            self.modes.pop()
        mode = self.section_mode(text)
        if not chrome and mode is None and self.shaped(text, bool(_NUMBERED.match(block.markdown or "")), placed=True):
            self.open(block, block.markdown or block.text, text, "heading", "heading_question")
            self.headings.append((block.level, text))
            return
        key = match_key(text)
        repeat = key in self.seen_headings or (
            self.doc.title is not None and key == match_key(self.doc.title) and self.headings
        )
        self.seen_headings.add(key)
        reason = "boilerplate" if repeat or chrome else "heading"
        if mode in ("interview_faq", "ask_the_interviewer") and self.shaped(text, placed=True):
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
        return None

    def follow_up(self, block: Block, text: str) -> bool:
        """Collect follow-up items; True when `block` was consumed as one (or as the label)."""
        cur = self.current
        if cur is None:
            return False
        if self.cues.follow_up_label.match(text):
            cur.follow_depth = block.depth
            return True
        if cur.follow_depth is None:
            return False
        if block.depth >= cur.follow_depth and (block.kind == "list_item" or block.depth > cur.follow_depth):
            follow = clean_question(block.text)
            cur.follow_ups.append(follow)
            self.reject(follow, "follow_up", block)
            return True
        cur.follow_depth = None
        return False

    def answer_label(self, block: Block) -> Block | None:
        """Strip an answer label ("Sample answer:", "**Answer:**"); None when nothing but the label remains."""
        m = self.cues.answer_label.match(block.text)
        if not m:
            return block
        if self.current:
            self.current.cued = True
        rest_text = block.text[m.end() :].strip()
        if not rest_text:
            return None
        md = _EMPHASIS_EDGE.sub("", block.markdown or block.text)
        mm = self.cues.answer_label.match(md)
        rest_md = _EMPHASIS_EDGE.sub("", md[mm.end() :]) if mm else rest_text
        return Block(block.kind, rest_text, rest_md, block.level, block.depth, block.number, block.ordered,
                     False, block.link, block.order)

    def candidate(self, block: Block) -> tuple[str, str, str | None, str | None, str] | None:
        """(question, question_md, inline answer md, inline answer text, family) when `block` opens a question."""
        md = block.markdown or block.text
        if block.kind == "paragraph" and _only_links(md):
            return None  # a row of badges or links ("[![Build](...)](...)") whatever its alt texts say
        family = "list" if block.kind == "list_item" else "bold" if block.bold else "plain"
        if block.kind == "paragraph" and self.cues.question_label.match(block.text) and not block.text.rstrip().endswith(":"):
            family = "label"
        # "Q: What is X? A: It is Y." and "**What is X?** It is Y." in one block
        split_at = _INLINE_ANSWER.search(md)
        if split_at and family in ("label", "bold", "plain", "list"):
            question = clean_question(md[: split_at.start()])
            if self.shaped(question, placed=True):  # an answer label right after it places it
                rest = md[split_at.end() :].strip()
                return question, md[: split_at.start()].strip(), rest, strip_markup(rest), family
        inline = _INLINE_BOLD_Q.match(re.sub(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", "", md))
        if inline and not block.bold:
            question = clean_question(inline["q"])
            if self.shaped(question, placed=True):
                rest = inline["rest"].strip()
                return question, md, rest, strip_markup(rest), "bold" if family == "plain" else family
        marked = bool(block.bold or block.number is not None or _NUMBERED.match(strip_markup(md)))
        placed = marked or block.kind == "list_item" or family == "label"
        lines = re.sub(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", "", md).split("\n", 1)
        if len(lines) == 2 and lines[1].strip():
            # "2) What is X?\n   It is ..." : a question line with its answer wrapped into the same block; a line
            # ending without "?" or "." is a question wrapped over two lines
            question = clean_question(lines[0])
            if question.endswith(("?", ".")) and self.shaped(question, placed=placed):
                rest = lines[1].strip()
                return question, lines[0].strip(), rest, strip_markup(rest), family
        question = clean_question(block.text)
        labelled = self.cues.question_label.match(strip_markup(md).lstrip("#>-*+ "))
        if self.shaped(question, marked or bool(labelled), placed or bool(labelled)):
            return question, md, None, None, family
        words = question.split()
        if (
            (block.kind == "list_item" and self.lead_in or labelled)
            and len(words) >= self.settings.min_question_words
            and len(question) <= self.settings.max_question_chars
            and not question.endswith(":")
        ):
            return question, md, None, None, family  # an item of an announced question list
        return None

    def starts_new(self, block: Block, family: str) -> bool:
        """Whether a question-shaped `block` opens a new question rather than continuing the open answer."""
        cur = self.current
        if cur is None:
            return True
        if cur.family == "heading":
            # a bold question after the heading question's answer is the next question of an accordion or a list
            # under it ("### What is a Pod?" / text / "1. **What is a Service?**"), unless a lead-in announced it
            last = cur.answer[-1] if cur.answer else None
            return bool(
                block.bold and block.depth == 0 and last is not None and last.kind != "heading"
                and not last.text.rstrip().endswith((":", "："))
            )
        if cur.family == "list" and block.depth > cur.depth:
            return False  # nested under the question item: answer text, even when it asks something
        if block.kind == "list_item":
            return cur.family == "list"  # bullets after a bold or plain question are its answer
        if family in ("bold", "label"):
            return True
        # a plain line right after a bold or labelled question is its answer, however it is worded
        return cur.family in ("plain", "table") or (cur.family == "list" and not cur.has_answer)

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
            kept = self.answer_label(block)
            if kept is not None:
                cur.answer.append(kept)
            return
        labelled = self.cues.answer_label.match(block.text) is not None
        if cur.family == "list" and cur.answer and not cur.cued:
            self.close()  # the answer was nested under the item; top-level prose after it is the section's
            return
        # prose after a run of bare questions is the section's; bold Q/A pairs (details/summary) may have
        # one empty answer, so they need a longer run before the rule applies
        if not labelled and not cur.has_answer and cur.run >= (1 if cur.family in ("list", "plain") else 2):
            self.close()
            return
        kept = self.answer_label(block)
        if kept is not None:
            cur.answer.append(kept)

    def table(self, block: Block) -> None:
        rows = _table_rows(block)
        if len(rows) < 2:
            self.attach(block)
            return
        header, body = rows[0], rows[1:]
        q_col = next((i for i, (t, _) in enumerate(header) if _TABLE_Q_HEADER.search(t)), None)
        a_col = next((i for i, (t, _) in enumerate(header) if i != q_col and _TABLE_A_HEADER.search(t)), None)
        if q_col is None:
            shaped = sum(self.shaped(clean_question(r[0][0]), placed=True) for r in body if r)
            q_col = 0 if shaped >= max(1, 0.6 * len(body)) else None
        if q_col is None:
            self.attach(block)  # a table of facts: answer content
            return
        self.close()
        for row in body:
            if len(row) <= q_col or not row[q_col][0].strip():
                continue
            question = clean_question(row[q_col][0])
            self.open(block, row[q_col][1], question, "table", "table")
            if a_col is not None and len(row) > a_col and row[a_col][0].strip():
                self.current.inline_md = row[a_col][1]
                self.current.inline_text = row[a_col][0]
            self.close()

    def block(self, block: Block) -> None:
        if block.kind == "heading":
            self.heading(block)
            return
        if block.kind == "rule":
            return
        if block.kind == "table":
            self.table(block)
            return
        text = clean_question(block.text)
        if self.follow_up(block, text):
            return
        in_heading_answer = self.current is not None and self.current.family == "heading"
        if block.kind == "paragraph" and text.endswith((":", "：")) and block.depth == 0 and not in_heading_answer:
            # a lead-in such as "Example Questions:" announces the list below it
            if self.cues.ask_the_interviewer.search(text):
                self.close()
                self.lead_in = "ask_the_interviewer"
                return
            if self.cues.question_lead_in.search(text) and not self.cues.answer_label.match(block.text):
                self.close()
                self.lead_in = "questions"
                return
        found = self.candidate(block) if block.kind in ("paragraph", "list_item", "quote") else None
        if found and self.starts_new(block, found[4]):
            question, md, inline_md, inline_text, family = found
            if self.mode == "excluded_section" or (block.link and self.mode):
                self.close()
                self.reject(question, "toc_link" if block.link else "excluded_section", block)
                return
            rule = _rule_name(block, family)
            self.open(block, md, question, family, rule)
            self.current.inline_md, self.current.inline_text = inline_md, inline_text
            return
        if block.kind == "paragraph" and block.depth == 0 and self.lead_in and not found:
            self.lead_in = None  # prose ends an announced list
        if self.current is None:
            if self.cues.boilerplate.search(block.text):
                self.reject(block.text, "boilerplate", block)
            elif self.mode == "excluded_section" and block.link:
                self.reject(text, "toc_link", block)
            return
        self.attach(block)



def _only_links(markdown: str) -> bool:
    """True when `markdown` is nothing but links and images (badges nest an image inside a link)."""
    rest, previous = markdown, None
    while previous != rest:
        previous, rest = rest, _MD_LINK.sub("", rest)
    return bool(markdown.strip()) and not rest.strip()


def _rule_name(block: Block, family: str) -> str:
    numbered = block.ordered or block.number is not None
    if family == "list":
        return ("numbered" if numbered else "bulleted") + ("_bold" if block.bold else "")
    return {"bold": "bold_line", "label": "q_label", "plain": "paragraph"}.get(family, family)


def _table_rows(block: Block) -> list[list[tuple[str, str]]]:
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


# ---------------------------------------------------------------- answers


def _render(item: _Open) -> tuple[str | None, str | None]:
    """The answer as (markdown, plain text); (None, None) when there is none or it is a placeholder."""
    md_parts: list[str] = []
    text_parts: list[str] = []
    base = item.block.depth + 1 if item.family == "list" else 0
    if item.inline_md:
        md_parts.append(item.inline_md)
        text_parts.append(item.inline_text or strip_markup(item.inline_md))
    prev_kind = None
    for block in item.answer:
        indent = "  " * max(block.depth - base, 0)
        md = block.markdown or block.text
        md = "\n".join(indent + line if line else line for line in md.splitlines())
        text = ("- " if block.kind == "list_item" else "") + block.text
        sep = "\n" if prev_kind == "list_item" and block.kind == "list_item" else "\n\n"
        if md_parts:
            md_parts.append(sep)
            text_parts.append(sep)
        md_parts.append(md)
        text_parts.append(indent + text)
        prev_kind = block.kind
    if item.inline_md and item.answer:
        md_parts.insert(1, "\n\n")
        text_parts.insert(1, "\n\n")
    markdown = "".join(md_parts).strip()
    if not markdown or is_placeholder_answer(markdown):
        return None, None
    return markdown, "".join(text_parts).strip()


# ---------------------------------------------------------------- entry point


def split(doc: StructuredDoc, settings: SplitSettings) -> tuple[list[QAItem], list[Rejected]]:
    """Find the interview questions of `doc` with their answers; return them and the rejected candidates."""
    walk = _Walk(doc, load_cues(settings.cues_file) if settings.cues_file else load_cues(), settings)
    for block in doc.blocks:
        walk.block(block)
    walk.close()

    items: list[QAItem] = []
    by_key: dict[str, int] = {}
    plain_keys = {match_key(q.question) for q, link in walk.kept if not link}
    rejected = walk.rejected
    for item, link in walk.kept:
        key = match_key(item.question)
        markdown, text = _render(item)
        if link and key in plain_keys:
            rejected.append(Rejected(doc.source_uri, item.question, "toc_link", item.section, item.block.order))
            continue
        if key in by_key:
            first = items[by_key[key]]
            if first.answer_markdown is None and markdown is not None:
                items[by_key[key]] = _with_answer(first, markdown, text)
            rejected.append(Rejected(doc.source_uri, item.question, "duplicate_in_doc", item.section, item.block.order))
            continue
        by_key[key] = len(items)
        items.append(
            QAItem(
                source_uri=doc.source_uri,
                position=len(items),
                question=item.question,
                question_raw=item.question_raw,
                answer_markdown=markdown,
                answer_text=text,
                section=item.section,
                section_path=item.section_path,
                follow_ups=tuple(item.follow_ups),
                rule=item.rule,
            )
        )
    for qa in doc.structured_qa:
        question = clean_question(qa.question)
        key = match_key(question)
        answer = qa.answer_markdown if qa.answer_markdown and not is_placeholder_answer(qa.answer_markdown) else None
        if key in by_key:
            first = items[by_key[key]]
            if first.answer_markdown is None and answer:
                items[by_key[key]] = _with_answer(first, answer, strip_markup(answer))
            continue
        by_key[key] = len(items)
        items.append(
            QAItem(doc.source_uri, len(items), question, qa.question, answer,
                   strip_markup(answer) if answer else None, None, rule="schema_org")
        )
    return items, rejected


def _with_answer(item: QAItem, markdown: str, text: str | None) -> QAItem:
    return replace(item, answer_markdown=markdown, answer_text=text)
