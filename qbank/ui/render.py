"""Turning warehouse text into page content: Markdown answers made safe, source links, SVG charts.

Scraped text is data. Answers are Markdown from strangers' pages: markdown-it renders them (raw HTML
included, since extractors keep some), then nh3 (the Ammonia sanitizer) keeps only formatting tags and
http(s)/mailto links, so no script, event handler or `javascript:` URL reaches the page. Everything else
(questions, sources, labels) is escaped by Jinja's autoescape or, in the charts, by markupsafe.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def safe_html(text: str) -> str:
    """Sanitize HTML: formatting tags only, links limited to http(s)/mailto and marked nofollow."""
    return nh3.clean(
        text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )  # fmt: skip


def markdown(text: str | None) -> Markup:
    """A stored Markdown answer as safe HTML."""
    if not text:
        return Markup("")
    return Markup(safe_html(_markdown().render(text)))


def source_href(uri: str | None) -> str | None:
    """A link for a source: http(s) URLs only (file paths are shown, not linked)."""
    if uri and urlsplit(uri).scheme in ("http", "https"):
        return uri
    return None


def bar_chart(rows: Sequence[tuple[str, int, str | None]], *, width: int = 560, bar: int = 18) -> Markup:
    """Horizontal bars as inline SVG: (label, value, link or None) per row, largest value full width."""
    label_w, gap = 230, 6
    top = max((value for _, value, _ in rows), default=0) or 1
    height = len(rows) * (bar + gap)
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value, href) in enumerate(rows):
        y = i * (bar + gap)
        length = max(1.0, (width - label_w - 60) * value / top)
        text = escape(label if len(label) <= 34 else "…" + label[-33:])
        row = (
            f'<title>{escape(label)}: {value}</title>'
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end">{text}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar}"></rect>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + bar - 5}">{value}</text>'
        )
        parts.append(f'<a href="{escape(href)}">{row}</a>' if href else f"<g>{row}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(rows: Sequence[tuple[str, int]], *, width: int = 560, height: int = 200) -> Markup:
    """Vertical bars as inline SVG (a histogram): (label under the bar, value) per column."""
    top = max((value for _, value in rows), default=0) or 1
    plot = height - 40
    step = width / max(1, len(rows))
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value) in enumerate(rows):
        h = max(1.0, plot * value / top)
        x = i * step + 4
        parts.append(
            f'<g><title>{escape(label)}: {value}</title>'
            f'<rect x="{x:.1f}" y="{plot - h + 16:.1f}" width="{step - 8:.1f}" height="{h:.1f}"></rect>'
            f'<text x="{x + (step - 8) / 2:.1f}" y="{plot - h + 12:.1f}" text-anchor="middle">{value}</text>'
            f'<text x="{x + (step - 8) / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bar(part: int, whole: int, *, width: int = 560, height: int = 26) -> Markup:
    """One bar split in two: `part` of `whole` (answered vs not), with the percentage."""
    share = part / whole if whole else 0.0
    filled = width * share
    return Markup(
        f'<svg class="chart share" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{part} of {whole} ({share:.0%})</title>"
        f'<rect class="rest" x="0" y="0" width="{width}" height="{height}"></rect>'
        f'<rect x="0" y="0" width="{filled:.1f}" height="{height}"></rect>'
        f'<text x="8" y="{height - 8}">{share:.0%} answered ({part:,} of {whole:,})</text></svg>'
    )
