"""Shared helper for the extractor tests: wrap bytes or text as a RawDocument."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

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
