"""The parsers discovery reads listings with (qbank/links.py): sitemaps, robots.txt, feeds, page links.

Inputs are written here, in the shapes real sites serve (namespaces, gzip, CDATA, xml:base, relative links).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qbank.links import (
    ListingError,
    document_links,
    gunzip,
    html_links,
    parse_feed,
    parse_sitemap,
    relative_links,
    robots_sitemaps,
)
from qbank.records import RawDocument

BASE = "https://site.example/sitemap.xml"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def raw(content: str | bytes, media_type: str, uri: str = "https://site.example/blog/post") -> RawDocument:
    body = content.encode() if isinstance(content, str) else content
    return RawDocument(uri, "0" * 64, media_type, body, datetime.now(UTC), charset="utf-8")


# -- sitemaps ---------------------------------------------------------------------------------------


def test_urlset_lists_pages_in_order_without_image_locations_or_duplicates() -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
    <urlset {NS} xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
      <url><loc> https://site.example/q/1 </loc><lastmod>2024-01-01</lastmod>
           <image:image><image:loc>https://site.example/pic.png</image:loc></image:image></url>
      <url><loc>https://Site.Example:443/q/2#top</loc></url>
      <url><loc>/q/3</loc></url>
      <url><loc>https://site.example/q/1</loc></url>
      <url><loc>mailto:someone@site.example</loc></url>
    </urlset>"""
    listed = parse_sitemap(xml.encode(), BASE, 10_000)
    assert listed.pages == ("https://site.example/q/1", "https://site.example/q/2", "https://site.example/q/3")
    assert listed.sitemaps == ()


def test_sitemap_index_lists_sitemaps_not_pages() -> None:
    xml = f"""<sitemapindex {NS}><sitemap><loc>https://site.example/s1.xml</loc></sitemap>
              <sitemap><loc>https://site.example/s2.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>
              </sitemapindex>"""
    listed = parse_sitemap(xml.encode(), BASE, 10_000)
    assert listed.sitemaps == ("https://site.example/s1.xml", "https://site.example/s2.xml.gz")
    assert listed.pages == ()


def test_gzip_sitemap_is_read_and_a_gzip_bomb_stops_at_the_limit() -> None:
    xml = f"<urlset {NS}><url><loc>https://site.example/a</loc></url></urlset>".encode()
    assert parse_sitemap(gzip.compress(xml), BASE, 10_000).pages == ("https://site.example/a",)
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(ListingError, match="inflates past the 100,000-byte limit"):
        parse_sitemap(bomb, BASE, 100_000)
    with pytest.raises(ListingError, match="corrupt gzip"):
        gunzip(b"\x1f\x8b" + b"garbage" * 10, 10_000)


def test_text_sitemap_is_one_url_per_line() -> None:
    text = b"https://site.example/a\n\n  https://site.example/b  \nnot a url\n"
    assert parse_sitemap(text, BASE, 10_000).pages == ("https://site.example/a", "https://site.example/b")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<!doctype html><html><body>Not found</body></html>", "not a sitemap: an HTML page"),
        (b'<rss version="2.0"><channel></channel></rss>', "not a sitemap: the document is <rss>"),
        (b"hello there", "not a sitemap: neither XML nor a list of URLs"),
        (b"<<<>>>", "not a sitemap"),
    ],
)
def test_what_is_not_a_sitemap_says_so_in_one_line(content: bytes, reason: str) -> None:
    with pytest.raises(ListingError, match=reason) as raised:
        parse_sitemap(content, BASE, 10_000)
    assert "\n" not in str(raised.value)


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t", encoding="utf-8")
    xml = f"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "{secret.as_uri()}">]>
    <urlset {NS}><url><loc>https://site.example/&x;</loc></url><url><loc>https://site.example/ok</loc></url></urlset>"""
    pages = parse_sitemap(xml.encode(), BASE, 10_000).pages
    assert "https://site.example/ok" in pages
    assert not any("s3cr3t" in page for page in pages)


def test_robots_txt_names_its_sitemaps() -> None:
    robots = b"User-agent: *\nDisallow: /private/\nSitemap: https://site.example/index.xml\nsitemap: /news.xml\n"
    assert robots_sitemaps(robots, "https://site.example/robots.txt") == [
        "https://site.example/index.xml",
        "https://site.example/news.xml",
    ]


# -- feeds ------------------------------------------------------------------------------------------


def test_rss_items_give_their_links_or_permalink_guids() -> None:
    rss = """<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://site.example/</link>
      <item><title>One</title><link><![CDATA[https://site.example/q/1]]></link></item>
      <item><title>Two</title><guid isPermaLink="true">https://site.example/q/2</guid></item>
      <item><title>Three</title><guid isPermaLink="false">tag:site.example,2024:3</guid></item>
      <item><title>Four</title><link>/q/4</link></item>
    </channel></rss>"""
    assert parse_feed(rss.encode(), "https://site.example/feed.xml") == [
        "https://site.example/q/1",
        "https://site.example/q/2",
        "https://site.example/q/4",
    ]


