"""HTML -> Markdown -> Blocks.

1. BeautifulSoup cleans the page: page chrome (nav, aside, footer, docs-site sidebars and tables of
   contents) goes, and content trafilatura would drop is rescued (`<details>/<summary>` and accordion
   buttons become a bold question paragraph followed by the answer).
2. trafilatura extracts the main text as Markdown; when it keeps too little of the page's visible text,
   markdownify converts the cleaned main element instead.
3. The Markdown parser turns it into blocks, so every format has one block shape.
"""

from __future__ import annotations

import re

import trafilatura
from bs4 import BeautifulSoup, Tag
from markdownify import markdownify

from extractors.blocks import build_doc, inline_text, only_punctuation
from extractors.markdown import parse_markdown
from extractors.schema_org import extract_structured_qa
from qbank.records import RawDocument, StructuredDoc

MIN_KEPT_RATIO = 0.3  # trafilatura output shorter than this share of the visible text means it lost content
MIN_HEADINGS_KEPT = 0.6  # share of the page's headings trafilatura must keep
MIN_ASKING_LOST = 3  # trafilatura losing this many of the page's asking lines (and more than the share below)
MAX_ASKING_LOST_SHARE = 0.2  # ... means it took them for furniture: convert the main element as it is instead
_LEAF_BLOCKS = ("p", "div", "li", "td", "th", "dt", "dd", "span", "summary", "button", "label", "h1", "h2", "h3",
                "h4", "h5", "h6", "blockquote")
_BLOCK_TAGS = ("p", "div", "li", "ul", "ol", "table", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "section", "article", "dl")
_MD_NOISE = re.compile(r"[\\*_`\s]+")  # what Markdown adds or changes around the same words
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

_INVISIBLE = ("script", "style", "noscript", "template", "svg", "iframe")
# form controls are UI, never content
_CHROME_TAGS = {"nav", "aside", "footer", "form", "select", "label", "input", "textarea"}
# "tablist": the tab labels of a tabbed code sample ("Python", "Go") are buttons, not content; the panels stay
_CHROME_ROLES = {"navigation", "complementary", "contentinfo", "banner", "search", "tablist"}
# class/id words used for page chrome by blogs and docs generators (MkDocs Material, Docusaurus, Sphinx,
# Read the Docs, GitBook); matched as whole words of hyphen/underscore separated names
_CHROME_WORDS = re.compile(
    r"(^|[-_\s])(toc|sidebar|sphinxsidebar|sphinxsidebarwrapper|breadcrumbs?|navbar|nav|menu|pagination|"
    r"footer|related|share|sharing|social|cookie|newsletter|subscribe|advert|ads|headerlink|hash-link|anchor-link|"
    r"permalink|skip|cta|"
    # Q&A sites (Stack Exchange and clones): vote counters, comment threads, "asked by" cards, post menus
    r"vote|votecell|voting|comments|signature|post-menu|post-taglist)([-_\s]|$)",
    re.IGNORECASE,
)
_ACCORDION_WORDS = re.compile(r"accordion|faq|collaps|toggle|expand", re.IGNORECASE)
_LATER_LINE = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+]|\d+[.)])\s+\S")
# prose, then a code fence opened on the same line (not an item marker followed straight by its code)
_CODE_AFTER_TEXT = re.compile(r"^(?P<text>(?!\s*(?:[-*+]|\d+[.)])\s+```)\s*\S.*?)[ \t]*```[ \t]*$", re.MULTILINE)


def _names(tag: Tag) -> str:
    return " ".join([*tag.get("class", []), str(tag.get("id", "")), str(tag.get("data-testid", ""))])


def _text_len(tag: Tag) -> int:
    return len(tag.get_text(" ", strip=True))


def _is_toc_list(tag: Tag) -> bool:
    """A list whose every item is just a link to an anchor on the same page: a table of contents."""
    items = tag.find_all("li", recursive=False)
    if len(items) < 2:
        return False
    for li in items:
        link = li.find("a", href=True)
        if link is None or not str(link["href"]).startswith("#"):
            return False
        own_text = li.get_text(" ", strip=True)
        nested = sum(len(sub.get_text(" ", strip=True)) for sub in li.find_all(["ul", "ol"]))
        if len(own_text) - nested > len(link.get_text(" ", strip=True)) + 3:
            return False
    return True


def _drop_chrome(soup: BeautifulSoup) -> None:
    """Remove navigation, sidebars, footers and TOCs, but never a wrapper that holds the main content."""
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    body = soup.body or soup
    total = max(_text_len(body), 1)
    for tag in body.find_all(True):
        if tag.decomposed or tag.name in ("html", "body", "main", "article"):
            continue
        chrome = tag.name in _CHROME_TAGS or tag.get("role") in _CHROME_ROLES or (tag.name != "button" and _CHROME_WORDS.search(_names(tag)))
        if tag.name in ("ul", "ol") and _is_toc_list(tag):
            chrome = True
        if chrome and tag.find_parent(_HEADINGS) is not None and not only_punctuation(tag.get_text()):
            chrome = False  # a heading's own words ("<h3><a class='toc-backref'>Docker</a></h3>"), not a ¶ link
        if chrome and not tag.find(["main", "article"]) and _text_len(tag) < 0.5 * total:
            tag.decompose()


