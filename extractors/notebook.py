"""Jupyter notebooks (.ipynb): Markdown cells through the Markdown parser, code cells as code blocks."""

from __future__ import annotations

import json

from extractors.blocks import build_doc
from extractors.markdown import markdown_title, parse_markdown
from qbank.errors import SourceError
from qbank.records import Block, RawDocument, StructuredDoc


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def extract_notebook(raw: RawDocument, text: str) -> StructuredDoc:
    """Notebook JSON (decoded) -> StructuredDoc. Outputs are ignored: they are results, not questions."""
    try:
        notebook = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"invalid notebook JSON: {exc}") from exc
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SourceError("invalid notebook: no list of cells")
    metadata = notebook.get("metadata", {})
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name", "")
    blocks: list[Block] = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = _source(cell)
        if cell.get("cell_type") == "markdown":
            blocks.extend(parse_markdown(source))
        elif cell.get("cell_type") == "code" and source.strip():
            code = source.rstrip("\n")
            blocks.append(Block("code", code, f"```{language}\n{code}\n```"))
    meta = {"language": language} if language else {}
    return build_doc(raw, "ipynb", markdown_title({}, blocks), blocks, meta)
