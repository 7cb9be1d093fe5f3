"""Helpers shared by every format: numbering blocks and assembling the StructuredDoc."""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Mapping

from bs4 import Tag

from qbank.errors import SourceError
from qbank.records import Block, RawDocument, StructuredDoc, StructuredQA


def only_punctuation(text: str) -> bool:
    """True when `text` holds nothing but whitespace and punctuation (e.g. the "?" after `**What is X**?`)."""
    return all(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in text)


def inline_text(tag: Tag) -> str:
    """An HTML element's text with whitespace collapsed (line breaks become spaces). Not `get_text(" ")`:
    that puts a space between every child, so `<code>let</code>, <code>const</code>?` reads "let , const ?"."""
    for br in tag.find_all("br"):
        br.replace_with(" ")
    return " ".join(tag.get_text().split())


def build_doc(
    raw: RawDocument,
    fmt: str,
    title: str | None,
    blocks: Iterable[Block],
    metadata: Mapping[str, str] | None = None,
    structured_qa: Iterable[StructuredQA] = (),
) -> StructuredDoc:
    """Number the blocks in document order and wrap them; a document without any text is a SourceError."""
    numbered = tuple(dataclasses.replace(b, order=i) for i, b in enumerate(b for b in blocks if b.text.strip()))
    qa = tuple(structured_qa)
    if not qa and all(b.kind == "rule" for b in numbered):
        raise SourceError(f"no text found in the {fmt} document")
    return StructuredDoc(
        source_uri=raw.source_uri,
        sha256=raw.sha256,
        format=fmt,
        title=(title or "").strip() or None,
        blocks=numbered,
        metadata=dict(metadata or {}),
        structured_qa=qa,
    )
