"""Bytes -> charset: the one place that knows file signatures, byte-order marks and charset labels.

Shared by the fetch stage (`qbank.fetch` picks `RawDocument.charset` with `detect_charset` and refuses
binary bodies with `binary_signature`) and the extract stage (`extractors.detect.decode` re-checks the
bytes of documents that did not come through the fetcher, e.g. built by hand or loaded from raw storage).
"""

from __future__ import annotations

import codecs

import charset_normalizer
from bs4.dammit import EncodingDetector

# Magic numbers of binary formats that servers sometimes mislabel as text/html or files carry a text suffix.
BINARY_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),  # also docx, xlsx, epub
    (b"\x1f\x8b", "application/gzip"),
    (b"\x7fELF", "application/x-executable"),
    (b"\xd0\xcf\x11\xe0", "application/msword"),  # OLE2: legacy .doc/.xls/.ppt
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Browsers read these labels as windows-1252 (WHATWG Encoding), and so do the pages that declare them.
_WEB_CHARSET_ALIASES = {"ascii": "cp1252", "iso8859-1": "cp1252"}
_SINGLE_BYTE_CHARSETS = frozenset({"cp1252", "iso8859-15", "cp1251", "cp1250", "koi8-r", "mac-roman"})
# charset-normalizer often reads short Western text as another Latin code page; browsers default to
# windows-1252 for undeclared single-byte text, so that guess wins when the bytes fit it
_LATIN_GUESSES = frozenset({
    "cp1250", "cp1252", "cp1254", "cp1257", "iso8859-2", "iso8859-9", "iso8859-13", "iso8859-15",
    "mac-roman", "mac-latin2", "mac-turkish",
})


def is_pdf(content: bytes) -> bool:
    """A PDF (its `%PDF-` header, after any leading whitespace): read through its text layer
    (extractors.pdf), not decoded as text. An article that mentions "%PDF-" in its text is not one."""
    return content[:1024].lstrip(b"\x00\t\n\r\x0c ").startswith(b"%PDF-")


def binary_signature(content: bytes) -> str | None:
    """The media type of a known binary format the bytes start with, if any."""
    for magic, media_type in BINARY_SIGNATURES:
        if content.startswith(magic):
            return media_type
    return None


def detect_charset(content: bytes, declared: str | None, media_type: str) -> str | None:
    """The Python codec that decodes `content`, or None when the bytes are not text.

    Order: byte-order mark, declared charset (HTTP header), `<meta>` charset (HTML), UTF-8, UTF-8
    with a few invalid bytes (`mostly_utf8`), then detection by charset-normalizer. A declared
    charset is kept only if the bytes decode with it, and a single-byte declaration loses to UTF-8
    when the bytes are valid UTF-8 with non-ASCII characters (a wrong "iso-8859-1" header on a UTF-8
    page is the common case). A codec that does not decode every byte is reported by `invalid_bytes`.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return codec
    if media_type == "application/x-ipynb+json":
        return "utf-8"  # JSON is UTF-8 (RFC 8259)
    candidates = [declared]
    if media_type == "text/html":
        candidates.append(EncodingDetector.find_declared_encoding(content[:8192], is_html=True))
    utf8 = decodes(content, "utf-8")
    for name in candidates:
        codec = codec_name(name)
        if codec is None or not decodes(content, codec):
            continue
        if codec in _SINGLE_BYTE_CHARSETS and utf8 and not content.isascii():
            return "utf-8"
        return codec
    if utf8 or mostly_utf8(content):
        return "utf-8"
    if b"\x00" in content[:4096] and charset_normalizer.is_binary(content[:65536]):
        return None
    best = charset_normalizer.from_bytes(content[:262144]).best()
    guess = codec_name(best.encoding) if best is not None else None
    if guess in _LATIN_GUESSES and decodes(content, "cp1252"):
        return "cp1252"
    return guess


def mostly_utf8(content: bytes) -> bool:
    """UTF-8 text with a stray invalid byte or two (a bad copy-paste, a truncated character): it has valid
    multi-byte characters, and at most one invalid sequence per 200 bytes and per such character."""
    if content.isascii():
        return False
    text = content.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return 0 < bad <= min(multibyte, max(1, len(content) // 200))


def invalid_bytes(content: bytes, codec: str) -> int:
    """How many undecodable sequences `content` has in `codec` (each becomes U+FFFD when decoded)."""
    try:
        content.decode(codec)
    except UnicodeDecodeError:
        return content.decode(codec, errors="replace").count("\ufffd") - content.decode(
            codec, errors="ignore"
        ).count("\ufffd")
    except LookupError:
        return 0
    return 0


def codec_name(name: str | None) -> str | None:
    """The Python codec name for a charset label, mapped as browsers map it; None if unknown."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _WEB_CHARSET_ALIASES.get(codec, codec)


def decodes(content: bytes, codec: str) -> bool:
    """Whether `content` decodes with `codec` without a single error."""
    try:
        content.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
