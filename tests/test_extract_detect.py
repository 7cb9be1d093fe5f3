"""Decoding and format detection, and the SourceError cases for unreadable input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.detect import decode, detect_format
from qbank.errors import SourceError
from qbank.fetch import Fetcher, decode_text
from qbank.records import Failure, RawDocument
from qbank.settings import FetchSettings
from tests.test_extract_support import raw_doc


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
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary content (application/pdf)"),
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


def test_fetch_and_extract_read_bytes_the_same_way(tmp_path: Path) -> None:
    """Issue 4.5: one charset/signature helper for both stages. An undeclared Windows-1252 file used to be
    stored as cp1250 by the fetcher (so its text read "crčme") while extract recovered it; a legacy Word
    file with a .txt name passed the fetcher and failed only at extract."""
    text = "Café crème: naïve résumé “quoted” déjà vu? Señor, ¿qué es un índice único?"
    western = tmp_path / "western.txt"
    western.write_bytes(text.encode("cp1252"))
    word = tmp_path / "notes.txt"
    word.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + b"Why index?" * 10)
    with Fetcher(FetchSettings()) as fetcher:
        raw = fetcher.fetch(str(western))
        refused = fetcher.fetch(str(word))
    assert isinstance(raw, RawDocument)
    assert raw.charset == "cp1252"
    assert decode_text(raw) == text == decode(raw)
    assert isinstance(refused, Failure) and "application/msword" in refused.reason
    with pytest.raises(SourceError, match="binary content \\(application/msword\\)"):
        decode(raw_doc(word.read_bytes()))
