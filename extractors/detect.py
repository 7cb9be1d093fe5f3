"""The format of a document, decided once: one table of formats (qbank/formats.py: media types, file
extensions) for the fetch stage and the extract stage alike, and one sniffing of the content (`sniff`) where
the name and type do not decide.

The fetch stage (qbank/fetch.py) records a document's media type from its Content-Type header or its name
(qbank.formats) and, for bytes nothing describes, `sniff_media_type`; the extract stage reads the format back
from that media type with `detect_format`, sniffing only what is declared plain text (a `.txt` holding
Markdown). `decode` turns the bytes into text with the charset rules of extractors/decode.py.
"""

from __future__ import annotations

import json
import re

from extractors.decode import binary_signature, detect_charset
from qbank.errors import SourceError
from qbank.formats import declared_format, media_type_of
from qbank.records import RawDocument

_SUPPORTED = "qbank reads HTML, Markdown, plain text, reStructuredText, Org, AsciiDoc, PDF and Jupyter notebooks"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # below space, except tab, newline, form feed, return
_MAX_CONTROL_RATIO = 0.02  # real text has next to no control characters besides tab/newline


def sniff_media_type(content: bytes) -> str:
    """The media type of bytes neither a header nor a name describes: a known binary format's, else that of
    the format `sniff` finds in the text, else text/plain (binary data among them is refused later, when no
    charset decodes it)."""
    binary = binary_signature(content)
    if binary is not None:
        return binary
    codec = detect_charset(content, None, "text/plain")
    if codec is None:
        return "text/plain"
    found = sniff(content.decode(codec, errors="replace"))
    return media_type_of(found) if found else "text/plain"


