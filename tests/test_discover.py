"""The discover stage on a generated site served on 127.0.0.1 (bench/crawl/site.py), through a real Fetcher.

Each test checks what a user relies on: which pages become sources (once each), how each was found, which
requests the site saw (robots.txt obeyed, nothing off-host, caps held), and that the summary's counts add up.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.crawl.site import Site, serve_site
from qbank import pipeline
from qbank.discover import discover, merge, settings_for, with_origins
from qbank.fetch import Fetcher
from qbank.records import (
    DiscoveredSource,
    Discovery,
    DiscoverRequest,
    Failure,
    KnownSource,
    NotModified,
    RawDocument,
)
from qbank.report import render_discovery
from qbank.settings import FetchSettings, Settings

FAST = FetchSettings(connect_timeout=2.0, read_timeout=2.0, retries=0, max_seconds=5.0, concurrency=4)


@pytest.fixture(scope="module")
def served() -> Iterator[Site]:
    with serve_site(articles=12, big=10_000) as site:
        yield site


@pytest.fixture
def site(served: Site) -> Site:
    served.clear()
    assert served.other_site is not None
    served.other_site.clear()
    served.slow = 0.0
    return served


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw")


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FAST) as f:
        yield f


def run(site: Site, settings: Settings, fetcher: Fetcher, known: dict[str, KnownSource] | None = None,
        given: tuple[str, ...] = (), **request: object) -> Discovery:  # fmt: skip
    found = discover(DiscoverRequest(**request), list(given), settings, known or {}, fetcher)
    report = found.report
    assert report.found == report.handed_on + sum(n for _, n in report.skipped), report  # every URL has one fate
    return found


def paths(site: Site, sources: tuple[DiscoveredSource, ...] | list[str]) -> list[str]:
    return [(s if isinstance(s, str) else s.uri).removeprefix(site.base) for s in sources]


def requested(site: Site) -> Counter[str]:
    return Counter(r.path for r in site.requests())


def skipped(found: Discovery) -> dict[str, int]:
    return dict(found.report.skipped)


# -- the fetcher's part -----------------------------------------------------------------------------


def test_fetch_listing_reads_xml_and_gzip_that_fetch_refuses_and_obeys_robots(site: Site, fetcher: Fetcher) -> None:
    refused = fetcher.fetch(site.url("/sitemap_index.xml"))
    assert isinstance(refused, Failure) and refused.reason.startswith("unsupported content type application/xml")
    listing = fetcher.fetch_listing(site.url("/sitemap_index.xml"))
    assert isinstance(listing, RawDocument) and b"<sitemapindex" in listing.content
    gz = fetcher.fetch_listing(site.url("/sitemaps/more.xml.gz"))
    assert isinstance(gz, RawDocument) and gz.content[:2] == b"\x1f\x8b"
    private = fetcher.fetch_listing(site.url("/private/sitemap.xml"))
    assert isinstance(private, Failure) and (private.status, private.reason) == ("skipped", "disallowed by robots.txt")
    assert fetcher.robots_refusal(site.url("/private/a")).reason == "disallowed by robots.txt"
    assert fetcher.robots_refusal(site.url("/questions/1")) is None
    assert "/private/sitemap.xml" not in requested(site)
    assert requested(site)["/robots.txt"] == 1  # read once, kept for the Fetcher's life


# -- sitemaps and feeds -----------------------------------------------------------------------------


def test_sitemap_index_with_a_gzip_sitemap_and_a_missing_one(site: Site, settings: Settings, fetcher: Fetcher) -> None:
    found = run(site, settings, fetcher, sitemaps=(site.url("/sitemap_index.xml"),), match="/questions/|/private/")

    pages = [s for s in found.sources if s.fetched is None]
    assert paths(site, pages) == site.article_paths()  # in sitemap order, each once
    assert {s.found_by for s in pages} == {"sitemap"}
    assert {paths(site, [s.found_from])[0] for s in pages} == {"/sitemaps/articles.xml", "/sitemaps/more.xml.gz"}
    [missing] = [s for s in found.sources if s.fetched is not None]
    assert paths(site, [missing.uri, missing.found_from]) == ["/sitemaps/missing.xml", "/sitemap_index.xml"]
    assert (missing.fetched.stage, missing.fetched.reason) == ("discover", "sitemap: HTTP 404 Not Found")

    report = found.report
    # 12 articles, /about and /tags/python (not matching), /private/notes (matching, but robots.txt says no)
    assert (report.found, report.kept, report.handed_on) == (15, 13, 12)
    assert skipped(found) == {"no_match": 2, "robots": 1}
    assert report.pages_read == 4  # the index and its three sitemaps: no page is fetched by discovery
    assert set(requested(site)) == {"/robots.txt", "/sitemap_index.xml", "/sitemaps/articles.xml",
                                    "/sitemaps/more.xml.gz", "/sitemaps/missing.xml"}  # fmt: skip


def test_a_sitemap_loop_reads_each_file_once_and_max_sitemaps_caps_the_files(
    site: Site, settings: Settings, fetcher: Fetcher
) -> None:
    found = run(site, settings, fetcher, sitemaps=(site.url("/sitemaps/loop.xml"),))
    assert found.report.pages_read == 5 and found.report.handed_on == 14
    assert {path: n for path, n in requested(site).items() if n != 1} == {}

    site.clear()
    capped = settings.model_copy(update={"discover": settings.discover.model_copy(update={"max_sitemaps": 2})})
    found = run(site, capped, fetcher, sitemaps=(site.url("/sitemap_index.xml"),))
    assert found.report.pages_read == 2 and found.report.sitemaps_skipped == 2  # more.xml.gz and missing.xml
    assert paths(site, found.sources) == [*site.article_paths()[:6], "/about"]
    assert "2 sitemap files of an index not read" in "\n".join(render_discovery(found.report))


def test_robots_txt_names_the_sitemaps_and_max_pages_caps_each_start(
    site: Site, settings: Settings, fetcher: Fetcher
) -> None:
    found = run(site, settings, fetcher, sitemaps=(site.url("/robots.txt"),), max_pages=5)
    assert paths(site, [s for s in found.sources if s.fetched is None]) == site.article_paths()[:5]
    report = found.report
    assert (report.found, report.handed_on) == (15, 5)
    # robots.txt is asked only while the budget lasts: a sitemap listing pages on a thousand hosts over the
    # budget must not cost a thousand robots.txt requests
    assert skipped(found) == {"max_pages": 10}


def test_rss_and_atom_feeds_and_a_url_in_both_is_handed_on_once(
    site: Site, settings: Settings, fetcher: Fetcher
) -> None:
    lines: list[str] = []
    request = DiscoverRequest(feeds=(site.url("/feed.xml"), site.url("/atom.xml"), site.url("/sitemap_index.xml")))
    found = discover(request, [], settings, {}, fetcher, lines.append)
    by_path = {p: s for p, s in zip(paths(site, found.sources), found.sources, strict=True)}
    assert list(by_path) == [*site.article_paths()[:5], "/blog/hello", "/questions/10", "/questions/11",
                             "/questions/12", "/sitemap_index.xml"]  # fmt: skip
    assert paths(site, [by_path["/questions/1"].found_from, by_path["/questions/11"].found_from]) == [
        "/feed.xml",
        "/atom.xml",
    ]
    wrong = by_path["/sitemap_index.xml"].fetched
    assert isinstance(wrong, Failure)
    assert wrong.reason == "feed: not a feed: the document is <sitemapindex>, not RSS or Atom"
    assert found.report.found == 9 and found.report.handed_on == 9
    assert lines[0].endswith("/feed.xml: 6 entries; 6 to ingest")

    again = run(site, settings, fetcher, feeds=(site.url("/feed.xml"),), sitemaps=(site.url("/sitemaps/articles.xml"),))
    assert Counter(s.uri for s in again.sources).most_common(1)[0][1] == 1
    assert again.report.found == 9  # 6 articles, /about, /private/notes in the sitemap; /blog/hello in the feed


# -- the crawl --------------------------------------------------------------------------------------


def test_crawl_reads_each_page_once_through_pagination_and_loops_obeying_robots_and_the_host(
    site: Site, settings: Settings, fetcher: Fetcher
) -> None:
    start = site.url("/interview-questions/")
    found = run(site, settings, fetcher, crawls=(start,), depth=3, match="questions|private|elsewhere")

    hubs = ["/interview-questions/", "/interview-questions/?page=2", "/interview-questions/?page=3"]
    read = paths(site, found.sources)
    assert sorted(read) == sorted([*hubs, *site.article_paths()[:9]])  # /questions/10 is 4 links away
    assert all(isinstance(s.fetched, RawDocument) for s in found.sources)  # read once, handed on with its bytes
    assert found.sources[0].found_by == "crawl" and found.sources[0].found_from is None
    assert {s.found_by for s in found.sources[1:]} == {"crawl"}
    assert paths(site, [found.sources[read.index("/questions/8")].found_from]) == ["/interview-questions/?page=3"]

    seen = requested(site)
    assert {path: n for path, n in seen.items() if n != 1} == {}  # every page asked for once: the loops end
    assert set(seen) == {"/robots.txt", *read}  # nothing disallowed, off-host, beyond --depth or unmatched
    assert site.other_site.requests() == []
    assert skipped(found) == {"no_match": 2, "robots": 1, "off_host": 1, "depth": 1}  # /big and logo.png
    assert (found.report.found, found.report.handed_on) == (16, 11)


def test_a_sitemap_takes_the_pages_a_crawl_left_beyond_its_depth(
    site: Site, settings: Settings, fetcher: Fetcher
) -> None:
    found = run(site, settings, fetcher, crawls=(site.url("/interview-questions/"),), depth=1,
                sitemaps=(site.url("/sitemap_index.xml"),), match="questions")  # fmt: skip
    by_path = dict(zip(paths(site, found.sources), found.sources, strict=True))
    assert [by_path[f"/questions/{k}"].found_by for k in range(1, 13)] == ["crawl"] * 3 + ["sitemap"] * 9
    assert by_path["/questions/3"].fetched is not None and by_path["/questions/4"].fetched is None
    # found once each: 12 by the crawl (4 read, 4 not matching, 4 beyond depth 1), 9 more in the sitemaps
    assert (found.report.found, found.report.handed_on) == (21, 13)
    assert skipped(found) == {"no_match": 7, "depth": 1}  # only ?page=3 is still beyond the crawl's depth
    assert found.report.examples == (("no_match", site.url("/private/draft")), ("no_match", site.url("/big")),
                                     ("no_match", site.other + "/elsewhere"),
                                     ("depth", site.url("/interview-questions/?page=3")))  # fmt: skip


def test_a_page_linking_to_10000_pages_is_capped_by_max_pages(site: Site, settings: Settings, fetcher: Fetcher) -> None:
    started = time.monotonic()
    found = run(site, settings, fetcher, crawls=(site.url("/big"),), depth=1, max_pages=50)
    assert len(found.sources) == 50 and found.report.pages_read == 50
    assert paths(site, found.sources) == ["/big", *(f"/big/{i}" for i in range(49))]  # in page order
    assert (found.report.found, skipped(found)) == (10_000, {"max_pages": 10_000 - 49})
    assert len([r for r in site.requests() if r.path != "/robots.txt"]) == 50
    assert time.monotonic() - started < 30  # generous: the shared machine may be busy


def test_the_urls_remembered_are_capped_too(site: Site, settings: Settings, fetcher: Fetcher) -> None:
    capped = settings.model_copy(update={"discover": settings.discover.model_copy(update={"max_urls": 100})})
    found = run(site, capped, fetcher, crawls=(site.url("/big"),), depth=1, max_pages=10)
    assert found.report.found == 10_000
    assert skipped(found) == {"max_pages": 100 - 9, "max_urls": 10_000 - 100}  # 100 remembered, 9 of them read


def test_the_time_limit_ends_a_crawl_and_says_what_it_left(site: Site, settings: Settings, fetcher: Fetcher) -> None:
    site.slow = 0.1  # each page takes a tenth of a second: at most ~20 pages a second over two connections
    started = time.monotonic()
    found = run(site, settings, fetcher, crawls=(site.url("/big"),), depth=1, max_pages=500, max_seconds=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 2 * 0.1 + 2.0  # the deadline, the fetches in flight, slack for a busy machine
    left = skipped(found)
    assert left["time_limit"] > 0 and left["max_pages"] == 10_000 - 499
    assert 1 < found.report.pages_read < 100
    assert len(found.sources) + left["time_limit"] == 500  # pages read, or left for lack of time
    assert "not reached within the time limit (max_seconds) (1s)" in "\n".join(render_discovery(found.report))


def test_the_per_host_delay_spaces_the_requests(site: Site, settings: Settings) -> None:
    polite = settings_for(settings.model_copy(update={"fetch": FAST}), DiscoverRequest(crawls=("http://x/",)))
    assert polite.fetch.per_host_delay == settings.discover.per_host_delay == 0.5
    spaced = FAST.model_copy(update={"per_host_delay": 0.1})
    with Fetcher(spaced) as fetcher:
        run(site, settings, fetcher, crawls=(site.url("/big"),), depth=1, max_pages=6)
    starts = sorted(r.at for r in site.requests() if r.path.startswith("/big"))
    assert len(starts) == 6
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.09


# -- re-runs and --follow-links ---------------------------------------------------------------------


def test_a_rerun_asks_only_conditional_gets_and_follows_links_from_the_raw_copies(
    site: Site, settings: Settings, fetcher: Fetcher
) -> None:
    start = site.url("/interview-questions/")
    first = run(site, settings, fetcher, crawls=(start,), depth=3, match="questions")
    results = [pipeline.process_source(s.uri, settings, None, s.fetched) for s in first.sources]  # stores raw
    assert sum(len(r.items) for r in results) == 18  # nine articles of two questions
    known = {r.source_uri: KnownSource(r.source_uri, r.raw.sha256, r.raw.etag, r.raw.last_modified) for r in results}

    site.clear()
    second = run(site, settings, fetcher, known=known, crawls=(start,), depth=3, match="questions")
    assert [s.uri for s in second.sources] == [s.uri for s in first.sources]
    assert all(isinstance(s.fetched, NotModified) for s in second.sources)
    pages = [r for r in site.requests() if r.path != "/robots.txt"]
    assert len(pages) == 12 and all(r.conditional and r.status == 304 for r in pages)
    assert second.report.not_modified == 12 and second.report.found == first.report.found
    again = [pipeline.process_source(s.uri, settings, known[s.uri], s.fetched) for s in second.sources]
    assert all(r.unchanged for r in again) and len(site.requests()) == len(pages)  # nothing fetched twice

    (settings.raw_dir / known[start].sha256[:2] / known[start].sha256).unlink()  # a raw copy gone
    site.clear()
    third = run(site, settings, fetcher, known=known, crawls=(start,), depth=3, match="questions")
    assert [s.uri for s in third.sources] == [s.uri for s in first.sources]
    assert [(r.path, r.status) for r in site.requests() if r.status == 200] == [("/interview-questions/", 200)]


def test_follow_links_hands_on_what_a_readme_links_to(site: Site, settings: Settings, fetcher: Fetcher) -> None:
    readme = site.url("/awesome/README.md")
    found = run(site, settings, fetcher, given=(readme,), follow_links=True)
    assert paths(site, found.sources)[0] == "/awesome/README.md"
    assert found.sources[0].found_by == "given" and isinstance(found.sources[0].fetched, RawDocument)
    links = found.sources[1:]
    assert [s.uri.removeprefix(site.base).removeprefix(site.other) for s in links] == [
        "/questions/1", "/questions/2", "/elsewhere", "/awesome/CONTRIBUTING.md"
    ]  # fmt: skip
    assert {(s.found_by, s.found_from, s.fetched) for s in links} == {("link", readme, None)}
    assert skipped(found) == {"not_a_page": 1, "robots": 1}  # the logo; /private/drafts
    assert requested(site) == Counter({"/robots.txt": 1, "/awesome/README.md": 1})  # one level: links not read

    uris, by_uri = merge([readme], found)
    assert uris == [s.uri for s in found.sources]
    marked = with_origins([pipeline.process_source(u, settings, None, by_uri[u].fetched) for u in uris[:2]], by_uri)
    assert [(r.found_by, r.found_from) for r in marked] == [("given", None), ("link", readme)]
    assert requested(site)["/awesome/README.md"] == 1  # the README was not fetched a second time


def test_follow_links_of_a_local_readme_takes_urls_and_the_files_beside_it(
    site: Site, settings: Settings, fetcher: Fetcher, tmp_path: Path
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "sql.md").write_text("# SQL\n\n1. What is a join?\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(f"- [SQL](docs/sql.md)\n- [Gone](docs/gone.md)\n- [Q1]({site.url('/questions/1')})\n"
                      f"- [Image](docs/diagram.png)\n", encoding="utf-8")  # fmt: skip
    found = run(site, settings, fetcher, given=(str(readme),), follow_links=True, match="sql|questions")
    assert [s.uri for s in found.sources] == [str(readme), site.url("/questions/1"), str(tmp_path / "docs" / "sql.md")]
    assert found.report.handed_on == 2
