"""reStructuredText -> HTML (docutils) -> Markdown -> Blocks, skipping trafilatura: the whole document is content."""

from __future__ import annotations

from bs4 import BeautifulSoup
from docutils.core import publish_parts

from extractors.blocks import build_doc
from extractors.html import soup_to_markdown
from extractors.markdown import markdown_title, parse_markdown
from qbank.records import RawDocument, StructuredDoc

_DOCUTILS_SETTINGS = {
    "doctitle_xform": False,  # keep the top title as a level-1 heading block
    "initial_header_level": 1,
    "report_level": 5,  # no system messages in the output: a sloppy document still yields its text
    "halt_level": 5,
    "file_insertion_enabled": False,  # `.. include::` / raw files must not read the local disk
    "raw_enabled": False,
    "syntax_highlight": "none",
    "input_encoding": "unicode",
}


def extract_rst(raw: RawDocument, text: str) -> StructuredDoc:
    """reStructuredText document (decoded) -> StructuredDoc; docinfo fields (author, date) become metadata."""
    parts = publish_parts(text, writer="html5", settings_overrides=_DOCUTILS_SETTINGS)
    soup = BeautifulSoup(parts["body"], "lxml")
    metadata = _docinfo(soup)
    blocks = parse_markdown(soup_to_markdown(soup.body or soup))
    return build_doc(raw, "rst", markdown_title(metadata, blocks), blocks, metadata)


def _docinfo(soup: BeautifulSoup) -> dict[str, str]:
    """Bibliographic fields (`:Author: X`) before any other text: taken out of the body as metadata.

    With the title kept as a heading, docutils leaves them as the first field list after it.
    """
    first = soup.find(["p", "dl", "ul", "ol", "pre", "table", "blockquote"])
    if first is None or first.name != "dl" or "field-list" not in first.get("class", []):
        return {}
    names = [dt.get_text("", strip=True).rstrip(":").strip().lower() for dt in first.find_all("dt", recursive=False)]
    values = [dd.get_text(" ", strip=True) for dd in first.find_all("dd", recursive=False)]
    first.decompose()
    return {n: v for n, v in zip(names, values) if n and v}