def test_rss_1_rdf_items() -> None:
    rdf = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel rdf:about="https://site.example/"><link>https://site.example/</link></channel>
      <item rdf:about="https://site.example/q/1"><title>One</title><link>https://site.example/q/1</link></item>
      <item rdf:about="https://site.example/q/2"><title>Two</title></item></rdf:RDF>"""
    assert parse_feed(rdf.encode(), "https://site.example/rss") == [
        "https://site.example/q/1",
        "https://site.example/q/2",
    ]


def test_atom_entries_take_the_alternate_link_relative_to_xml_base() -> None:
    atom = """<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://site.example/blog/">
      <link rel="self" href="https://site.example/atom.xml"/>
      <entry><link rel="replies" href="comments/1"/><link href="posts/1"/></entry>
      <entry xml:base="/other/"><link rel="alternate" type="text/html" href="posts/2"/></entry>
      <entry><link rel="edit" href="/edit/3"/></entry></feed>"""
    assert parse_feed(atom.encode(), "https://site.example/atom.xml") == [
        "https://site.example/blog/posts/1",
        "https://site.example/other/posts/2",
    ]


def test_json_feed_items_and_what_is_not_a_feed() -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "https://site.example/q/1"},
            {"external_url": "https://other.example/a"}, {"id": "3"}, "junk"]}  # fmt: skip
    assert parse_feed(json.dumps(feed).encode(), "https://site.example/feed.json") == [
        "https://site.example/q/1",
        "https://other.example/a",
    ]
    with pytest.raises(ListingError, match="not a feed: a JSON document without an 'items' list"):
        parse_feed(b'{"title": "x"}', "https://site.example/feed.json")
    with pytest.raises(ListingError, match="not a feed: the document is <urlset>"):
        parse_feed(f"<urlset {NS}/>".encode(), "https://site.example/feed.xml")
    with pytest.raises(ListingError, match="not a feed: an HTML page"):
        parse_feed(b"<html><body>Feed moved</body></html>", "https://site.example/feed.xml")


# -- links of documents -----------------------------------------------------------------------------


def test_html_links_resolve_against_base_and_keep_pagination_but_not_assets() -> None:
    html = b"""<html><head><base href="https://site.example/docs/">
      <link rel="stylesheet" href="/style.css"><link rel="next" href="?page=2"><link rel="alternate" href="/feed.xml">
      </head><body><a href="intro">Intro</a> <a href="/faq#q1">FAQ</a> <a href="/faq#q2">FAQ again</a>
      <a href="javascript:void(0)">no</a> <a href="mailto:x@y.z">mail</a> <a>no href</a>
      <a href="https://other.example/x">other</a> <area href="/map"></body></html>"""
    assert html_links(html, "https://site.example/start") == [
        "https://site.example/docs/?page=2",
        "https://site.example/docs/intro",
        "https://site.example/faq",
        "https://other.example/x",
        "https://site.example/map",
    ]


def test_markdown_readme_links_autolinks_bare_urls_and_inline_html() -> None:
    readme = """# Awesome interview questions

- [Python questions](https://blog.example/python-questions) - a classic.
- [SQL](./sql.md) and [ref style][ml].
- <https://auto.example/link>
- Bare: https://bare.example/q?x=1. (see https://paren.example/a)
- <a href="https://html.example/page">inline html</a>
- [Wikipedia](https://en.wikipedia.org/wiki/Bias_(statistics))

[ml]: https://ml.example/questions
"""
    links = document_links(raw(readme, "text/markdown", "https://github.example/o/r/README.md"))
    assert links == [
        "https://blog.example/python-questions",
        "https://github.example/o/r/sql.md",
        "https://ml.example/questions",
        "https://auto.example/link",
        "https://html.example/page",
        "https://en.wikipedia.org/wiki/Bias_(statistics)",
        "https://bare.example/q?x=1",
        "https://paren.example/a",
    ]


def test_plain_text_gives_its_bare_urls_and_a_pdf_none() -> None:
    text = "Read https://a.example/one, then https://b.example/two!\nhttp://c.example/three"
    assert document_links(raw(text, "text/plain")) == [
        "https://a.example/one",
        "https://b.example/two",
        "http://c.example/three",
    ]
    assert document_links(raw(b"%PDF-1.7 https://x.example/", "application/pdf")) == []


def test_relative_links_of_a_local_readme() -> None:
    readme = "[one](docs/one.md) [two](two.md#part) [web](https://x.example/) [top](#top) [mail](mailto:a@b.c)"
    assert relative_links(raw(readme, "text/markdown", "/tmp/README.md")) == ["docs/one.md", "two.md"]
