"""Shared helpers for the extractor tests: wrap bytes or text as a RawDocument; write a PDF."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timezone

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from qbank.records import RawDocument


def raw_doc(content: str | bytes, uri: str = "/tmp/doc.txt", media_type: str = "text/plain", charset: str | None = None) -> RawDocument:
    """A RawDocument as the fetch stage would hand it over."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return RawDocument(
        source_uri=uri,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        content=data,
        fetched_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        charset=charset,
    )


def make_pdf(pages: list[list[tuple[int, str]]], *, title: str | None = None, password: str | None = None) -> bytes:
    """A PDF with a text layer written by pypdf: one page per list, each line `(indent, text)` set in
    Helvetica 10pt at 14pt spacing from the top, indented by `indent` x 6pt. An empty page list entry
    makes a page without text (as a scanned page is)."""
    writer = PdfWriter()
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    })
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        ops = ["BT", "/F1 10 Tf"]
        for n, (indent, text) in enumerate(lines):
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"1 0 0 1 {50 + 6 * indent} {760 - 14 * n} Tm ({escaped}) Tj")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page.replace_contents(stream)
    if title:
        writer.add_metadata({"/Title": title})
    if password:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
