"""Plain text -> Blocks. Each non-empty line is a block; structure is inferred from layout alone.

Rules (general, not tied to any one source):
- bullet lines (`•`, `-`, `*`, `–`, `·`, ... then a space) are unordered list items, `1.` / `1)` lines ordered
  ones with their number; depth follows indentation within a run of list lines;
- the first line is the title (heading level 1) when it is short and not a sentence;
- a short line (<= 12 words) without terminal punctuation, not starting with a question word and not a
  list item is a section heading (level 2). Lines ending with ":" stay paragraphs ("Example Questions:");
- a hard-wrapped line (previous line long, unfinished, this one starting in lower case) joins the block above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from extractors.blocks import build_doc
from qbank.records import Block, RawDocument, StructuredDoc

_BULLET = re.compile(r"^(?P<indent>\s*)(?P<marker>[•\-*–—·▪●◦‣○■□➢►✓✔])\s+(?P<text>\S.*)$")
_ORDERED = re.compile(r"^(?P<indent>\s*)(?P<number>\d{1,3})[.)]\s+(?P<text>\S.*)$")
_RULE = re.compile(r"^\s*([-=_*~])\1{2,}\s*$")
_TERMINAL = (".", "?", "!", ":", ";", ",", "…")
# interrogatives and the imperatives interview questions start with ("Explain ...", "Describe ...")
_QUESTION_WORDS = frozenset(
    "what why how when where which who whom whose is are am was were can could do does did should would will "
    "shall may might must have has had explain describe define compare contrast tell walk discuss give name "
    "list".split()
)
MAX_HEADING_WORDS = 12
MAX_TITLE_WORDS = 16
_WRAP_MIN_CHARS = 60  # a line at least this long that stops mid-sentence is likely hard-wrapped


@dataclass(frozen=True)
class _Line:
    indent: int
    text: str


def _is_heading_like(text: str, max_words: int) -> bool:
    words = text.split()
    return (
        0 < len(words) <= max_words
        and not text.endswith(_TERMINAL)
        and any(ch.isalpha() for ch in text)
        and (text[0].isupper() or text[0].isdigit())
        and words[0].lower().strip("\"'“‘(") not in _QUESTION_WORDS
    )


def _list_depth(stack: list[int], indent: int) -> int:
    """Depth of a list line from its indentation, keeping `stack` of the indents of the open levels."""
    while stack and indent < stack[-1]:
        stack.pop()
    if not stack or indent > stack[-1]:
        stack.append(indent)
    return len(stack) - 1


def _continues(prev: Block | None, prev_line: _Line | None, line: _Line) -> bool:
    """True when `line` is the wrapped tail of the block above rather than a block of its own."""
    if prev is None or prev_line is None or prev.kind not in ("paragraph", "list_item"):
        return False
    return (
        len(prev_line.text) + prev_line.indent >= _WRAP_MIN_CHARS
        and not prev.text.endswith(_TERMINAL)
        and line.text[:1].islower()
    )


def parse_text(source: str) -> list[Block]:
    """Split plain text into blocks (order not yet set)."""
    blocks: list[Block] = []
    stack: list[int] = []
    prev_line: _Line | None = None
    first = True
    for raw_line in source.expandtabs(4).splitlines():
        if not raw_line.strip():
            continue  # blank lines separate nothing more than line breaks do
        line = _Line(len(raw_line) - len(raw_line.lstrip()), raw_line.strip())
        prev = blocks[-1] if blocks else None
        if _continues(prev, prev_line, line):
            joined = f"{prev.text} {line.text}"
            blocks[-1] = replace(prev, text=joined, markdown=f"{prev.markdown} {line.text}")
            prev_line = line
            continue
        prev_line = line
        if (m := _ORDERED.match(raw_line)) or (m := _BULLET.match(raw_line)):
            depth = _list_depth(stack, len(m["indent"]))
            text = m["text"].strip()
            if "number" in m.groupdict():
                number = int(m["number"])
                blocks.append(Block("list_item", text, f"{number}. {text}", depth=depth, number=number, ordered=True))
            else:
                blocks.append(Block("list_item", text, f"- {text}", depth=depth))
        elif _RULE.match(raw_line):
            stack.clear()
            blocks.append(Block("rule", "---", "---"))
        elif first and _is_heading_like(line.text, MAX_TITLE_WORDS):
            blocks.append(Block("heading", line.text, f"# {line.text}", level=1))
        elif _is_heading_like(line.text, MAX_HEADING_WORDS):
            stack.clear()
            blocks.append(Block("heading", line.text, f"## {line.text}", level=2))
        else:
            stack.clear()
            blocks.append(Block("paragraph", line.text, line.text))
        first = False
    return blocks


def extract_text(raw: RawDocument, text: str) -> StructuredDoc:
    """Plain text document (decoded) -> StructuredDoc; the title is the inferred level-1 heading, if any."""
    blocks = parse_text(text)
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return build_doc(raw, "text", title, blocks)
