"""Plain text -> Blocks. Each non-empty line is a block; structure is inferred from layout alone.

Rules (general, not tied to any one source):
- bullet lines (`•`, `-`, `*`, `–`, `·`, ... then a space) are unordered list items; `1.` / `1)` / `(1)` and
  lettered `a.` / `b)` / `(c)` lines are ordered ones with their number (a=1); depth follows indentation
  (tabs count 4 columns) within a run of list lines;
- a line indented under a list item belongs to it: it continues the item's text when the item stops
  mid-sentence (a hard-wrapped item), otherwise it is a paragraph one level deeper (depth = item depth + 1);
- the first line is the title (heading level 1) when it is short and not a sentence;
- a bare section label is a section heading (level 2) without its ":" or "-": `SECTION 3:`, `PART II:`,
  `Part 2:`, `PySpark -`. Other lines ending with ":" stay paragraphs ("Example Questions:", "Answer:");
- a short line (<= 12 words) without terminal punctuation, not starting with a question word and not a
  list item is a section heading (level 2), unless the document is a dense list: when such lines are many
  (DENSE_MIN_HEADINGS and DENSE_HEADING_SHARE of the blocks) they are mostly items that lack a "?"
  ("I have a dict and need to sort it"), and only those shaped like titles stay headings (Title Case or
  ALL CAPS, or set off by a blank line in a text that is not double-spaced);
- a hard-wrapped line (previous line long, unfinished, this one starting in lower case) joins the block above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from extractors.blocks import build_doc
from qbank.records import Block, RawDocument, StructuredDoc

_BULLET = re.compile(r"^(?P<indent>\s*)(?P<marker>[•\-*–—·▪●◦‣○■□➢►✓✔])\s+(?P<text>\S.*)$")
_ORDERED = re.compile(
    r"^(?P<indent>\s*)(?P<marker>(?P<number>\d{1,5}|[a-z])[.)]|\((?P<inner>\d{1,5}|[a-z])\))\s+(?P<text>\S.*)$"
)
_RULE = re.compile(r"^\s*([-=_*~])\1{2,}\s*$")
_TERMINAL = (".", "?", "!", ":", ";", ",", "…")
_LABEL_START = re.compile(r"^[A-Za-z][\w/-]*(?: [\w/-]+){0,2}\s*:")  # "Example answer: ...", "Note: ..."
_SENTENCE_END = (".", "?", "!", ":", "…")  # a line ending otherwise ("... than the others,") goes on below
# interrogatives and the imperatives interview questions start with ("Explain ...", "Describe ...")
_QUESTION_WORDS = frozenset(
    "what why how when where which who whom whose is are am was were can could do does did should would will "
    "shall may might must have has had explain describe define compare contrast tell walk discuss give name "
    "list".split()
)
MAX_HEADING_WORDS = 12
MAX_TITLE_WORDS = 16
MAX_LABEL_WORDS = 6
_WRAP_MIN_CHARS = 60  # a line at least this long that stops mid-sentence is likely hard-wrapped
DENSE_MIN_HEADINGS = 20
DENSE_HEADING_SHARE = 0.1
# `SECTION 3:` / `PySpark -`: the label, then a colon or a dash after a space, and nothing else
_LABEL = re.compile(r"^(?P<label>.*?\S)\s*(?P<end>:|\s[-–—])$")
_SECTION_WORD = re.compile(
    r"^(section|part|chapter|module|unit|round|topic|level|day|week|lesson|set)\s+(\d+|[ivxlc]+|[a-z])\b", re.IGNORECASE
)
# labels of what follows inside a question, not of a section ("ANSWER:", "Sample answer -")
_CONTENT_LABELS = frozenset("answer answers ans solution solutions explanation example examples sample output hint hints note notes".split())


@dataclass(frozen=True)
class _Line:
    indent: int
    text: str


@dataclass
class _Heading:
    """A level-2 heading inferred from a short line, kept for the dense-list check in `parse_text`."""

    index: int  # in the block list
    set_off: bool  # a blank line (or the start of the text) before it


def _is_heading_like(text: str, max_words: int) -> bool:
    words = text.split()
    return (
        0 < len(words) <= max_words
        and not text.endswith(_TERMINAL)
        and any(ch.isalpha() for ch in text)
        and (text[0].isupper() or text[0].isdigit())
        and words[0].lower().strip("\"'“‘(") not in _QUESTION_WORDS
    )


def _first_word(text: str) -> str:
    return text.split()[0].lower().strip("\"'“‘(") if text.split() else ""


def _section_label(text: str) -> str | None:
    """The label of a bare section line (`SECTION 3:` -> "SECTION 3", `PySpark -` -> "PySpark"), else None."""
    m = _LABEL.match(text)
    if m is None:
        return None
    label = m["label"]
    words = label.split()
    first = _first_word(label)
    if len(words) > MAX_LABEL_WORDS or first in _QUESTION_WORDS or first in _CONTENT_LABELS:
        return None
    if not (label[0].isupper() or label[0].isdigit()) or not any(ch.isalpha() for ch in label):
        return None
    if m["end"] != ":":
        return label  # "PySpark -"
    capitals = label.upper() == label and (len(words) >= 2 or any(ch.isdigit() for ch in label))
    return label if capitals or _SECTION_WORD.match(label) else None


def _title_shaped(text: str) -> bool:
    """Title Case or ALL CAPS: every word of four letters or more starts with a capital."""
    return all(word[0].isupper() for word in text.split() if len(word) >= 4 and word[0].isalpha())


def _list_depth(stack: list[int], indent: int) -> int:
    """Depth of a list line from its indentation, keeping `stack` of the indents of the open levels."""
    while stack and indent < stack[-1]:
        stack.pop()
    if not stack or indent > stack[-1]:
        stack.append(indent)
    return len(stack) - 1


def _continues(prev: Block | None, prev_line: _Line | None, line: _Line, item_indent: int | None,
               adjacent: bool = False) -> bool:
    """True when `line` (not a list line) is the wrapped tail of the block above rather than a block of its
    own: indented under an unfinished list item (`item_indent` is that item's marker column), right under a
    list item cut mid-sentence ("... that plain" / "Parquet folders don't?"), or after a long unfinished line
    and starting in lower case."""
    if prev is None or prev_line is None or prev.kind not in ("paragraph", "list_item"):
        return False
    if prev.text.endswith(_SENTENCE_END):
        return False
    if prev.kind == "list_item" and item_indent is not None and line.indent > item_indent:
        return True
    long = len(prev_line.text) + prev_line.indent >= _WRAP_MIN_CHARS
    if prev.kind == "list_item" and adjacent and long and not prev.text.endswith(_TERMINAL) \
            and not _LABEL_START.match(line.text):
        return True
    return long and line.text[:1].islower()


def _list_item(m: re.Match[str], depth: int) -> Block:
    text = m["text"].strip()
    if "number" not in m.groupdict():
        return Block("list_item", text, f"- {text}", depth=depth)
    number = m["number"] or m["inner"]
    value = int(number) if number.isdigit() else ord(number) - ord("a") + 1
    marker = f"{number}." if number.isdigit() else m["marker"]
    return Block("list_item", text, f"{marker} {text}", depth=depth, number=value, ordered=True)


def _drop_dense_headings(blocks: list[Block], headings: list[_Heading], double_spaced: bool) -> None:
    """In a dense list (many short lines without "?" read as headings), keep as headings only the lines
    shaped like titles; the rest are items of the list and become paragraphs again."""
    if len(headings) < DENSE_MIN_HEADINGS or len(headings) < DENSE_HEADING_SHARE * len(blocks):
        return
    for heading in headings:
        block = blocks[heading.index]
        if not (_title_shaped(block.text) or (heading.set_off and not double_spaced)):
            blocks[heading.index] = Block("paragraph", block.text, block.text)


def parse_text(source: str) -> list[Block]:
    """Split plain text into blocks (order not yet set)."""
    blocks: list[Block] = []
    headings: list[_Heading] = []
    stack: list[int] = []  # marker columns of the open list items, outermost first
    prev_line: _Line | None = None
    first = True
    blank_before = True
    blank_lines = 0
    for raw_line in source.expandtabs(4).splitlines():
        if not raw_line.strip():
            blank_before = True  # blank lines separate nothing more than line breaks do, but set off headings
            blank_lines += 1
            continue
        set_off, blank_before = blank_before, False
        line = _Line(len(raw_line) - len(raw_line.lstrip()), raw_line.strip())
        prev = blocks[-1] if blocks else None
        listed = _ORDERED.match(raw_line) or _BULLET.match(raw_line)
        if not listed and _continues(prev, prev_line, line, stack[-1] if stack else None, adjacent=not set_off):
            blocks[-1] = replace(prev, text=f"{prev.text} {line.text}", markdown=f"{prev.markdown} {line.text}")
            prev_line = line
            continue
        prev_line = line
        label = None if listed else _section_label(line.text)
        if listed:
            blocks.append(_list_item(listed, _list_depth(stack, len(listed["indent"]))))
        elif _RULE.match(raw_line):
            stack.clear()
            blocks.append(Block("rule", "---", "---"))
        elif stack and line.indent > stack[-1]:
            blocks.append(Block("paragraph", line.text, line.text, depth=len(stack)))  # inside the open item
        elif label:
            stack.clear()
            blocks.append(Block("heading", label, f"## {label}", level=2))
        elif first and _is_heading_like(line.text, MAX_TITLE_WORDS):
            blocks.append(Block("heading", line.text, f"# {line.text}", level=1))
        elif _is_heading_like(line.text, MAX_HEADING_WORDS):
            stack.clear()
            headings.append(_Heading(len(blocks), set_off))
            blocks.append(Block("heading", line.text, f"## {line.text}", level=2))
        else:
            stack.clear()
            blocks.append(Block("paragraph", line.text, line.text))
        first = False
    _drop_dense_headings(blocks, headings, double_spaced=blank_lines >= 0.5 * len(blocks))
    return blocks


def extract_text(raw: RawDocument, text: str) -> StructuredDoc:
    """Plain text document (decoded) -> StructuredDoc; the title is the inferred level-1 heading, if any."""
    blocks = parse_text(text)
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return build_doc(raw, "text", title, blocks)
