"""Read the URLs a sitemap, a feed or a document lists: small parsers over bytes, no network.

    parse_sitemap(content, base, limit) -> Sitemap        urlset, sitemap index, text sitemap; gzip read
    robots_sitemaps(content, base) -> list[str]           the `Sitemap:` lines of a robots.txt
    parse_feed(content, base) -> list[str]                RSS 2.0, RSS 1.0 (RDF), Atom, JSON Feed
    document_links(raw) -> list[str]                      links of an HTML, Markdown or plain-text document

Each returns absolute, normalized http(s) URLs (qbank.sources.normalize_url: no fragment), in the order
they appear, each once. A listing that cannot be read raises `ListingError` with a one-line reason.

trafilatura's sitemap and feed helpers were tried first: their parsing parts hand every URL to courlan,
which drops addresses with a port or an IP address (every loopback test site, most intranet sites) and
keeps only links its domain rules like, and their other parts fetch by themselves. lxml (already there
for trafilatura) parses here instead, with entities, DTDs and network access off.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from markdown_it import MarkdownIt
from protego import Protego

from qbank.errors import SourceError
from qbank.records import RawDocument
from qbank.sources import normalize_url

# A bare URL in plain text or Markdown; trailing punctuation is trimmed afterwards.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_~'\""
_GZIP_MAGIC = b"\x1f\x8b"


class ListingError(SourceError):
    """A sitemap or feed that cannot be read; str() is the one-line reason."""


@dataclass(frozen=True, slots=True)
class Sitemap:
    """What one sitemap file lists: pages (a urlset or text sitemap), or more sitemaps (an index)."""

    pages: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


def _xml_parser() -> lxml.etree.XMLParser:
    # recover: real sitemaps and feeds are often slightly broken (a stray '&'); entities and DTDs stay
    # unexpanded and unloaded, so a "billion laughs" file or an external entity reads as text, not as a bomb.
    return lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True, remove_comments=True
    )


def gunzip(content: bytes, limit: int) -> bytes:
    """Decompress a gzip file, refusing once the output passes `limit` bytes (a gzip bomb stops at the cap)."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = decompressor.decompress(content, limit + 1)
    except zlib.error as exc:
        raise ListingError(f"corrupt gzip file: {exc}") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise ListingError(f"gzip file inflates past the {limit:,}-byte limit (fetch.max_bytes)")
    return out


def parse_sitemap(content: bytes, base: str, limit: int) -> Sitemap:
    """The pages or sitemaps one sitemap file lists (sitemaps.org protocol; gzip files are read).

    Args:
        content: the file's bytes, gzip-compressed or not.
        base: its URL, against which relative locations are resolved.
        limit: the most bytes a gzip file may inflate to.

    Raises:
        ListingError: not a sitemap (HTML, an empty file, another XML document).
    """
    if content[:2] == _GZIP_MAGIC:
        content = gunzip(content, limit)
    text_start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text_start != b"<":  # a text sitemap: one URL per line
        lines = content.decode("utf-8", errors="replace").splitlines()
        urls = _absolute((line.strip() for line in lines if line.strip().lower().startswith("http")), base)
        if not urls:
            raise ListingError("not a sitemap: neither XML nor a list of URLs")
        return Sitemap(pages=tuple(urls))
    root = _xml_root(content, "sitemap")
    kind = _local(root)
    if kind not in ("urlset", "sitemapindex"):
        name = lxml.etree.QName(root).localname
        raise ListingError(f"not a sitemap: the document is <{name}>, not <urlset> or <sitemapindex>")
    parent = "url" if kind == "urlset" else "sitemap"
    locations = (
        loc.text.strip()
        for loc in root.iter("{*}loc", "loc")
        if loc.text and _local(loc.getparent()) == parent  # not an image:loc or video:loc inside a <url>
    )
    urls = tuple(_absolute(locations, base))
    return Sitemap(pages=urls) if kind == "urlset" else Sitemap(sitemaps=urls)


def robots_sitemaps(content: bytes, base: str) -> list[str]:
    """The sitemaps a robots.txt names on its `Sitemap:` lines."""
    rules = Protego.parse(content.decode("utf-8", errors="replace"))
    return _absolute(rules.sitemaps, base)


def parse_feed(content: bytes, base: str) -> list[str]:
    """The article links of an RSS 2.0, RSS 1.0 (RDF), Atom or JSON feed, in feed order.

    Raises:
        ListingError: not a feed.
    """
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"{":
        return _json_feed(stripped, base)
    root = _xml_root(content, "feed")
    kind = _local(root)
    if kind == "rss":  # RSS 2.0: <item><link>, or a permalink <guid>
        return _absolute((_rss_link(item) for item in root.iter("item")), base)
    if kind == "rdf":  # RSS 1.0: <item rdf:about="..."><link>
        return _absolute((_rss_link(item) or item.get(_RDF_ABOUT) for item in root.iter("{*}item")), base)
    if kind == "feed":  # Atom: <entry><link rel="alternate" href="..."/>, relative to xml:base
        return _absolute((_atom_link(entry, base) for entry in root.iter("{*}entry")), base)
    raise ListingError(f"not a feed: the document is <{lxml.etree.QName(root).localname}>, not RSS or Atom")


_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _rss_link(item: lxml.etree._Element) -> str | None:
    for child in item:
        if _local(child) == "link" and child.text and child.text.strip():
            return child.text.strip()
    for child in item:
        if _local(child) == "guid" and child.text and child.get("isPermaLink", "true").lower() != "false":
            return child.text.strip()
    return None