def _code_blocks_stay_blocks(soup: BeautifulSoup) -> None:
    """trafilatura writes a one-line `<pre>` as inline code on the line before the next paragraph, which
    Markdown then joins with it (so a following question vanishes into the code); a trailing newline makes
    it write a fenced block. A `<textarea>` with text in it shows code on hand-written pages: a `<pre>` too
    (an empty one is a form field, dropped with the page chrome)."""
    for script in soup.find_all(["sub", "sup"]):
        script.unwrap()  # trafilatura moves sub/superscript text out of place ("start<sub>i</sub>" -> "starti")
    for area in soup.find_all("textarea"):
        if area.get_text().strip():
            area.name = "pre"
            area.attrs = {}
    for pre in soup.find_all("pre"):
        code = pre.find("code")
        if code is None:
            code = soup.new_tag("code")
            for child in list(pre.contents):
                code.append(child.extract())
            pre.append(code)
        if not code.get_text().endswith("\n"):
            code.append("\n")


def _bold_paragraph(soup: BeautifulSoup, text: str) -> Tag:
    para = soup.new_tag("p")
    strong = soup.new_tag("strong")
    strong.string = text
    para.append(strong)
    return para


def _rescue_collapsed(soup: BeautifulSoup) -> None:
    """Make collapsible and definition-list Q/A survive extraction: summaries, accordion buttons and
    `<dt>` terms become bold paragraphs followed by their answers."""
    for details in soup.find_all("details"):
        summary = details.find("summary")
        if summary is not None:
            text = inline_text(summary)
            summary.replace_with(_bold_paragraph(soup, text) if text else "")
        details.name = "div"
    for dl in soup.find_all("dl"):
        # definition lists hold FAQs as <dt>question</dt><dd>answer</dd>; trafilatura flattens both into
        # sibling bullets, losing which is which
        for dt in dl.find_all("dt"):
            text = inline_text(dt)
            dt.replace_with(_bold_paragraph(soup, text) if text else "")
        for dd in dl.find_all("dd"):
            dd.name = "div"
        dl.name = "div"
    for button in soup.find_all("button"):
        text = inline_text(button)
        accordion = button.has_attr("aria-expanded") or button.has_attr("aria-controls") or any(
            _ACCORDION_WORDS.search(_names(t)) for t in (button, *button.parents) if isinstance(t, Tag)
        )
        panel_id = button.get("aria-controls")
        panel = soup.find(id=panel_id) if panel_id else None
        if panel is not None:
            for attr in ("hidden", "aria-hidden", "style"):
                del panel[attr]  # collapsed panels are hidden until clicked; their text is the answer
        if not accordion or not text:
            button.decompose()
        elif button.parent is not None and button.parent.name in ("h1", "h2", "h3", "h4", "h5", "h6", "dt"):
            button.unwrap()
        else:
            button.replace_with(_bold_paragraph(soup, text))


def _title(soup: BeautifulSoup) -> str | None:
    og = soup.find("meta", attrs={"property": "og:title"})
    if og and og.get("content", "").strip():
        return og["content"].strip()
    if soup.title and soup.title.get_text(strip=True):
        return soup.title.get_text(strip=True)
    h1 = soup.find("h1")
    return h1.get_text(" ", strip=True) if h1 else None


def _metadata(soup: BeautifulSoup) -> dict[str, str]:
    wanted = {
        "author": "author", "description": "description", "keywords": "tags",
        "article:published_time": "date", "article:modified_time": "modified", "og:site_name": "site",
    }
    out: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = wanted.get(str(meta.get("name") or meta.get("property") or "").lower())
        if key and meta.get("content", "").strip() and key not in out:
            out[key] = meta["content"].strip()
    return out


def _separate_item_paragraphs(md: str) -> str:
    """trafilatura writes `<li><p>Q</p><p>A</p></li>` as two adjacent lines, which Markdown would join as a
    lazy continuation; indent the second line under the item as its own paragraph instead. Code inside an
    item comes out as `text ```` and unindented code lines: the fence gets a line of its own, and it and
    its code lines are indented under the item so the list (and its numbering) goes on after the code."""
    out: list[str] = []
    item_indent: str | None = None
    fence: str | None = None  # inside a code block: the indent its lines get
    for line in _CODE_AFTER_TEXT.sub("\\g<text>\n```", md).splitlines():
        m = _LATER_LINE.match(line)
        if fence is not None:
            out.append(fence + line if line.strip() else line)
            fence = None if line.strip() == "```" else fence
            continue
        if m:
            item_indent = m["indent"] + " " * (len(m["marker"]) + 1)
            fence = item_indent if line.rstrip().endswith("```") else None
        elif line.startswith("```"):
            fence = item_indent or ""
            if item_indent and out and out[-1].strip():
                out.append("")
            line = fence + line
        elif (
            item_indent is not None
            and line.strip()
            and not line.startswith((item_indent, "#", "|", ">"))
            and out
            and out[-1].strip()
        ):
            out.extend(["", item_indent + line.strip()])
            continue
        elif not line.strip():
            item_indent = None
        out.append(line)
    return "\n".join(out)


