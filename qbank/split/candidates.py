"""Candidates: every block that could hold a question, read once into a typed record.

A `Candidate` says what the block would ask (cleaned question text, with any answer or hint written on its own
line split off), how it is set (its structural `signature`: heading level, list depth and marker, bold, label)
and what its wording says (`shaped`, `asks`, `decorated`, or a reason it cannot be a question at all). The
layout stage (`qbank.split.layout`) judges candidates by their signature group; the walker assembles answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qbank.clean import Cues, clean_question, is_placeholder_answer, strip_markup
from qbank.records import Block
from qbank.settings import SplitSettings
from qbank.split.wording import asks, asks_strongly, is_meta, is_question_shaped, lead_in_task, opens_with, sentences, split_hint

_INLINE_BOLD_Q = re.compile(r"^\s*(?:\d{1,3}[.)]\s*)?(\*\*|__)(?P<q>.+?)\1\s*[:\-–—]?\s*(?P<rest>\S.*)$", re.DOTALL)
_INLINE_ANSWER = re.compile(
    r"(?:(?<=[?.!:)*`])[ \t]*|\n\s*)(?:\*\*|__)?\s*"
    r"(?:(?:A|Ans|Answer)\s*[:：]|(?:Ans|A)\.|A\)(?!.*\bB\)))(?:\*\*|__)?\s+",  # "A)" unless options follow
    re.IGNORECASE | re.DOTALL,
)
_DASH_ANSWER = re.compile(r"(?<=\?)\s+[-–—]\s+(?=\S)")  # "What is a WAL? - an append-only log of changes"
NUMBERED = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[qQ]\s*)?\d{1,3}[.):]\s")
_ITEM_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_MD_LINK = re.compile(r"!?\[[^\[\]]*\]\([^()\s]*\)")
_AFTER_ASK = re.compile(r"\?\s+(?=[a-z])")  # "What is X? chi-squared test: ..." : a note in lower case
MAX_LIST_WORDS = 20  # an unworded item longer than this in a question list is prose, not a terse question


@dataclass(frozen=True, slots=True)
class Candidate:
    """A block read as a possible question."""

    block: Block
    family: str  # heading | list | bold | label | plain | quote
    signature: str  # structural template: "h3", "li0o" (depth 0, ordered), "li1ub", "p0b" (bold), "p0q" (label)
    question: str  # cleaned question text, without the answer or hint written on its line
    question_md: str  # the question's own Markdown
    answer_md: str | None = None  # answer written in the question's own block ("**Q?** A", "Q: .. A: ..", a hint)
    answer_text: str | None = None
    answer_kind: str | None = None  # "inline" | "hint"
    shaped: bool = False  # its wording alone reads as a question or a prompt
    decorated: bool = False  # numbering, a "Q1:" label, a "[E]" tag or an emoji was stripped: set as a question
    asks: bool = False  # some sentence of it asks something
    asks_outright: bool = False  # some sentence ends with "?" or gives an order ("Write ...", "Given X, return Y")
    excluded: str | None = None  # why it cannot be a question whatever the layout (meta, lead_in, too_long, ...)
    with_hint: str | None = None  # the question with its trailing parenthetical, when that was split off as a hint
    about_interview: str | None = None  # "ask_the_interviewer" / "interview_faq" when its wording is about that

    @property
    def words(self) -> int:
        return len(self.question.split())

    @property
    def label(self) -> bool:
        """A label for what follows ("Example 1:", "**Constraints:**"), not text of its own."""
        return self.block.bold or (self.question.rstrip().endswith((":", "：")) and self.words <= 5)

    @property
    def terse(self) -> bool:
        """Short enough to be a question in a list of questions although not worded as one
        ("Epoch vs. Batch vs. Iteration.", "P value and test hypothesis.")."""
        return self.words <= MAX_LIST_WORDS and len(sentences(self.question)) <= 3


def signature(block: Block, family: str) -> str:
    if block.kind == "heading":
        return f"h{block.level}"
    if block.kind == "list_item":
        return f"li{block.depth}{'o' if block.ordered else 'u'}{'b' if block.bold else ''}"
    if block.kind == "quote":
        return f"q{block.depth}"
    return f"p{block.depth}" + {"bold": "b", "label": "q"}.get(family, "")


def only_links(markdown: str) -> bool:
    """True when `markdown` is nothing but links and images (badges nest an image inside a link)."""
    rest, previous = markdown, None
    while previous != rest:
        previous, rest = rest, _MD_LINK.sub("", rest)
    return bool(markdown.strip()) and not rest.strip()


def read_candidate(block: Block, cues: Cues, settings: SplitSettings) -> Candidate | None:
    """The block as a possible question; None for blocks that never are (code, tables, rules, empty text)."""
    if block.kind not in ("heading", "paragraph", "list_item", "quote"):
        return None
    md = block.markdown or block.text
    if block.kind == "heading":
        family = "heading"
    elif block.kind == "list_item":
        family = "list"
    elif block.kind == "quote":
        family = "quote"
    elif cues.question_label.match(block.text) and not strip_markup(md.split("\n", 1)[0]).rstrip().endswith(":"):
        family = "label"  # ("Question:" alone, or "Questions:" over a list, is a lead-in)
    else:
        family = "bold" if block.bold else "plain"
    sig = signature(block, family)
    plain = " ".join(strip_markup(block.text).split()).strip(" *_|")
    marked = bool(block.bold or block.number is not None or NUMBERED.match(strip_markup(md)))
    placed = marked or family in ("heading", "list", "label")
    decorated = len(clean_question(block.text, cues)) < len(plain) - 1

    def make(question: str, question_md: str, answer_md: str | None = None, kind: str | None = None) -> Candidate:
        if answer_md is not None:
            answer_md = _without_label(answer_md, cues)  # "Ans." or "A)" with nothing after it: no answer
        with_hint = None
        if answer_md is None and family != "heading":
            with_hint = question
            question, hint = split_hint(question, cues)
            if hint is not None and not _only_a_link(hint, md) and not cues.reference_aside.search(hint):
                answer_md, kind = hint, "hint"
            elif hint is None:
                with_hint = None  # (a hint that is only a link is dropped from the question, not an answer)
        shaped = is_question_shaped(question, cues, settings, marked or decorated, placed or decorated)
        return Candidate(
            block, family, sig, question, question_md, answer_md,
            strip_markup(answer_md) if answer_md else None, kind, shaped, decorated,
            shaped or asks(question, cues),
            family in ("plain", "label", "bold") and asks_strongly(question, cues),  # a problem statement's lead
            _excluded(question, block, md, cues, settings, shaped), with_hint, about_interview(question, cues),
        )

    if family != "heading":
        # "Q: What is X? A: It is Y." and "**What is X?** It is Y." in one block
        split_at = _INLINE_ANSWER.search(md)
        if split_at:
            question = clean_question(md[: split_at.start()], cues)
            if is_question_shaped(question, cues, settings, placed=True):  # the answer label places it
                return make(question, md[: split_at.start()].strip(), md[split_at.end() :].strip(), "inline")
        inline = _INLINE_BOLD_Q.match(_ITEM_MARKER.sub("", md))
        if inline and not block.bold:
            question = clean_question(inline["q"], cues)
            if is_question_shaped(question, cues, settings, placed=True):
                return make(question, md, inline["rest"].strip(), "inline")
        lines = _ITEM_MARKER.sub("", md).split("\n", 1)
        if len(lines) == 2 and lines[1].strip():
            # "2) What is X?\n   It is ..." : a question line with its answer wrapped into the same block; a line
            # ending without "?" or "." is a question wrapped over two lines
            question = clean_question(lines[0], cues)
            if question.endswith(("?", ".")) and is_question_shaped(question, cues, settings, marked, placed):
                return make(question, lines[0].strip(), lines[1].strip(), "inline")
    question = clean_question(block.text, cues)
    if family in ("list", "plain", "label"):
        dash = _DASH_ANSWER.search(question)
        if dash and is_question_shaped(question[: dash.start()], cues, settings, marked, placed):
            head = question[: dash.start()]
            return make(head, head, question[dash.end() :].strip(), "hint")
        # "What is hypothesis testing? chi-squared test: ..." : the lower-case rest after the ask is a note on
        # it; "What are the problems of GANs? Said mode collapse." : a reply the candidate reports
        cut = _AFTER_ASK.search(question) or _reported_reply(question, cues)
        if cut and not asks(question[cut.end() :], cues):
            head = question[: cut.start() + 1]
            if is_question_shaped(head, cues, settings, marked, placed):
                rest = question[cut.end() :].strip()
                return make(head, head, rest, "inline")
    return make(question, md)


def _without_label(answer_md: str, cues: Cues) -> str | None:
    """An answer written on the question's line, without a leading answer label; None when only the label is."""
    plain = strip_markup(answer_md).strip()
    if not plain or cues.answer_button.match(plain) or cues.answer_button.match(plain.rstrip(":：) ")):
        return None
    m = cues.answer_label.match(answer_md)
    return answer_md[m.end() :].strip() or None if m else answer_md


