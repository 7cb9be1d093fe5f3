"""`qbank ingest --crawl/--sitemap/--feed` through the real Prefect flow, on the generated loopback site.

The right pages are ingested once each (a crawled page is not downloaded again by its process task), the
warehouse says how each source was found, a re-run only asks conditional GETs of the pages, and the summary's
counts are the ones the stage reported. With the Dask runner the bank is the same.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from bench.crawl.site import Site, serve_site
from qbank.records import DiscoverRequest
from qbank.report import render_summary

pytestmark = pytest.mark.slow


def _request(site: Site) -> DiscoverRequest:
    return DiscoverRequest(
        crawls=(site.url("/interview-questions/"),),
        sitemaps=(site.url("/sitemap_index.xml"),),
        feeds=(site.url("/feed.xml"),),
        match="questions",
        depth=1,
    )


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _pages(site: Site) -> list:
    listings = ("/robots.txt", "/sitemap_index.xml", "/sitemaps/", "/feed.xml")
    return [r for r in site.requests() if not r.path.startswith(listings)]


def test_crawl_sitemap_and_feed_ingest_each_page_once_and_a_rerun_fetches_nothing_new(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.ingest import ingest

    monkeypatch.setenv("QBANK_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("QBANK_DISCOVER__PER_HOST_DELAY", "0")  # the delay has its own test; keep this one quick
    db = tmp_path / "wh.duckdb"
    with serve_site(articles=12, big=10_000) as site:
        summary = ingest([], warehouse=str(db), discovery=_request(site))

        status = {s.source_uri.removeprefix(site.base): s for s in summary.sources}
        assert sorted(status) == sorted([*site.article_paths(), "/interview-questions/",
                                         "/interview-questions/?page=2", "/sitemaps/missing.xml"])  # fmt: skip
        assert {status[p].status for p in site.article_paths()} == {"ok"}
        assert sum(status[p].added for p in site.article_paths()) == 24  # two questions per article
        assert status["/sitemaps/missing.xml"].status == "failed"
        assert status["/sitemaps/missing.xml"].reason == "sitemap: HTTP 404 Not Found"
        pages = Counter(r.path for r in _pages(site))
        assert pages == Counter({path: 1 for path in status if path != "/sitemaps/missing.xml"})  # once each

        report = summary.discovery
        assert report is not None
        assert report.handed_on == 13 and dict(report.skipped) == {"no_match": 8, "depth": 1}
        assert report.found == report.handed_on + 9
        text = render_summary(summary)
        kept = report.found - 8
        assert f"discovery: {report.found} URLs found, {kept} kept by --match 'questions', 13 to ingest" in text
        assert "skipped: 8 not matching --match; 1 beyond --depth (1)" in text

        found = dict(_rows(db, "SELECT replace(source_uri, '" + site.base + "', ''), found_by || ' ' || "
                               "coalesce(replace(found_from, '" + site.base + "', ''), '-') FROM sources"))  # fmt: skip
        assert found["/interview-questions/"] == "crawl -"
        assert found["/questions/2"] == "crawl /interview-questions/"
        assert found["/questions/6"] == "sitemap /sitemaps/articles.xml"  # beyond the crawl's depth 1
        assert found["/questions/12"] == "sitemap /sitemaps/more.xml.gz"
        assert found["/sitemaps/missing.xml"] == "sitemap /sitemap_index.xml"

        site.clear()
        rerun = ingest([], warehouse=str(db), discovery=_request(site))
        assert {s.status for s in rerun.sources if s.source_uri != site.url("/sitemaps/missing.xml")} == {"unchanged"}
        assert rerun.questions_added == 0 and rerun.questions_total == 24
        again = _pages(site)
        assert len(again) == 14 and all(r.conditional and r.status == 304 for r in again)
        assert rerun.discovery.found == report.found and rerun.discovery.not_modified == 5  # the crawled pages


def test_dask_workers_get_the_crawled_pages_and_load_the_same_bank(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import ingest
    from qbank.runners import task_runner

    monkeypatch.setenv("QBANK_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("QBANK_DISCOVER__PER_HOST_DELAY", "0")
    sql = "SELECT source_uri, status, found_by, question_count FROM sources ORDER BY 1"
    with serve_site(articles=12, big=10_000) as site:
        crawl = DiscoverRequest(crawls=(site.url("/interview-questions/"),), match="questions", depth=3)
        on_threads = ingest([], warehouse=str(tmp_path / "threads.duckdb"), discovery=crawl)
        site.clear()
        on_dask = ingest.with_options(task_runner=task_runner("dask"))
        dask = on_dask([], warehouse=str(tmp_path / "dask.duckdb"), discovery=crawl)
        assert Counter(r.path for r in _pages(site)) == Counter({r.source_uri.removeprefix(site.base): 1
                                                                 for r in dask.sources})  # fmt: skip
    assert len(on_threads.sources) == 12 and on_threads.questions_added == 18
    assert _rows(tmp_path / "dask.duckdb", sql) == _rows(tmp_path / "threads.duckdb", sql)
    assert dask.questions_added == on_threads.questions_added
