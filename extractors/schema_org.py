"""Question/answer pairs a page declares itself: schema.org FAQPage / QAPage / Question in JSON-LD or microdata."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import extruct
import lxml.html
from lxml.html import HtmlElement
from markdownify import markdownify

from qbank.records import StructuredQA

log = logging.getLogger(__name__)


def _types(node: dict) -> set[str]:
    raw = node.get("@type", ())
    names = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    # "Question", "schema:Question" and "https://schema.org/Question" all name the same type
    return {str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names}


def _text(value: object) -> str:
    """A property value as text: a string, the first of a list, or a nested node's text/name. A microdata
    node's `text` is taken as HTML from its element, since extruct flattens it (code blocks lose their lines)."""
    if isinstance(value, list):
        return next((t for t in map(_text, value) if t), "")
    if isinstance(value, dict):
        node = value.get("htmlNode")
        own = node.xpath('.//*[@itemprop="text"]') if isinstance(node, HtmlElement) else []
        if own and value.get("text"):
            inner = (own[0].text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in own[0])
            return inner.strip()
        return _text(value.get("text") or value.get("name") or "")
    return str(value).strip() if value is not None else ""


def _as_markdown(fragment: str) -> str:
    """Answer text may be HTML; keep its formatting as Markdown."""
    if "<" not in fragment:
        return fragment.strip()
    return markdownify(fragment, heading_style="ATX", bullets="-").strip()


def _questions(node: object) -> Iterator[dict]:
    """Every schema.org Question node under `node` (FAQPage.mainEntity, QAPage.mainEntity, @graph, ...)."""
    if isinstance(node, list):
        for sub in node:
            yield from _questions(sub)
    elif isinstance(node, dict):
        if "Question" in _types(node):
            yield node
            return
        for value in node.values():
            yield from _questions(value)


def extract_structured_qa(html: str, base_url: str | None = None) -> tuple[StructuredQA, ...]:
    """Read JSON-LD and microdata; return each declared question with its accepted (else first suggested) answer."""
    try:
        data = extruct.extract(
            html, base_url=base_url, syntaxes=["json-ld", "microdata"], uniform=True, errors="log",
            return_html_node=True,
        )
    except Exception as exc:  # extruct surfaces lxml/json errors of many kinds; the page text is still usable
        log.warning("structured data unreadable: %s", exc)
        return ()
    found: dict[str, StructuredQA] = {}
    for node in _questions([data.get("json-ld", []), data.get("microdata", [])]):
        question = _text(node.get("name")) or _text(node.get("text"))
        if not question or question in found:
            continue
        answer = _text(node.get("acceptedAnswer")) or _text(node.get("suggestedAnswer"))
        body = " ".join(_text(node.get("text")).split()) if node.get("name") else ""
        found[question] = StructuredQA(question=" ".join(question.split()), answer_markdown=_as_markdown(answer) or None,
                                       text=body or None)
    return tuple(found.values())