def _nest_list_items(md: str) -> str:
    """trafilatura indents a nested list by two spaces under its parent item whatever the marker's width, so
    under "2. " (three columns) CommonMark reads the nested items as siblings. Indent each nested item (and
    the lines under it) to its parent's content column."""
    out: list[str] = []
    stack: list[tuple[int, int, int]] = []  # (source indent, output indent, content column) of open items
    shift = 0
    for line in md.splitlines():
        m = _LATER_LINE.match(line)
        if not line.strip():
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        if m is None:
            if indent == 0:
                stack.clear()
            out.append(" " * shift + line if indent and stack else line)
            continue
        while stack and indent <= stack[-1][0]:
            stack.pop()
        target = stack[-1][2] if stack else indent
        if stack and indent > stack[-1][0]:
            target = max(indent, stack[-1][2])
        shift = target - indent
        new = " " * target + line.lstrip(" ")
        stack.append((indent, target, target + len(m["marker"]) + 1))
        out.append(new)
    return "\n".join(out)


def _keeps_enough(md: str | None, main: Tag) -> bool:
    """trafilatura output is usable when it keeps enough of the visible text and most headings
    (its fallback path can silently drop every heading, and headings often are the questions)."""
    if not md:
        return False
    flat = " ".join(md.split())
    if len(flat) < MIN_KEPT_RATIO * _text_len(main):
        return False
    headings = [h.get_text(" ", strip=True) for h in main.find_all(_HEADINGS)]
    headings = [h for h in headings if h]
    kept = sum(1 for h in headings if h in flat)
    if headings and kept < MIN_HEADINGS_KEPT * len(headings):
        return False
    # short lines that ask ("?") are what a question bank is made of: trafilatura drops card titles, table cells
    # in a collapsed block and the like as page furniture
    asking = _asking_lines(main)
    plain = _MD_NOISE.sub("", flat)
    lost = sum(1 for line in asking if line not in plain)
    return lost < MIN_ASKING_LOST or lost <= MAX_ASKING_LOST_SHARE * len(asking)


def _asking_lines(main: Tag) -> list[str]:
    """The text of leaf blocks (no block inside) that ask: a "?" in 3 to 60 words."""
    lines = []
    for tag in main.find_all(_LEAF_BLOCKS):
        if tag.find(_BLOCK_TAGS) is not None:
            continue
        text = " ".join(tag.get_text(" ", strip=True).split())
        if "?" in text and 3 <= len(text.split()) <= 60:
            lines.append(_MD_NOISE.sub("", text.split("?")[0]))  # what comes before the first "?"
    return list(dict.fromkeys(lines))


def _main_element(soup: BeautifulSoup) -> Tag:
    """The element holding the page's content: `<main>`, `<article>` or role=main, widened to take in the
    page's `<h1>` when it sits outside (Q&A sites put the question title above the main column)."""
    main = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"}) or soup.body or soup
    h1 = soup.find("h1")
    while h1 is not None and main.name not in ("body", "[document]") and h1 not in main.descendants:
        if main.parent is None:
            break
        main = main.parent
    return main


def html_to_markdown(html: str) -> str:
    """Main content of an HTML page as Markdown."""
    return _main_markdown(BeautifulSoup(html, "lxml"))


def _main_markdown(soup: BeautifulSoup) -> str:
    """Main content of a parsed page as Markdown; cleans `soup` in place."""
    _code_blocks_stay_blocks(soup)
    _rescue_collapsed(soup)
    _drop_chrome(soup)
    cleaned = str(soup)
    main = _main_element(soup)
    for favor_recall in (False, True):
        extracted = trafilatura.extract(
            cleaned, output_format="markdown", include_formatting=True, include_tables=True,
            include_links=False, include_comments=False, with_metadata=False, favor_recall=favor_recall,
        )
        if _keeps_enough(extracted, main):
            return _separate_item_paragraphs(_nest_list_items(extracted))
    return soup_to_markdown(main)


def soup_to_markdown(node: Tag) -> str:
    """Convert an HTML element to Markdown as-is (no boilerplate removal): the fallback, and the rst path."""
    return markdownify(str(node), heading_style="ATX", bullets="-", strip=["a", "img"])


def extract_html(raw: RawDocument, text: str) -> StructuredDoc:
    """HTML page (decoded) -> StructuredDoc, with schema.org Q/A the page declares."""
    soup = BeautifulSoup(text, "lxml")  # parsed once: title and metadata are read before cleaning changes it
    title, metadata = _title(soup), _metadata(soup)
    blocks = parse_markdown(_main_markdown(soup))
    return build_doc(raw, "html", title, blocks, metadata, extract_structured_qa(text, raw.source_uri))
