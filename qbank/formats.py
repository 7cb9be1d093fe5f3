"""The formats qbank reads: one table of their media types and file extensions, for every stage that names a
format (fetch records a media type, extract reads the format back, a folder is searched for the extensions).
Deciding from the content, where names do not, is extractors/detect.py's `sniff`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

@dataclass(frozen=True, slots=True)
class Format:
    """A format qbank reads, with the media types and file extensions that name it."""

    name: str  # one of FORMATS
    media_types: tuple[str, ...]  # the first is the one a fetched document is recorded with
    extensions: tuple[str, ...]
    # False: the name says nothing of the content: plain text (a `.txt` may hold Markdown) is sniffed, a PDF
    # is known by its bytes (`extractors.decode.is_pdf`) whatever it is called
    declares: bool = True


FORMAT_TABLE: tuple[Format, ...] = (
    Format("html", ("text/html", "application/xhtml+xml"), (".html", ".htm", ".xhtml")),
    Format("markdown", ("text/markdown", "text/x-markdown"), (".md", ".markdown", ".mdown", ".mkd")),
    Format("text", ("text/plain",), (".txt", ".text"), declares=False),
    Format("rst", ("text/x-rst", "text/prs.fallenstein.rst", "application/x-rst"), (".rst", ".rest")),
    Format("ipynb", ("application/x-ipynb+json",), (".ipynb",)),
    Format("org", ("text/x-org", "text/org"), (".org",)),
    Format("asciidoc", ("text/asciidoc", "text/x-asciidoc"), (".adoc", ".asciidoc")),
    Format("pdf", ("application/pdf", "application/x-pdf"), (".pdf",), declares=False),
)
FORMATS = tuple(f.name for f in FORMAT_TABLE)
_BY_MEDIA_TYPE = {media: f for f in FORMAT_TABLE for media in f.media_types}
_BY_EXTENSION = {ext: f for f in FORMAT_TABLE for ext in f.extensions}
_BY_NAME = {f.name: f for f in FORMAT_TABLE}
SUPPORTED_MEDIA_TYPES = frozenset(f.media_types[0] for f in FORMAT_TABLE)  # what a RawDocument is recorded as
KNOWN_MEDIA_TYPES = frozenset(_BY_MEDIA_TYPE)  # those and their aliases, as servers send them
# Extensions picked up when a folder is searched (qbank/sources.py); a file named explicitly is always read.
SOURCE_EXTENSIONS = frozenset(_BY_EXTENSION)


def extension(uri: str) -> str:
    """The lower-cased suffix of a path or of a URL's path (".md"); "" when there is none."""
    path = urlsplit(uri).path if "://" in uri else uri
    return PurePosixPath(path).suffix.lower()


def media_type_for_name(uri: str) -> str | None:
    """The media type a file or URL path names by its extension, or None."""
    found = _BY_EXTENSION.get(extension(uri))
    return found.media_types[0] if found else None


def canonical_media_type(media_type: str) -> str:
    """The media type a document is recorded with, for one a server may send ("text/x-markdown" ->
    "text/markdown"); unknown types as given."""
    found = _BY_MEDIA_TYPE.get(media_type)
    return found.media_types[0] if found else media_type


def declared_format(media_type: str | None, uri: str) -> str | None:
    """The format a media type names, else the one the name's extension names; None when neither declares
    one (plain text, a PDF, an unknown type)."""
    media = (media_type or "").split(";")[0].strip().lower()
    for found in (_BY_MEDIA_TYPE.get(media), _BY_EXTENSION.get(extension(uri))):
        if found is not None and found.declares:
            return found.name
    return None


def media_type_of(format_name: str) -> str:
    """The media type a document of this format is recorded with."""
    return _BY_NAME[format_name].media_types[0]
