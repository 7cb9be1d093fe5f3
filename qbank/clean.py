"""Question text cleaning and placeholder-answer detection, plus the wording cues both read.

`clean_question` turns a question as it stood in a document ("3. **What is X?** [src] 🟢") into the text
the bank keeps ("What is X?"). `is_placeholder_answer` says when an "answer" is a stub ("TBD", `pass`).
The wording lists live in data/cues.yaml; `load_cues` reads and compiles them once per file.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from qbank.settings import DATA_DIR

DEFAULT_CUES = DATA_DIR / "cues.yaml"


class AnyOf:
    """Alternative patterns, case-insensitive, searched as one.

    Each floating pattern's longest run of required letters ("cookie" in r"\bcookies?\b.*\b(accept|...)") is
    looked for first: a line without any of them cannot match, and most lines have none, so the alternation,
    ~20 us a line, runs on few lines of a 100,000-line list. Anchored patterns ("^...") are tried at the start.
    """

    def __init__(self, patterns: list[str]) -> None:
        anchored = [p[1:] for p in patterns if p.startswith("^")]
        floating = [p for p in patterns if not p.startswith("^")]
        self._anchored = re.compile("|".join(f"(?:{p})" for p in anchored), re.IGNORECASE) if anchored else None
        self._floating = re.compile("|".join(f"(?:{p})" for p in floating), re.IGNORECASE) if floating else None
        needles = [_needles(p) for p in floating]
        self._needles = None if any(n is None for n in needles) else tuple(set().union(*needles))

    def search(self, text: str) -> re.Match[str] | None:
        if self._anchored is not None and (m := self._anchored.match(text)):
            return m
        if self._floating is None:
            return None
        if self._needles is not None:
            low = text.lower()
            if not any(needle in low for needle in self._needles):
                return None
        return self._floating.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return (self._anchored and self._anchored.match(text)) or (self._floating and self._floating.match(text)) or None


def _needles(pattern: str) -> frozenset[str] | None:
    """Strings (lower case) of which every match of `pattern` contains at least one: its longest run of literal
    characters, or the alternatives of a group ("(book|schedule)"); None when none is three characters long
    (then the pattern always runs)."""
    found = _required(sre_parse.parse(pattern).data)
    return frozenset(found) if found and min(map(len, found)) >= 3 else None


def _required(items: list) -> set[str] | None:
    options: list[set[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            run.append(chr(arg).lower())
            continue
        if (op is sre_constants.MAX_REPEAT or op is sre_constants.MIN_REPEAT) and arg[0] == 0 and run:
            run.pop()  # "cookies?": the s is optional
        options.append({"".join(run)})
        run = []
        if op is sre_constants.SUBPATTERN:
            inner = _required(arg[-1].data)
            if inner:
                options.append(inner)
        elif op is sre_constants.BRANCH:
            alternatives = [_required(alt.data) for alt in arg[1]]
            if all(alternatives):
                options.append(set().union(*alternatives))
    options.append({"".join(run)})
    return max(options, key=lambda o: min(map(len, o)), default=None)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per cue file, cached by load_cues
class Cues:
    """Wording cues from data/cues.yaml, lists lower-cased and patterns compiled."""

    question_words: frozenset[str]
    auxiliaries: frozenset[str]  # question words that ask only with a "?" (is, do, can, don't, ...)
    imperatives: tuple[str, ...]  # may be several words ("walk me through")
    task_verbs: tuple[str, ...]  # coding-prompt verbs, trusted only on lines marked as questions
    listing_prompts: tuple[str, ...]  # imperatives asking for a list ("Name ...", "List ...")
    reported_replies: tuple[str, ...]  # "Said ...", "I answered ...": a reply reported after the question
    title_openings: tuple[str, ...]
    promo_openings: tuple[str, ...]  # "Ready to ...?" / "Want more ...?": sales lines, not questions
    answer_label: re.Pattern[str]  # matches "Sample answer:" at the start of a paragraph
    answer_button: re.Pattern[str]  # a block that is only an answer's label or toggle ("View Answer", "Answer")
    question_label: re.Pattern[str]  # matches "Q:", "Question 3:" at the start of a line
    follow_up_label: re.Pattern[str]
    question_lead_in: AnyOf
    ask_the_interviewer: AnyOf
    interview_faq: AnyOf
    skip_section: AnyOf
    tips_section: AnyOf  # "Interview Tips", "How to practise": advice, not questions
    boilerplate: AnyOf
    answer_section: AnyOf  # "2 Answers": a Q&A site's answers start below
    meta_question: AnyOf  # about interviews, question lists or jobs, not asked in an interview
    problem_heading: AnyOf  # "Problem Statement", "Description": a coding problem's statement follows
    solution_heading: AnyOf  # "Solution (Python)", "Approach": the answer to the statement above
    clarifying_aside: AnyOf  # a parenthetical that belongs to its question ("(trick question)")
    reference_aside: AnyOf  # a parenthetical pointing elsewhere ("(see the RFC)")
    topic_note: AnyOf  # a parenthetical naming the question's topic ("(Optimization fundamentals)")
    placeholder_answers: frozenset[str]
    stub_code_line: AnyOf
    trailing_tag: re.Pattern[str]


def _any(patterns: list[str]) -> AnyOf:
    return AnyOf(patterns)


def _labels(labels: list[str], tail: str) -> re.Pattern[str]:
    # longest first so "sample answer" wins over "answer"; the label must be followed by ":" / "." / "-"
    alts = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    return re.compile(rf"^\s*(?:{alts})(?:{tail})", re.IGNORECASE)


@lru_cache(maxsize=8)
def load_cues(path: Path = DEFAULT_CUES) -> Cues:
    """Read and compile the cue file (cached per path: the file is data shipped with the code)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Cues(
        question_words=frozenset(w.lower() for w in raw["question_words"]),
        auxiliaries=frozenset(w.lower() for w in raw["auxiliaries"]),
        imperatives=tuple(sorted((w.lower() for w in raw["imperatives"]), key=len, reverse=True)),
        task_verbs=tuple(w.lower() for w in raw["task_verbs"]),
        listing_prompts=tuple(w.lower() for w in raw["listing_prompts"]),
        reported_replies=tuple(w.lower() for w in raw["reported_replies"]),
        title_openings=tuple(w.lower() for w in raw["title_openings"]),
        promo_openings=tuple(w.lower() for w in raw["promo_openings"]),
        answer_label=_labels(raw["answer_labels"], r"\s*[:：]\s*|\s+[-–—]\s+|\.\s*(?=\S)|\)\s+"),
        answer_button=_labels(raw["answer_buttons"], r"\s*[:：.]?\s*$"),
        # "Q:", "Question 3:", "Q.2 ", "Q. 12) ", "Question 4 - "
        question_label=_labels(raw["question_labels"],
                               r"\s*\d{0,3}\s*[:.)：]\s*(?:\d{1,3}\s*[.:)]?\s+)?|\s+\d{1,3}\s*[-–—]\s+"),
        follow_up_label=_labels(raw["follow_up_labels"], r"\s*[:：]?\s*$"),
        question_lead_in=_any(raw["question_lead_ins"]),
        ask_the_interviewer=_any(raw["ask_the_interviewer"]),
        interview_faq=_any(raw["interview_faq"]),
        skip_section=_any(raw["skip_sections"]),
        tips_section=_any(raw["tips_sections"]),
        boilerplate=_any(raw["boilerplate"]),
        answer_section=_any(raw["answer_sections"]),
        meta_question=_any(raw["meta_questions"]),
        problem_heading=_any(raw["problem_headings"]),
        solution_heading=_any(raw["solution_headings"]),
        clarifying_aside=_any(raw["clarifying_asides"]),
        reference_aside=_any(raw["reference_asides"]),
        topic_note=_any(raw["topic_notes"]),
        placeholder_answers=frozenset(p.lower() for p in raw["placeholder_answers"]),
        stub_code_line=_any(raw["stub_code_lines"]),
        trailing_tag=re.compile(rf"\s*(?:{'|'.join(raw['trailing_tags'])})\s*$", re.IGNORECASE),
    )


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)|<a\b[^>]*>(.*?)</a>", re.IGNORECASE)
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
# HTML tags by name: "Partial<T>" or "<K extends keyof T>" in a TypeScript question are text, not tags
_HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|center|cite|code|dd|del|details|div|dl|dt|em|font|h[1-6]|hr|i|img|ins|kbd|"
    r"li|mark|ol|p|pre|q|s|samp|small|span|strike|strong|sub|summary|sup|table|tbody|td|th|thead|tr|tt|u|ul|var)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_MARKUP_CHARS = re.compile(r"[*_~`\\]")
_EMPHASIS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)(?!\w+__(?:\W|$))(.+?)(?<=\S)__(?!\w)"),  # not Python dunders (__init__)
    re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"),
    re.compile(r"~~(.+?)~~"),
    re.compile(r"`([^`]+)`"),
)
# list markers, checkboxes, numbering ("1.", "1)", "(1)", "Q1.", "#12"), heading hashes and quote marks
# "... a hash map? (Google, Meta)": names in parentheses after the question mark say where it was asked.
# Case-sensitive on purpose: "(e.g. with scaling)" or "(in Python)" after a "?" are part of the question.
_NAME = r"[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,2}"
_ASKED_BY = re.compile(rf"(?<=\?)\s*\({_NAME}(?:\s*[,/|;]\s*{_NAME}){{0,7}}\)$")
_LEADER = re.compile(
    r"^\s*(?:#{1,6}\s+|>\s*|[-*+•◦▪▫‣⁃○●■□➢►▶✓✔–—·]\s+|\[[ xX]\]\s+|\(?\d{1,3}[.)]\s*(?=\D)|\(\d{1,3}\)\s*"
    r"|[qQ]\d{1,3}\s*[.:)\-–—]\s*|#\d{1,4}\s*[.:)\-]?\s*|\[[^\[\]\s]{1,12}\]\s+)"
)


def _is_symbol(ch: str) -> bool:
    """Emoji and pictographs (incl. their joiners, variation selectors and skin tones), not letters or digits."""
    if ch in "\u200d\ufe0f\ufe0e\u20e3":
        return True
    cat = unicodedata.category(ch)
    return cat in ("So", "Sk", "Cs") or 0x1F000 <= ord(ch) <= 0x1FAFF or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _strip_symbols(text: str) -> str:
    """Drop emoji/pictographs at either end ("🟢 What is X? 🔥⭐")."""
    start, end = 0, len(text)
    while start < end and (_is_symbol(text[start]) or text[start].isspace()):
        start += 1
    while end > start and (_is_symbol(text[end - 1]) or text[end - 1].isspace()):
        end -= 1
    return text[start:end]


@lru_cache(maxsize=1 << 16)  # the splitter asks about the same block text several times
def strip_markup(text: str) -> str:
    """Remove Markdown/HTML inline markup (links keep their text), NFKC-normalise, drop zero-width chars."""
    text = unicodedata.normalize("NFKC", text)
    if "[" in text or "<" in text:  # (most lines of a long plain list have no markup: skip the patterns)
        text = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2) or "", text)
        text = _REF_LINK.sub(r"\1", text)
        text = _HTML_TAG.sub("", text)
    if _MARKUP_CHARS.search(text):
        for pattern in _EMPHASIS:
            text = pattern.sub(r"\1", text)
        text = text.replace("\\", "") if re.search(r"\\[*_`#\[\]()]", text) else text
    # ZWJ inside emoji sequences goes with the emoji; elsewhere it is noise
    return text.translate(_ZERO_WIDTH)


