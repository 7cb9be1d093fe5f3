"""Markdown (with optional YAML front matter) -> Blocks, via markdown-it-py's token stream.

Every other format that can be turned into Markdown (HTML through trafilatura, notebooks) ends up here,
so there is one block shape for everything.

Block model (what the splitter relies on):
- every list item yields one `list_item` block, before the rest of the item (`depth` = nesting, 0 for a
  top-level item; `number`/`ordered` from the marker). Its text is the item's first paragraph (or
  heading: `1. ### What is X?`), or the `<summary>` of raw HTML `<details>` opening the item, or (an item with neither) its first code block;
  every further block inside that item (a `**Answer:**` paragraph, code, a table) gets `depth` = item
  depth + 1, nested lists get their own item depth. An item that opens with a nested list takes that
  list's first paragraph, so `2. - Why X?` still carries number 2;
- blocks outside any list have depth 0;
- `markdown` is the block's own Markdown without container indentation (list items keep their marker,
  e.g. `1. **What is X?**`, headings keep their `#`s, quotes their `> `).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import frontmatter
import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

from extractors.blocks import build_doc, inline_text, only_punctuation
from qbank.records import Block, RawDocument, StructuredDoc

_EMPHASIS_OPEN = {"strong_open", "em_open"}
_EMPHASIS_CLOSE = {"strong_close", "em_close"}
# zero-width characters: invisible in a browser, but they would make "What is X?\u200b" a different question
_INVISIBLE_CHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@dataclass
class _Inline:
    """Plain text of one inline run, and whether all of it is emphasised / one link."""

    text: str
    bold: bool
    link: bool


def render_inline(children: Sequence[Token] | None) -> _Inline:
    """Reduce inline tokens to plain text (markup dropped, link text kept) and detect whole-bold / whole-link."""
    parts: list[str] = []
    outside_emphasis: list[str] = []
    outside_link: list[str] = []
    emphasis = link_depth = links = 0
    for tok in children or ():
        if tok.type in _EMPHASIS_OPEN:
            emphasis += 1
        elif tok.type in _EMPHASIS_CLOSE:
            emphasis = max(0, emphasis - 1)
        elif tok.type == "link_open":
            link_depth += 1
            links += 1
        elif tok.type == "link_close":
            link_depth = max(0, link_depth - 1)
        else:
            piece = {
                "text": tok.content,
                "code_inline": tok.content,
                "image": tok.content,  # alt text
                "softbreak": " ",
                "hardbreak": "\n",
            }.get(tok.type, "")
            parts.append(piece)
            if not emphasis:
                outside_emphasis.append(piece)
            if not link_depth:
                outside_link.append(piece)
    text = "".join(parts).translate(_INVISIBLE_CHARS).strip()
    has_text = not only_punctuation(text)
    return _Inline(
        text=text,
        bold=has_text and only_punctuation("".join(outside_emphasis)),
        link=has_text and links == 1 and only_punctuation("".join(outside_link)),
    )


@dataclass
class _Item:
    depth: int
    number: int | None
    ordered: bool
    marker: str


def _summary_blocks(html: str, depth: int) -> list[Block]:
    """Raw HTML inside Markdown: a `<summary>` (GitHub's collapsible Q/A) becomes a bold paragraph."""
    soup = BeautifulSoup(html, "html.parser")
    blocks: list[Block] = []
    for summary in soup.find_all("summary"):
        text = inline_text(summary)
        if text:
            blocks.append(Block("paragraph", text, f"**{text}**", depth=depth, bold=True))
        summary.decompose()
    rest = inline_text(soup)
    if rest:
        blocks.append(Block("paragraph", rest, html.strip(), depth=depth))
    return blocks


def _paragraph(inline: _Inline, content: str, depth: int, quoted: bool) -> Block:
    md = "\n".join(f"> {line}" for line in content.splitlines()) if quoted else content
    kind = "quote" if quoted else "paragraph"
    return Block(kind, inline.text, md, depth=depth, bold=inline.bold, link=inline.link)


def _split_bold_lead(tok: Token) -> tuple[tuple[_Inline, str], tuple[_Inline, str] | None]:
    """Split `**What is X?**<newline>The answer...` (one paragraph) into the bold line and the rest.

    Writers often put a bold question and its answer on consecutive lines; Markdown joins them into one
    paragraph, which would hide the question. Returns ((inline, markdown), rest or None).
    """
    children = tok.children or []
    whole = (render_inline(children), tok.content.strip())
    cut = next((n for n, c in enumerate(children) if c.type in ("softbreak", "hardbreak")), None)
    if cut is None:
        return whole, None
    first, rest = render_inline(children[:cut]), render_inline(children[cut + 1 :])
    if not first.bold or only_punctuation(rest.text):
        return whole, None
    first_md, _, rest_md = tok.content.strip().partition("\n")
    return (first, first_md.rstrip(" \\")), (rest, rest_md.strip())


def _item_lead(tokens: Sequence[Token], start: int) -> int | None:
    """Index of the token that gives the list item opened at `start` its text: its first paragraph, heading
    or `<summary>` (also inside a nested list opening the item), else its first code block, else None."""
    code = None
    for j in range(start + 1, len(tokens)):
        tok = tokens[j]
        if tok.type == "list_item_close" and tok.level == tokens[start].level:
            break
        if tok.type in ("paragraph_open", "heading_open") or (
            tok.type == "html_block" and "<summary" in tok.content.lower()
        ):
            return j
        if tok.type in ("fence", "code_block") and code is None:
            code = j
    return code


def _item_blocks(tok: Token, following: Token, item: _Item, quoted: bool) -> list[Block]:
    """The list_item block for `item` made from its lead token (see `_item_lead`), and what else that token
    holds (an answer line after a bold question, the rest of a `<details>`) one level deeper."""
    fields = {"depth": item.depth, "number": item.number, "ordered": item.ordered}
    if tok.type == "paragraph_open":
        (inline, content), rest = _split_bold_lead(following)
        head = Block("list_item", inline.text, f"{item.marker} {content}", bold=inline.bold, link=inline.link, **fields)
        return [head, _paragraph(*rest, depth=item.depth + 1, quoted=quoted)] if rest else [head]
    if tok.type == "heading_open":
        inline = render_inline(following.children)
        md = f"{item.marker} {tok.markup} {following.content.strip()}"
        return [Block("list_item", inline.text, md, bold=inline.bold, link=inline.link, **fields)]
    if tok.type == "html_block":
        summary = _summary_blocks(tok.content, item.depth + 1)
        if not summary:
            return []
        first, *more = summary
        head = Block("list_item", first.text, f"{item.marker} {first.markdown}", bold=first.bold, **fields)
        return [head, *more]
    code = tok.content.rstrip("\n")
    return [Block("list_item", code, f"{item.marker} ```{tok.info.strip()}\n{code}\n```", **fields)]


def _table_block(tokens: Sequence[Token], start: int, depth: int) -> tuple[Block, int]:
    """Collect a table's rows from `table_open` at `start`; return the block and the index of `table_close`."""
    rows_text: list[list[str]] = []
    rows_md: list[list[str]] = []
    i = start
    while tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "tr_open":
            rows_text.append([])
            rows_md.append([])
        elif tok.type == "inline":
            rows_text[-1].append(render_inline(tok.children).text)
            rows_md[-1].append(tok.content.strip())
        i += 1
    text = "\n".join(" | ".join(r) for r in rows_text)
    md_lines = ["| " + " | ".join(r) + " |" for r in rows_md]
    if md_lines:
        md_lines.insert(1, "|" + " --- |" * len(rows_md[0]))
    return Block("table", text, "\n".join(md_lines), depth=depth), i


_CONTAINER = re.compile(r"^(?P<indent>[ \t]*)(?:(?:\?\?\?\+?|!!!)[ \t]*(?P<type>[\w-]+)?|===\+?)(?:[ \t]+\"(?P<title>[^\"]*)\")?[ \t]*$")
_FENCE_LINE = re.compile(r"^\s*(```|~~~)")
_CONTAINER_HINT = re.compile(r"^[ \t]*(\?\?\?|!!!|===)", re.MULTILINE)


def unfold_containers(source: str) -> str:
    """Python-Markdown containers -> plain Markdown: MkDocs admonitions (`!!! tip "Title"`, collapsible `???`)
    and content tabs (`=== "Python"`) indent their body by 4 spaces, which CommonMark reads as a code block.
    The marker line becomes its title as a bold paragraph and the body is dedented, nested ones too."""
    lines = source.splitlines()
    out: list[str] = []
    fence = False
    stack: list[int] = []  # body indents of the open containers, innermost last
    for line in lines:
        width = len(line) - len(line.lstrip(" \t"))
        while stack and line.strip() and width < stack[-1]:
            stack.pop()
        removed = stack[-1] if stack else 0
        body = line[min(removed, width):] if line.strip() else ""
        if _FENCE_LINE.match(body):
            fence = not fence
        m = None if fence else _CONTAINER.match(body)
        if m is None:
            out.append(body)
            continue
        title = m["title"] if m["title"] is not None else (m["type"] or "").replace("-", " ").capitalize()
        out.extend(["", f"{m['indent']}**{title.strip()}**", ""] if title.strip() else [""])
        stack.append(removed + len(m["indent"]) + 4)
    return "\n".join(out)


def parse_markdown(source: str) -> list[Block]:
    """Parse Markdown text (no front matter) into blocks in document order (`order` not yet set)."""
    tokens = _parser().parse(unfold_containers(source) if _CONTAINER_HINT.search(source) else source)
    blocks: list[Block] = []
    lists: list[bool] = []  # ordered? per open list
    items: list[_Item] = []
    used: set[int] = set()  # token indexes already emitted as an item's list_item
    quotes = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        inner_depth = items[-1].depth + 1 if items else 0
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(tok.type == "ordered_list_open")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":
            ordered = bool(lists and lists[-1])
            number = int(tok.info) if ordered and tok.info.isdigit() else None
            marker = f"{tok.info}{tok.markup}" if ordered else tok.markup
            item = _Item(len(lists) - 1, number, ordered, marker)
            items.append(item)
            lead = _item_lead(tokens, i)
            if lead is not None and lead not in used:
                used.add(lead)
                blocks.extend(_item_blocks(tokens[lead], tokens[lead + 1], item, quoted=quotes > 0))
        elif tok.type == "list_item_close":
            items.pop()
        elif tok.type == "blockquote_open":
            quotes += 1
        elif tok.type == "blockquote_close":
            quotes -= 1
        elif tok.type == "heading_open" and i not in used:
            inline = render_inline(tokens[i + 1].children)
            level = int(tok.tag[1])
            md = f"{'#' * level} {tokens[i + 1].content.strip()}"
            blocks.append(Block("heading", inline.text, md, level=level, depth=inner_depth, bold=inline.bold, link=inline.link))
            i += 2
        elif i in used:
            # already emitted as its item's list_item block
            i += 2 if tok.type in ("paragraph_open", "heading_open") else 0
        elif tok.type == "paragraph_open":
            lead, rest = _split_bold_lead(tokens[i + 1])
            for inline, content in (lead, rest) if rest else (lead,):
                blocks.append(_paragraph(inline, content, depth=inner_depth, quoted=quotes > 0))
            i += 2
        elif tok.type in ("fence", "code_block"):
            code = tok.content.rstrip("\n")
            blocks.append(Block("code", code, f"```{tok.info.strip()}\n{code}\n```", depth=inner_depth))
        elif tok.type == "table_open":
            block, i = _table_block(tokens, i, inner_depth)
            blocks.append(block)
        elif tok.type == "hr":
            blocks.append(Block("rule", "---", "---", depth=inner_depth))
        elif tok.type == "html_block":
            blocks.extend(_summary_blocks(tok.content, inner_depth))
        i += 1
    return blocks


def _flatten(prefix: str, value: object, out: dict[str, str]) -> None:
    """Front matter values as strings: lists joined with ", ", nested mappings as dotted keys."""
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    elif isinstance(value, (list, tuple)):
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            out[prefix] = ", ".join(str(v) for v in value)
        else:
            out[prefix] = json.dumps(value, default=str, ensure_ascii=False)
    elif isinstance(value, (dt.date, dt.datetime)):
        out[prefix] = value.isoformat()
    elif value is not None:
        out[prefix] = str(value)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Return (flattened front matter, body). Broken YAML is dropped rather than failing the document."""
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError):
        post = None
    if post is None:
        handler = frontmatter.YAMLHandler()
        try:
            _, body = handler.split(text)
        except ValueError:
            return {}, text
        return {}, body
    metadata: dict[str, str] = {}
    _flatten("", post.metadata, metadata)
    return metadata, post.content


def markdown_title(metadata: Mapping[str, str], blocks: Sequence[Block]) -> str | None:
    """Title from front matter `title`/`term`, else the first H1, else the first H2."""
    for key in ("title", "term"):
        if metadata.get(key, "").strip():
            return metadata[key].strip()
    for level in (1, 2):
        for block in blocks:
            if block.kind == "heading" and block.level == level:
                return block.text
    return None


def extract_markdown(raw: RawDocument, text: str) -> StructuredDoc:
    """Markdown document (decoded text) -> StructuredDoc with front matter as metadata."""
    metadata, body = split_front_matter(text)
    blocks = parse_markdown(body)
    return build_doc(raw, "markdown", markdown_title(metadata, blocks), blocks, metadata)
