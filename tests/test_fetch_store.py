"""Content-addressed raw storage, and the pieces of fetching that need no server."""

from __future__ import annotations

import gzip
import hashlib
import tracemalloc
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import brotli
import pytest

from qbank.fetch import Fetcher, _BoundedDecoder, _parse_retry_after, _Refused, detect_charset, store_raw
from qbank.records import Failure, RawDocument
from qbank.settings import FetchSettings


def raw_document(content: bytes, uri: str = "https://example.org/../../etc/passwd?q=1") -> RawDocument:
    return RawDocument(
        source_uri=uri,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="text/html",
        content=content,
        fetched_at=datetime.now(UTC),
    )


def test_store_raw_writes_bytes_under_their_hash_only(tmp_path: Path) -> None:
    raw = raw_document(b"<p>What is a transformer?</p>")
    stored = store_raw(raw, tmp_path)
    digest = raw.sha256
    assert stored.raw_path == f"{digest[:2]}/{digest}"
    assert (tmp_path / digest[:2] / digest).read_bytes() == raw.content
    assert stored == replace(raw, raw_path=stored.raw_path)
    # nothing but the one file: no temp files left, no path taken from the URL
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [stored.raw_path]


def test_store_raw_is_idempotent_and_shares_identical_bytes(tmp_path: Path) -> None:
    first = store_raw(raw_document(b"same bytes", "https://a.example/x"), tmp_path)
    target = tmp_path / first.raw_path
    mtime = target.stat().st_mtime_ns
    second = store_raw(raw_document(b"same bytes", "/home/me/notes.md"), tmp_path)
    assert second.raw_path == first.raw_path
    assert target.stat().st_mtime_ns == mtime  # present already: not rewritten


def test_store_raw_refuses_a_hash_that_does_not_match(tmp_path: Path) -> None:
    raw = replace(raw_document(b"abc"), sha256="0" * 64)
    with pytest.raises(ValueError, match="does not match"):
        store_raw(raw, tmp_path)


def test_local_pdf_is_read_as_pdf(tmp_path: Path) -> None:
    path = tmp_path / "questions.pdf"
    path.write_bytes(b"%PDF-1.4\n...")
    with Fetcher(FetchSettings()) as fetcher:
        result = fetcher.fetch(str(path))
    assert isinstance(result, RawDocument)
    assert (result.media_type, result.charset) == ("application/pdf", None)


def test_local_folder_given_as_a_file_is_a_failure(tmp_path: Path) -> None:
    with Fetcher(FetchSettings()) as fetcher:
        result = fetcher.fetch(str(tmp_path))
    assert isinstance(result, Failure)
    assert result.reason == f"is a folder, not a file: {tmp_path}"


def test_brotli_bomb_stops_at_the_cap() -> None:
    bomb = brotli.compress(b"\0" * (64 * 1024 * 1024), quality=1)  # 64 MB of zeros in a few KB
    decoder = _BoundedDecoder("br", 100_000)
    with pytest.raises(_Refused, match=r"^br-decompressed response is over the 97.7 KB size limit \(max_bytes\)$"):
        decoder.decode(bomb)
    # brotli stops growing its buffer at the limit, overshooting by at most one internal block
    assert decoder.produced < 1024 * 1024


def test_gzip_bomb_never_holds_more_than_the_cap_in_memory() -> None:
    bomb = gzip.compress(b"\0" * (32 * 1024 * 1024))
    decoder = _BoundedDecoder("gzip", 100_000)
    tracemalloc.start()
    try:
        with pytest.raises(_Refused):
            for start in range(0, len(bomb), 64 * 1024):  # the chunks a response arrives in
                decoder.decode(bomb[start : start + 64 * 1024])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # inflating a whole chunk at once would take ~32 MB


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib-wrapped", "raw"])
def test_deflate_is_decoded_with_or_without_the_zlib_header(wbits: int) -> None:
    text = b"What is gradient descent? " * 200
    compressor = zlib.compressobj(wbits=wbits)
    data = compressor.compress(text) + compressor.flush()
    decoder = _BoundedDecoder("deflate", 1_000_000)
    assert decoder.decode(data[:50]) + decoder.decode(data[50:]) + decoder.finish() == text


def test_unknown_content_encoding_is_refused() -> None:
    with pytest.raises(_Refused, match="^unsupported content encoding compress$"):
        _BoundedDecoder("compress", 1000)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert _parse_retry_after("7") == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (_parse_retry_after(later) or 0) <= 30
    assert _parse_retry_after("soon") is None
    assert _parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("content", "declared", "media_type", "expected"),
    [
        ("\ufeffQ1?".encode("utf-8"), "latin-1", "text/plain", "utf-8-sig"),  # a BOM beats the header
        ("Q1: caf\u00e9?".encode("cp1252"), "iso-8859-1", "text/plain", "cp1252"),  # as browsers read it
        (b"plain ascii", None, "text/plain", "utf-8"),
        ('{"cells": [], "nbformat": 4, "x": "\u00e9"}'.encode(), "cp1252", "application/x-ipynb+json", "utf-8"),
        ("caf\u00e9".encode(), "no-such-charset", "text/markdown", "utf-8"),
    ],
)
def test_detect_charset(content: bytes, declared: str | None, media_type: str, expected: str) -> None:
    assert detect_charset(content, declared, media_type) == expected
