"""Decoding and format detection, and the SourceError cases for unreadable input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from extractors import extract
from extractors.detect import decode, detect_format, sniff
from qbank.errors import SourceError
from qbank.fetch import Fetcher
from qbank.records import Failure, RawDocument
from qbank.settings import FetchSettings
from tests.test_extract_support import raw_doc

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


@pytest.mark.parametrize(
    ("content", "uri", "media_type", "expected"),
    [
        ("---\ntitle: T\n---\nSome text.\n", "/a.txt", "text/plain", "markdown"),
        ("# Title\n\n1. **What is X?**\n2. **What is Y?**\n", "/a.txt", "text/plain", "markdown"),
        ("Title\nWhat is X?\n- a bullet\n", "/a.txt", "text/plain", "text"),
        ("<!DOCTYPE html><html><body><p>x</p></body></html>", "/a.txt", "text/plain", "html"),
        ("<div><h1>T</h1><p>a</p><p>b</p></div>", "/page", "application/octet-stream", "html"),
        (json.dumps({"cells": [], "nbformat": 4}), "/nb.json", "application/json", "ipynb"),
        ("{}", "/nb.ipynb", "application/octet-stream", "ipynb"),
        ("Title\n=====\n\n.. note::\n\n   hi\n", "/a.txt", "text/plain", "rst"),
        ("Title\n~~~~~\n\nSection\n^^^^^^^\n", "/a.txt", "text/plain", "rst"),
        ("plain words", "/readme.md", "text/plain", "markdown"),
        ("plain words", "https://x.org/docs/page.rst", "", "rst"),
        ("<p>not trusted</p>", "https://x.org/blob/readme.md", "text/html; charset=utf-8", "html"),
    ],
)
def test_detect_format(content: str, uri: str, media_type: str, expected: str):
    raw = raw_doc(content, uri=uri, media_type=media_type)
    assert detect_format(raw, decode(raw)) == expected


def test_decode_bom_declared_and_fallback_charsets():
    text = "Café crème: naïve résumé “quoted” déjà vu"
    assert decode(raw_doc(text.encode("utf-16"))) == text
    assert decode(raw_doc(text.encode("cp1252"), charset="windows-1252")) == text
    # declared UTF-8 but really Windows-1252: recovered instead of failing
    assert decode(raw_doc(text.encode("cp1252"), charset="utf-8")) == text
    html = '<html><head><meta charset="windows-1252"></head><body>' + text + "</body></html>"
    assert text in decode(raw_doc(html.encode("cp1252"), media_type="text/html"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty document"),
        (b"  \n\t\n", "empty document"),
        ("\ufeff   \n".encode("utf-8"), "empty document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content (image/png)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "unreadable PDF"),  # truncated: read as a PDF, and refused
        (b"abc\x00\x01\x02def" * 20, "binary content (NUL bytes)"),
        (b"ab\x01\x02\x03\x04\x05\x06cd" * 20, "binary content"),
        (b"\xff\xfe" + b"\xfd\xff\xfe" * 40, "undecodable text"),
    ],
)
def test_unreadable_content_raises_source_error(content: bytes, message: str):
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        extract(raw_doc(content))
    assert "\n" not in str(err.value)


def test_markup_without_text_raises_source_error():
    with pytest.raises(SourceError, match="no text found"):
        extract(raw_doc("<!-- nothing -->\n\n---\n", uri="/a.md", media_type="text/markdown"))


def test_fetched_bytes_are_read_with_the_charset_the_fetch_found(tmp_path: Path) -> None:
    """Issue 4.5: one charset/signature helper (extractors/decode.py) for both stages. An undeclared
    Windows-1252 file used to be stored as cp1250 by the fetcher (so its text read "crčme") while extract
    recovered it; a legacy Word file with a .txt name passed the fetcher and failed only at extract."""
    text = "Café crème: naïve résumé “quoted” déjà vu? Señor, ¿qué es un índice único?"
    western = tmp_path / "western.txt"
    western.write_bytes(text.encode("cp1252"))
    word = tmp_path / "notes.txt"
    word.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + b"Why index?" * 10)
    with Fetcher(FetchSettings()) as fetcher:
        raw = fetcher.fetch(str(western))
        refused = fetcher.fetch(str(word))
    assert isinstance(raw, RawDocument)
    assert (raw.charset, decode(raw)) == ("cp1252", text)
    assert isinstance(refused, Failure) and "application/msword" in refused.reason
    with pytest.raises(SourceError, match="binary content \\(application/msword\\)"):
        decode(raw_doc(word.read_bytes()))


def test_one_table_decides_the_format_for_fetch_and_extract(tmp_path: Path) -> None:
    """Issue 16: the format is decided once. The fetcher records the media type the one table
    (qbank/formats.py) gives a file's name, or the one the content sniff (extractors.detect.sniff) finds in
    bytes nothing names, and the extract stage reads that format back. Names only the extract stage knew
    (`.mkd`, `.xhtml`, `.rest`) used to be recorded as text/plain, and the fetcher sniffed HTML by rules of
    its own."""
    cases = {
        "notes.mkd": ("# Title\n\n1. **What is X?**\n2. **What is Y?**\n", "text/markdown", "markdown"),
        "page.xhtml": ("<p>What is X?</p>", "text/html", "html"),
        "guide.rest": ("Title\n=====\n\nWhat is X?\n", "text/x-rst", "rst"),
        "PAGE": ("<div><h1>T</h1><p>What is X?</p><p>b</p></div>", "text/html", "html"),  # no extension: sniffed
        "QUESTIONS": ("---\ntitle: T\n---\n\nWhat is X?\n", "text/markdown", "markdown"),
        "NOTES": ("What is X?\nWhat is Y?\n", "text/plain", "text"),
        "list.txt": ("# Title\n\n1. **What is X?**\n2. **What is Y?**\n", "text/plain", "markdown"),
    }
    with Fetcher(FetchSettings()) as fetcher:
        for name, (text, media_type, fmt) in cases.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
            raw = fetcher.fetch(str(tmp_path / name))
            assert isinstance(raw, RawDocument), raw
            assert (raw.media_type, detect_format(raw, decode(raw))) == (media_type, fmt), name


# -- issue 13: format detection by proportion ---------------------------------------------------------

_STEMS = (
    "If I have a {a}, how do I {v} it?", "I have a {a} and need to {v} it", "My {a} fails when I {v} it",
    "Is there a way to {v} a {a}?", "What is the fastest way to {v} a {a}?", "Difference between {a} and {b}",
)
_NOUNS = "list dict tuple dataframe generator set string array queue index".split()
_VERBS = "sort merge split flatten reverse filter group copy serialize cache".split()


def question_list(lines: int, stray: dict[int, str] | None = None) -> str:
    """A plain-text list: a title line, then one question per line (many not starting with a question
    word), with `stray` lines put at the given positions; no blank lines."""
    out = ["Python Questions Asked On The Forum"]
    for n in range(lines):
        a, b = _NOUNS[n % 10], _NOUNS[(n * 7 + 3) % 10]
        out.append(_STEMS[n % len(_STEMS)].format(a=a, b=b, v=_VERBS[(n // 6) % 10]) + f" ({n})")
    for position, line in (stray or {}).items():
        out.insert(position, line)
    return "\n".join(out) + "\n"


STRAY_MARKDOWN = {
    40: "# of rows per partition: what is a good number?",
    900: "**Bonus round**",
    5000: "# Advanced",
    12000: "**Thanks to everyone who sent questions**",
}


def test_a_long_text_list_with_a_few_markdown_looking_lines_is_text() -> None:
    """Issue 13: 20,000 questions with four `#`/`**` lines were sniffed as Markdown and became one
    paragraph; weighed against 20,000 lines, those lines are noise."""
    text = question_list(20_000, STRAY_MARKDOWN)
    assert sniff(text) is None
    doc = extract(raw_doc(text, uri="/forum/questions.txt"))
    assert doc.format == "text"
    assert len(doc.blocks) == 20_005  # one block a line: nothing merged into a paragraph


def test_markdown_files_stay_markdown() -> None:
    readme = (FIXTURES / "readme_prose.md").read_text(encoding="utf-8")
    one_line_paragraphs = "\n\n".join(
        part if part.startswith(("#", "```")) else " ".join(part.split("\n")) for part in readme.split("\n\n")
    )
    short = "# Title\n\n1. **What is X?**\n2. **What is Y?**\n"
    for text in (readme, one_line_paragraphs, short):
        assert sniff(text) == "markdown"
        assert detect_format(raw_doc(text, uri="/notes.txt"), text) == "markdown"
    # the same README with two headings only, once among 40 question lines, stays Markdown
    assert sniff(question_list(40, {0: "# Questions", 20: "## More [here](https://example.org)"})) == "markdown"


def test_markdown_evidence_is_weighed_against_the_size_of_the_text() -> None:
    """The same four Markdown lines make a short list Markdown and a long one text."""
    assert sniff(question_list(100, {1: "# Basics", 50: "**Bonus round**"})) == "markdown"
    assert sniff(question_list(2_000, {1: "# Basics", 100: "**Bonus round**"})) is None


def test_a_md_file_written_in_raw_html_is_read_as_html() -> None:
    page = "<!DOCTYPE html>\n<html><body><h2>What is a join?</h2><p>It combines rows.</p></body></html>\n"
    fragment = "<div class=\"q\">\n<h3>What is a join?</h3>\n<p>It combines rows.</p>\n</div>\n<div class=\"q\">\n<h3>What is a CTE?</h3>\n</div>\n"
    readme = '<p align="center">\n  <img src="logo.png">\n</p>\n\n# Questions\n\n## What is a join?\n\nIt combines rows.\n'
    for text, expected in ((page, "html"), (fragment, "html"), (readme, "markdown")):
        for media_type in ("text/plain", "text/markdown"):
            assert detect_format(raw_doc(text, uri="/repo/questions.md", media_type=media_type), text) == expected
    doc = extract(raw_doc(fragment, uri="/repo/questions.md", media_type="text/markdown"))
    assert doc.format == "html"
    assert [(b.kind, b.text) for b in doc.blocks if b.kind == "heading"] == [("heading", "What is a join?"), ("heading", "What is a CTE?")]


@pytest.mark.slow
def test_a_100000_line_text_list_is_text_and_extracts_in_seconds() -> None:
    text = question_list(100_000, STRAY_MARKDOWN)
    started = time.perf_counter()
    doc = extract(raw_doc(text, uri="/forum/questions.txt"))
    elapsed = time.perf_counter() - started
    assert doc.format == "text"
    assert len(doc.blocks) == 100_005
    assert sum(b.kind == "paragraph" for b in doc.blocks) >= 99_990  # questions, not headings
    assert elapsed < 30  # ~3 s measured (bench/formats); a generous guard on a shared machine