_LINK_TEXT = re.compile(r"\[([^\[\]]+)\]\([^()\s]+\)")
_URL = re.compile(r"https?://\S+")


def _only_a_link(hint: str, markdown: str) -> bool:
    """A parenthetical that points elsewhere ("(see the [docs](...))", "(explanation: https://...)") is a
    reference, not an answer."""
    if _URL.search(hint):
        rest = _URL.sub("", hint).strip(" .,;")
        return rest.endswith(":") or len(rest.split()) <= 3  # "(Beautiful explanation by X: https://...)"
    linked = sum(len(m.group(1)) for m in _LINK_TEXT.finditer(markdown) if m.group(1) in hint)
    return linked >= 0.5 * len(hint.strip())


_LAST_ASK = re.compile(r"\?\s+(?=\S)")


def _reported_reply(question: str, cues: Cues) -> re.Match[str] | None:
    """Where a reply reported after the last "?" starts ("... GANs? Said mode collapse ..."), or None."""
    last = None
    for last in _LAST_ASK.finditer(question):
        pass
    if last is None or not opens_with(question[last.end() :], cues.reported_replies):
        return None
    return last


def about_interview(question: str, cues: Cues) -> str | None:
    """A question put to the interviewer, or one about the interview itself, by its own wording."""
    if cues.ask_the_interviewer.search(question):
        return "ask_the_interviewer"
    if cues.interview_faq.search(question):
        return "interview_faq"
    return None


