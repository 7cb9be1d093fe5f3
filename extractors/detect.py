"""Decode a RawDocument's bytes and decide its format from media type, file extension and content."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from extractors.decode import binary_signature, detect_charset
from qbank.errors import SourceError
from qbank.records import RawDocument

FORMATS = ("html", "markdown", "text", "rst", "ipynb")

_SUPPORTED = "qbank reads HTML, Markdown, plain text, reStructuredText and Jupyter notebooks"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # below space, except tab, newline, form feed, return
_MAX_CONTROL_RATIO = 0.02  # real text has next to no control characters besides tab/newline

_BY_MEDIA_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/x-rst": "rst",
    "text/prs.fallenstein.rst": "rst",
    "application/x-ipynb+json": "ipynb",
}
_BY_EXTENSION = {
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".rst": "rst", ".rest": "rst",
    ".ipynb": "ipynb",
}

_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?(p|div|h[1-6]|ul|ol|li|a|span|table|section|article|br)\b[^>]*>", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"^\ufeff?---\s*\n(?:[\w-]+\s*:.*\n)(?:.*\n)*?---\s*(\n|$)")
_ATX = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)
_BOLD_ITEM = re.compile(r"^\s*(\d+[.)]|[-*+])\s+\*\*\S", re.MULTILINE)
_BOLD_LINE = re.compile(r"^\s*\*\*[^*\n]+\*\*\s*$", re.MULTILINE)
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_MD_LINK = re.compile(r"\[[^\]\n]+\]\([^)\s]+\)")
_RST_DIRECTIVE = re.compile(r"^\.\. [\w:-]+::|^\.\. _[^:]+:|:(ref|doc|class|func|meth|code):`", re.MULTILINE)
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


def _extension(uri: str) -> str:
    path = urlsplit(uri).path if "://" in uri else uri
    return PurePosixPath(path).suffix.lower()


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
    if _RST_DIRECTIVE.search(text):
        return "rst"
    markdown_signals = (
        min(len(_ATX.findall(text)), 3)
        + min(len(_BOLD_ITEM.findall(text)), 3)
        + min(len(_BOLD_LINE.findall(text)), 2)
        + min(len(_FENCE.findall(text)) // 2, 2)
        + min(len(_MD_LINK.findall(text)), 2)
    )
    if markdown_signals >= 2:
        return "markdown"
    adornments = _RST_ADORNMENT.findall(text)
    # "=" and "-" underlines are also Markdown setext headings; other adornments are reStructuredText only
    if any(ch not in "=-" for _, ch in adornments) or len(adornments) >= 2:
        return "rst"
    return None


def detect_format(raw: RawDocument, text: str) -> str:
    """One of FORMATS. A specific media type wins, then the file extension; text/plain, JSON and unknown
    types are sniffed from the content (a `.txt` holding Markdown is Markdown)."""
    media = (raw.media_type or "").split(";")[0].strip().lower()
    if media in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[media]
    by_ext = _BY_EXTENSION.get(_extension(raw.source_uri))
    if by_ext:
        return by_ext
    return sniff(text) or "text"