def _atom_link(entry: lxml.etree._Element, base: str) -> str | None:
    entry_base = urljoin(base, entry.getparent().get(_XML_BASE, "") if entry.getparent() is not None else "")
    entry_base = urljoin(entry_base, entry.get(_XML_BASE, ""))
    for link in entry:
        if _local(link) == "link" and link.get("href") and link.get("rel", "alternate") == "alternate":
            return urljoin(entry_base, link.get("href").strip())
    return None


def _json_feed(content: bytes, base: str) -> list[str]:
    try:
        feed = json.loads(content)
    except (ValueError, RecursionError):
        raise ListingError("not a feed: the JSON cannot be parsed") from None
    items = feed.get("items") if isinstance(feed, dict) else None
    if not isinstance(items, list):
        raise ListingError("not a feed: a JSON document without an 'items' list (JSON Feed)")
    links = (item.get("url") or item.get("external_url") for item in items if isinstance(item, dict))
    return _absolute((link for link in links if isinstance(link, str)), base)


def document_links(raw: RawDocument) -> list[str]:
    """The http(s) links of a fetched document: `<a>`, `<area>` and `<link rel=next>` of HTML (with its
    `<base>`), Markdown links, autolinks and bare URLs, bare URLs of any other text. Relative links are
    resolved against the document's URL; a local file's relative links are left to the caller."""
    text = raw.content.decode(raw.charset or "utf-8", errors="replace")
    if raw.media_type == "text/html":
        return html_links(raw.content, raw.source_uri, raw.charset)
    if raw.media_type == "text/markdown":
        rendered = MarkdownIt("commonmark").render(text).encode("utf-8")
        return _dedupe([*html_links(rendered, raw.source_uri, "utf-8"), *_bare_urls(text)])
    if raw.media_type == "application/pdf":
        return []
    return _bare_urls(text)


def html_links(content: bytes, base: str, charset: str | None = None) -> list[str]:
    """The http(s) links of an HTML page, in page order."""
    if not content.strip():
        return []
    parser = lxml.html.HTMLParser(encoding=charset or "utf-8", remove_comments=True)
    try:
        root = lxml.html.fromstring(content, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return []
    base_tag = root.find(".//base[@href]")
    if base_tag is not None:
        base = urljoin(base, base_tag.get("href", "").strip())
    hrefs = []
    for element in root.iter("a", "area", "link"):
        href = element.get("href")
        if not href:
            continue
        if element.tag == "link" and not {"next", "prev"} & set(element.get("rel", "").lower().split()):
            continue  # stylesheets, icons, feeds
        hrefs.append(href.strip())
    return _absolute(hrefs, base)


def relative_links(raw: RawDocument) -> list[str]:
    """The links of a document that are neither absolute URLs nor anchors: for a local README, the files
    beside it it links to (`docs/questions.md`)."""
    text = raw.content.decode(raw.charset or "utf-8", errors="replace")
    if raw.media_type == "text/markdown":
        content, charset = MarkdownIt("commonmark").render(text).encode("utf-8"), "utf-8"
    elif raw.media_type == "text/html":
        content, charset = raw.content, raw.charset
    else:
        return []
    try:
        root = lxml.html.fromstring(content, parser=lxml.html.HTMLParser(encoding=charset or "utf-8"))
    except (lxml.etree.ParserError, ValueError):
        return []
    found = []
    for element in root.iter("a"):
        href = (element.get("href") or "").strip().split("#", 1)[0]
        if href and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) and not href.startswith("//"):
            found.append(href)
    return list(dict.fromkeys(found))


def _bare_urls(text: str) -> list[str]:
    urls = []
    for match in _BARE_URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        while url.endswith((")", "]")) and url.count(url[-1]) > url.count("(" if url[-1] == ")" else "["):
            url = url[:-1].rstrip(_TRAILING)  # "(see https://x/y)" but not "https://en.wikipedia.org/wiki/A_(b)"
        urls.append(url)
    return _absolute(urls, "")


def _xml_root(content: bytes, what: str) -> lxml.etree._Element:
    head = content[:1024].lower()
    if b"<!doctype html" in head or b"<html" in head:  # an error or login page served instead
        raise ListingError(f"not a {what}: an HTML page")
    try:
        root = lxml.etree.fromstring(content, parser=_xml_parser())
    except lxml.etree.XMLSyntaxError as exc:
        raise ListingError(f"not a {what}: the XML cannot be parsed ({' '.join(str(exc).split())[:120]})") from None
    if root is None:
        raise ListingError(f"not a {what}: no XML element in it")
    if _local(root) == "html":
        raise ListingError(f"not a {what}: an HTML page")
    return root


def _local(element: lxml.etree._Element | None) -> str:
    """An element's tag without its namespace, lower-cased; '' for comments and processing instructions."""
    if element is None or not isinstance(element.tag, str):
        return ""
    return lxml.etree.QName(element).localname.lower()


def _absolute(links: Iterable[str | None], base: str) -> list[str]:
    """Links resolved against `base` and normalized; anything but http(s) dropped; each once, in order."""
    found: dict[str, None] = {}
    for link in links:
        if not link:
            continue
        url = normalize_url(urljoin(base, link.strip()) if base else link.strip())
        if url is not None:
            found.setdefault(url, None)
    return list(found)


def _dedupe(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