_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?(p|div|h[1-6]|ul|ol|li|a|span|table|section|article|br)\b[^>]*>", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"^\ufeff?---\s*\n(?:[\w-]+\s*:.*\n)(?:.*\n)*?---\s*(\n|$)")
# Line-level Markdown syntax: (name, pattern, cap). Each kind counts at most `cap` towards the evidence
# score. Whole-text regexes, not a loop over lines: a 100,000-line list is sniffed in well under a second.
_MARKDOWN_SIGNALS = (
    ("atx_heading", re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+\S", re.MULTILINE), 3),
    ("bold_item", re.compile(r"^[ \t]*(?:\d+[.)]|[-*+])[ \t]+\*\*\S", re.MULTILINE), 3),
    ("bold_line", re.compile(r"^[ \t]*\*\*[^*\n]+\*\*[ \t]*$", re.MULTILINE), 2),
    ("link", re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"), 2),
    ("table_rule", re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*\|[ \t]*:?-{3,}", re.MULTILINE), 2),
)
_FENCED = re.compile(r"^[ \t]{0,3}(```|~~~)[^\n]*\n.*?^[ \t]{0,3}\1", re.MULTILINE | re.DOTALL)
_NON_EMPTY_LINE = re.compile(r"^[ \t]*\S", re.MULTILINE)
# a paragraph's tail: a lower-case line after a non-empty one = lower-case lines less those after a blank
_LOWER_LINE = re.compile(r"\n[ \t]*[a-z]")
_LOWER_LINE_AFTER_BLANK = re.compile(r"\n[ \t]*\n[ \t]*[a-z]")
# Markdown's line syntax must be this share of a document's units (lines that start a block: not fenced
# code, not the wrapped tail of a paragraph). Real Markdown sits far above (tests/fixtures/extract/
# readme_prose.md, long wrapped paragraphs under three headings: 6 signals in 14 units); a plain list of
# 20,000 questions with four "# " or "**" lines, which Markdown would merge into one paragraph: 0.02%.
MIN_MARKDOWN_SHARE = 0.01
# A `.md` made of raw HTML: this share of its non-empty lines start with a block-level tag
_HTML_BLOCK_LINE = re.compile(
    r"^\s*</?(p|div|h[1-6]|ul|ol|li|table|thead|tbody|tr|td|th|section|article|header|footer|nav|main|aside|pre"
    r"|blockquote|details|summary|dl|dt|dd|figure|img|br|hr|form|body|head|meta|link|script|style|title)\b",
    re.IGNORECASE,
)
MIN_HTML_LINE_SHARE = 0.5
_ORG_KEYWORD = re.compile(r"^#\+(title|author|options|startup|begin_src|begin_quote|begin_example):?", re.I | re.M)
_ADOC_HEADER = re.compile(r"\A\s*= \S.*\n(.*\n){0,5}?(:[\w-]+:|==+ \S)", re.MULTILINE)
_ADOC_LISTING = re.compile(r"^\[source(,[^\]\n]*)?\]\n(----|\.\.\.\.)\s*$", re.MULTILINE)
# two patterns, not one alternation: an unanchored branch makes every line start try all three (4x slower)
_RST_DIRECTIVE = re.compile(r"^\.\. (?:[\w:-]+::|_[^:]+:)", re.MULTILINE)
_RST_ROLE = re.compile(r":(?:ref|doc|class|func|meth|code):`")
_RST_ADORNMENT = re.compile(r"^(\S.*)\n([=\-~^\"'`#*+<>])\2{2,}\s*$", re.MULTILINE)


def decode(raw: RawDocument) -> str:
    """Bytes -> text, with the charset the fetch stage detected (BOM, declared, `<meta>`, UTF-8,
    charset-normalizer), re-detected when it does not fit. Raises SourceError for empty, binary or
    undecodable content."""
    data = raw.content
    if not data.strip():
        raise SourceError("empty document: the source has no content")
    kind = binary_signature(data)
    if kind is not None:
        raise SourceError(f"binary content ({kind}); {_SUPPORTED}")
    codec = detect_charset(data, raw.charset, raw.media_type)
    if codec is None or (b"\x00" in data[:8192] and not codec.startswith(("utf-16", "utf-32"))):
        raise SourceError(f"binary content (NUL bytes); {_SUPPORTED}")
    return _checked(data.decode(codec, errors="replace"))


def _checked(text: str) -> str:
    """Reject decoded text that is empty or mostly control characters (binary data that happened to decode)."""
    if not text.strip():
        raise SourceError("empty document: the source has only whitespace")
    if text.count("\ufffd") / len(text) > _MAX_CONTROL_RATIO:
        raise SourceError("undecodable text: the bytes do not match their encoding; save it as UTF-8")
    control = len(_CONTROL.findall(text))
    if control / len(text) > _MAX_CONTROL_RATIO:
        raise SourceError(f"binary content ({control} control characters); {_SUPPORTED}")
    return text


def sniff(text: str) -> str | None:
    """Guess the format from the text itself; None when it looks like plain text."""
    head = text.lstrip()[:2000]
    if head.startswith("{") and '"cells"' in text[:20000]:
        try:
            if isinstance(json.loads(text).get("cells"), list):
                return "ipynb"
        except (ValueError, AttributeError):
            pass
    if _HTML_START.match(text) or (head.startswith("<") and len(_HTML_TAG.findall(text[:20000])) >= 3):
        return "html"
    if _FRONT_MATTER.match(text):
        return "markdown"
    if _ORG_KEYWORD.search(text):
        return "org"
    if _RST_DIRECTIVE.search(text) or _RST_ROLE.search(text):
        return "rst"
    if _ADOC_HEADER.match(text) or _ADOC_LISTING.search(text):
        return "asciidoc"
    if looks_like_markdown(text):
        return "markdown"
    adornments = _RST_ADORNMENT.findall(text)
    # "=" and "-" underlines are also Markdown setext headings; other adornments are reStructuredText only
    if any(ch not in "=-" for _, ch in adornments) or len(adornments) >= 2:
        return "rst"
    return None


def looks_like_markdown(text: str) -> bool:
    """Markdown syntax of two kinds or more, weighed against the size of the text (MIN_MARKDOWN_SHARE):
    a stray `# ...` or `**...**` line among thousands of plain lines does not make a text Markdown.

    The share is of units: non-empty lines outside fenced code, less those that continue the line above
    (start in lower case right after a non-empty line), so a README of long wrapped paragraphs counts each
    paragraph about once."""
    fences = len(_FENCED.findall(text))
    prose = _FENCED.sub("", text) if fences else text
    counts = [(len(pattern.findall(prose)), cap) for _, pattern, cap in _MARKDOWN_SIGNALS]
    score = sum(min(count, cap) for count, cap in counts) + min(fences, 2)
    tails = len(_LOWER_LINE.findall(prose)) - len(_LOWER_LINE_AFTER_BLANK.findall(prose))
    units = len(_NON_EMPTY_LINE.findall(prose)) - tails
    signals = sum(count for count, _ in counts) + 2 * fences
    return score >= 2 and signals >= MIN_MARKDOWN_SHARE * max(units, 1)


def written_in_html(text: str) -> bool:
    """A document in raw HTML whatever its name says (a `.md` saved from a web page): a doctype/`<html>`
    start, or mostly lines that open with a block-level tag and no Markdown syntax to speak of (a README
    that opens with a centred logo in HTML is still Markdown)."""
    if _HTML_START.match(text):
        return True
    lines = [line for line in text.splitlines()[:5000] if line.strip()]
    tagged = sum(1 for line in lines if _HTML_BLOCK_LINE.match(line))
    return tagged >= 3 and tagged >= MIN_HTML_LINE_SHARE * len(lines) and not looks_like_markdown(text)


def detect_format(raw: RawDocument, text: str) -> str:
    """One of FORMATS but "pdf" (see `is_pdf`). A media type that names a format wins, then the file
    extension (a Markdown one yields to raw HTML content); text/plain, JSON and unknown types are sniffed
    from the content (a `.txt` holding Markdown is Markdown)."""
    declared = declared_format(raw.media_type, raw.source_uri)
    if declared == "markdown" and written_in_html(text):
        return "html"  # a `.md` written in raw HTML: Markdown would keep its tags as text
    return declared or sniff(text) or "text"