def _excluded(question: str, block: Block, md: str, cues: Cues, settings: SplitSettings, shaped: bool) -> str | None:
    """Why the text cannot be a bank question whatever its layout, or None."""
    if not question or not any(ch.isalpha() for ch in question):
        return "empty"
    if block.kind == "paragraph" and only_links(md):
        return "links"  # a row of badges or links ("[![Build](...)](...)") whatever its alt texts say
    if cues.boilerplate.search(question):
        return "boilerplate"
    if is_placeholder_answer(question, cues):
        return "placeholder"  # "Coming soon.", "TBD": an answer that is not there yet
    first = sentences(question)[0]
    if first.rstrip().endswith("?") and opens_with(first, cues.promo_openings):
        return "boilerplate"  # "Enjoyed this post? Share it.", "Ready to practise?": a sales line
    if cues.answer_label.match(block.text) or cues.answer_button.match(question):
        return "answer_label"
    if is_meta(question, cues):
        return "interview_faq" if question.rstrip().endswith("?") else "title"
    if len(question) > settings.max_question_chars:
        return "too_long"
    if question.rstrip().endswith((":", "：")) and not lead_in_task(question, cues):
        return "lead_in"
    return None


def notes_not_hints(candidates: list[Candidate | None], cues: Cues) -> list[Candidate | None]:
    """When most trailing parentheticals of a document name the question's topic ("(Optimization fundamentals)")
    they are all notes: each stays in its question instead of becoming its hint."""
    hinted = [c for c in candidates if c is not None and c.answer_kind == "hint"]
    notes = sum(bool(cues.topic_note.search(c.answer_md or "")) for c in hinted)
    if notes < 2 or notes * 2 <= len(hinted):
        return candidates
    return [
        replace(c, question=c.with_hint, answer_md=None, answer_text=None, answer_kind=None, with_hint=None)
        if c is not None and c.answer_kind == "hint" and c.with_hint else c
        for c in candidates
    ]
