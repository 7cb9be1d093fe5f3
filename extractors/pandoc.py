"""Org-mode and AsciiDoc -> GitHub Markdown (pandoc's readers) -> Blocks through extractors.markdown.

Pandoc knows each syntax whole (Org: TODO keywords, tags, drawers, `#+BEGIN_SRC`, tables; AsciiDoc: the
document header, `==` sections, `.`/`*` lists, `----` listings, `|===` tables), and the Markdown it
writes goes through the one Markdown parser, so these formats give the same block shape as every other.
The pandoc binary ships inside the pypandoc-binary wheel: nothing to install, nothing fetched.

Both exporters render the document title as `<h1>` and top sections (`*`, `==`) as `<h2>`; headings are
shifted one level the same way, and the title (`#+TITLE:`, `= Title`) is the first, level-1 heading.
Pandoc runs with `--sandbox` (it reads nothing from disk or network: `#+INCLUDE:` and `include::` cannot
reach local files) and a time limit.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache

import pypandoc

from extractors.blocks import build_doc
from extractors.markdown import markdown_title, parse_markdown, split_front_matter
from qbank.errors import SourceError
from qbank.records import Block, RawDocument, StructuredDoc

TIMEOUT_SECONDS = 60.0
_WRITER = "gfm-raw_html-alerts"  # raw HTML (Org export blocks, tag spans) and admonition syntax dropped
# Org: no TODO keywords, tags or property drawers in headings; `a_b` is not a subscript. Pandoc ignores
# `pri:nil`, so priority cookies (`** [#A] Explain X`) are taken out of headings here.
_ORG_OPTIONS = "#+OPTIONS: todo:nil tags:nil prop:nil ^:{}\n"
_ORG_PRIORITY = re.compile(r"^(\*+[ \t]+(?:[A-Z]+[ \t]+)?)\[#[A-Z0-9]\][ \t]*", re.MULTILINE)
# AsciiDoc includes name files of the repository the document came from; we have only the document.
_ADOC_INCLUDE = re.compile(r"^include::.*$", re.MULTILINE)


@cache
def _pandoc() -> str:
    try:
        return pypandoc.get_pandoc_path()
    except OSError as exc:  # pypandoc-binary missing or broken: a one-line reason, not a traceback
        raise SourceError(f"pandoc is not available to read this format: {exc}") from exc


def to_markdown(text: str, reader: str) -> str:
    """Convert `text` from pandoc's `reader` format to GitHub Markdown with a YAML block for its metadata."""
    command = [
        _pandoc(), "--sandbox", f"--from={reader}", f"--to={_WRITER}", "--standalone",
        "--wrap=preserve", "--shift-heading-level-by=1",
    ]
    try:
        done = subprocess.run(
            command, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise SourceError(f"{reader} conversion took longer than {TIMEOUT_SECONDS:g}s") from None
    if done.returncode != 0:
        message = " ".join(done.stderr.decode("utf-8", "replace").split())[:200] or f"exit status {done.returncode}"
        raise SourceError(f"cannot read the {reader} document: {message}")
    return done.stdout.decode("utf-8")


def _extract(raw: RawDocument, markdown: str, fmt: str) -> StructuredDoc:
    metadata, body = split_front_matter(markdown)
    blocks = parse_markdown(body)
    title = metadata.get("title", "").strip()
    if title:
        blocks.insert(0, Block("heading", title, f"# {title}", level=1))
    return build_doc(raw, fmt, markdown_title(metadata, blocks), blocks, metadata)


def extract_org(raw: RawDocument, text: str) -> StructuredDoc:
    """Org-mode document (decoded) -> StructuredDoc; `#+TITLE`, `#+AUTHOR`, `#+DATE` become metadata."""
    return _extract(raw, to_markdown(_ORG_OPTIONS + _ORG_PRIORITY.sub(r"\1", text), "org"), "org")


def extract_asciidoc(raw: RawDocument, text: str) -> StructuredDoc:
    """AsciiDoc document (decoded) -> StructuredDoc; the header's title, author and attributes become metadata."""
    return _extract(raw, to_markdown(_ADOC_INCLUDE.sub("", text), "asciidoc"), "asciidoc")