def clean_question(text: str, cues: Cues | None = None) -> str:
    """The question as the bank keeps it: no numbering, markers, emphasis, links, trailing tags or emoji.
    `cues`: the wording cues in force (the stage's own; the shipped data/cues.yaml when None)."""
    return _clean_question(text, cues or load_cues())


@lru_cache(maxsize=1 << 16)  # the splitter asks about the same block text several times
def _clean_question(text: str, cues: Cues) -> str:
    text = _strip_symbols(unicodedata.normalize("NFKC", text))
    text = strip_markup(text)
    text = " ".join(text.split())
    previous = None
    while previous != text:  # markers, tags and emoji can be stacked in any order
        previous = text
        text = _LEADER.sub("", text, count=1)
        label = cues.question_label.match(text)
        if label and len(text) > label.end():
            text = text[label.end() :]
        text = _ASKED_BY.sub("", cues.trailing_tag.sub("", text))
        text = _strip_symbols(text).strip(" \t*_|")
    return text


def _plain(markdown: str) -> str:
    return " ".join(strip_markup(markdown).split()).strip().lower()


_FENCE = re.compile(r"^\s*(```|~~~)[^\n]*\n(.*?)\n?\s*\1\s*$", re.DOTALL)


def is_placeholder_answer(markdown: str, cues: Cues | None = None) -> bool:
    """True when the 'answer' is empty or a stub: "Answer here", "TBD", "Coming soon", empty details, `pass`."""
    cues = cues or load_cues()
    text = re.sub(r"</?(details|summary)[^>]*>", " ", markdown or "", flags=re.IGNORECASE)
    fence = _FENCE.match(text.strip())
    if fence:
        lines = [ln.strip() for ln in fence.group(2).splitlines() if ln.strip()]
        return all(cues.stub_code_line.match(ln) for ln in lines)
    plain = _plain(text)
    if not plain or not any(ch.isalnum() for ch in plain):
        return True
    return plain.strip(" .!:;-–—") in cues.placeholder_answers or plain in cues.placeholder_answers
