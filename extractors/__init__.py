"""Extract stage: RawDocument -> StructuredDoc, one flat list of Blocks whatever the format.

Entry point: `extract(raw)`. Format detection and decoding live in `extractors.detect`; each text format
has its own module with an `extract_<format>(raw, text) -> StructuredDoc` function. A PDF is not text: it
goes to `extract_pdf(raw)` before any decoding.
"""

from __future__ import annotations

from collections.abc import Callable

from extractors.decode import is_pdf
from extractors.detect import decode, detect_format
from extractors.html import extract_html
from extractors.markdown import extract_markdown
from extractors.notebook import extract_notebook
from extractors.pandoc import extract_asciidoc, extract_org
from extractors.pdf import extract_pdf
from extractors.rst import extract_rst
from extractors.text import extract_text
from qbank.errors import SourceError
from qbank.records import RawDocument, StructuredDoc

__all__ = ["extract"]

_EXTRACTORS: dict[str, Callable[[RawDocument, str], StructuredDoc]] = {
    "html": extract_html,
    "markdown": extract_markdown,
    "text": extract_text,
    "rst": extract_rst,
    "ipynb": extract_notebook,
    "org": extract_org,
    "asciidoc": extract_asciidoc,
}


def extract(raw: RawDocument) -> StructuredDoc:
    """Decode `raw`, detect its format and reduce it to blocks. Raises SourceError when it cannot be read."""
    if is_pdf(raw.content):
        return extract_pdf(raw)
    text = decode(raw)
    fmt = detect_format(raw, text)
    extractor = _EXTRACTORS.get(fmt)
    if extractor is None:
        raise SourceError(f"unsupported format {fmt!r} for {raw.source_uri}")
    return extractor(raw, text)
