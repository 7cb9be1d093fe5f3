"""PDF -> Blocks through its text layer (pypdf), then the plain-text layout inference of extractors.text.

1. each page's text in pypdf's layout mode, which keeps indentation (nested list items) and line breaks;
2. running headers and footers dropped: lines at the top or bottom of most pages that repeat there, short
   ones once their digits are masked ("ACME Guide", "Page 3 of 40", a bare page number);
3. words hyphenated at a line end joined again ("distri-" + "buted" -> "distributed");
4. the lines, pages joined, go through `parse_text`: the same list, heading and wrapped-line rules as a
   `.txt` file.

A PDF without a text layer (scanned pages) is refused with that reason: qbank does not run OCR.
"""

from __future__ import annotations

import io
import math
import re
import time
from collections import Counter

from pypdf import PdfReader

from extractors.blocks import build_doc
from extractors.text import parse_text
from qbank.errors import SourceError
from qbank.records import RawDocument, StructuredDoc

# pypdf is pure Python: ~5 ms a page measured (bench/formats); a hostile file must not hold a worker.
MAX_SECONDS = 120.0
RUNNING_EDGE = 2  # how many lines at the top and at the bottom of a page can be a header or footer
RUNNING_SHARE = 0.6  # share of pages a line must repeat on to count as a header or footer
RUNNING_MAX_MASKED_WORDS = 6  # a header or footer this short may differ from page to page by its numbers
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")  # layout mode pads justified text; indentation is kept
_HYPHEN_WRAP = re.compile(r"(?<=[^\W\d_])-\n[ \t]*(?=[a-z])")


def extract_pdf(raw: RawDocument) -> StructuredDoc:
    """PDF bytes -> StructuredDoc (format "pdf"); SourceError when it cannot be read or has no text."""
    reader = _open(raw.content)
    pages, failed = _page_lines(reader)
    if not any(pages):
        if failed and failed == len(pages):
            raise SourceError(f"unreadable PDF: none of its {len(pages)} pages could be read")
        raise SourceError(
            f"PDF without a text layer ({len(pages)} pages, scanned images?): qbank reads a PDF's text, it does not run OCR"
        )
    text = _HYPHEN_WRAP.sub("", "\n".join(line for page in _drop_running_lines(pages) for line in page))
    blocks = parse_text(text)
    metadata = _metadata(reader, len(pages))
    # the first line's heading before the info dictionary's title, often "Microsoft Word - draft3.docx"
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None) or metadata.get("title")
    return build_doc(raw, "pdf", title, blocks, metadata)


def _open(content: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError("encrypted PDF: it needs a password to be read")
        len(reader.pages)  # parses the page tree: a broken file fails here, with its reason
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 -- a malformed file raises anything from deep inside pypdf
        raise SourceError(f"unreadable PDF: {_reason(exc)}") from exc
    return reader


def _page_lines(reader: PdfReader) -> tuple[list[list[str]], int]:
    """Non-empty lines of each page, and how many pages failed to parse (they give no lines); within
    MAX_SECONDS."""
    deadline = time.monotonic() + MAX_SECONDS
    pages: list[list[str]] = []
    failed = 0
    for number, page in enumerate(reader.pages, start=1):
        if time.monotonic() > deadline:
            raise SourceError(f"PDF text extraction took longer than {MAX_SECONDS:g}s (stopped at page {number})")
        try:
            text = page.extract_text(extraction_mode="layout", layout_mode_space_vertically=False)
        except Exception:  # noqa: BLE001 -- layout mode is stricter about fonts than plain mode
            try:
                text = page.extract_text()
            except Exception:  # noqa: BLE001
                text, failed = "", failed + 1
        pages.append([_SPACES.sub(" ", line.rstrip()) for line in text.splitlines() if line.strip()])
    return pages, failed


def _key(line: str) -> str:
    """What a running line keeps from page to page: its words, with the digits of a short line masked
    ("Page 3 of 40"); a long line must repeat exactly, so "12. What is X ..." on one page and "31. What is
    X ..." on the next (a list of look-alike questions) are not taken for a header."""
    words = line.lower().split()
    text = " ".join(words)
    return _DIGITS.sub("#", text) if len(words) <= RUNNING_MAX_MASKED_WORDS else text


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove headers and footers: lines among the RUNNING_EDGE first or last of a page whose digit-masked
    text is at an edge of at least RUNNING_SHARE of the pages (and of two pages or more). The first line of
    the first page stays when it has no digits: that is where a document shows its title."""
    if len(pages) < 2:
        return pages
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({_key(line) for line in lines[:RUNNING_EDGE] + lines[-RUNNING_EDGE:]})
    need = max(2, math.ceil(RUNNING_SHARE * len(pages)))
    running = {key for key, count in seen.items() if count >= need}
    kept: list[list[str]] = []
    for page_index, lines in enumerate(pages):
        edge = set(range(min(RUNNING_EDGE, len(lines)))) | set(range(max(0, len(lines) - RUNNING_EDGE), len(lines)))
        keep_title = page_index == 0 and lines and not _DIGITS.search(lines[0])
        kept.append([
            line for n, line in enumerate(lines)
            if n not in edge or _key(line) not in running or (n == 0 and keep_title)
        ])
    return kept


def _metadata(reader: PdfReader, page_count: int) -> dict[str, str]:
    metadata = {"pages": str(page_count)}
    try:
        info = reader.metadata
    except Exception:  # noqa: BLE001 -- a broken info dictionary costs the metadata, not the document
        return metadata
    for key, value in (("title", info and info.title), ("author", info and info.author)):
        if isinstance(value, str) and value.strip():
            metadata[key] = " ".join(value.split())
    return metadata


def _reason(exc: Exception) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message[:200]
