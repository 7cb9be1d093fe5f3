"""`qbank ingest --sitemap/--feed/--crawl/--follow-links` as a user types it: help, usage errors, a real run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import duckdb
import pytest
from typer.testing import CliRunner

from bench.crawl.site import serve_site
from qbank.cli import app
from tests.conftest import REPO

runner = CliRunner()


def test_ingest_help_shows_the_discovery_options_with_examples() -> None:
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    for option in ("--sitemap", "--feed", "--crawl", "--follow-links", "--match", "--depth", "--max-pages",
                   "--max-time", "--allow-host"):  # fmt: skip
        assert option in result.output, option
    assert "qbank ingest --crawl https://site.example/interview-questions/ --depth 2 --max-pages 200" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--crawl", "site.example/questions"], "error: --crawl takes an http(s) URL, not 'site.example/questions'"),
        (["--sitemap", "ftp://site.example/s.xml"], "error: --sitemap takes an http(s) URL"),
        (["--feed", "https://site.example/f", "--match", "(unclosed"], "error: --match '(unclosed' is not a regular"),
        (["--sitemap", "https://site.example/s.xml", "--depth", "2"], "error: --depth applies to --crawl"),
        (["https://site.example/", "--allow-host", "cdn.example"], "error: --allow-host applies to --crawl"),
    ],
)
def test_discovery_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["ingest", *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message) and result.output.count("\n") == 1, result.output


def test_negative_depth_and_zero_pages_are_refused_by_the_option_parser() -> None:
    assert runner.invoke(app, ["ingest", "--crawl", "https://site.example/", "--depth", "-1"]).exit_code == 2
    assert runner.invoke(app, ["ingest", "--crawl", "https://site.example/", "--max-pages", "0"]).exit_code == 2


@pytest.mark.slow
def test_follow_links_of_a_readme_and_a_crawl_from_the_command_line(prefect_harness, tmp_path) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "QBANK_RAW_DIR": str(tmp_path / "raw"), "QBANK_DISCOVER__PER_HOST_DELAY": "0",
           "PREFECT_API_URL": str(PREFECT_API_URL.value())}  # the harness's server: no second one to start
    db = tmp_path / "wh.duckdb"
    with serve_site(articles=12, big=10_000) as site:
        readme = site.url("/awesome/README.md")
        result = subprocess.run(
            [sys.executable, "-m", "qbank", "ingest", readme, "--follow-links", "--crawl",
             site.url("/interview-questions/"), "--depth", "1", "--max-pages", "3", "--warehouse", str(db)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        requests = Counter(r.path for r in site.requests())

    # CONTRIBUTING.md and the page on the other host answer 404: the run loads, with those as failed sources
    assert result.returncode == 3, result.stderr + result.stdout
    assert "links of " + readme + ": 7 links; 2 to ingest, 4 found before, 1 disallowed by robots.txt" in result.stderr
    # the crawl: /questions/1 and 2 read (the start page is one of the 3), 4 links over the cap, the other host's
    # page (which the README's link then hands on) and the logo left; the README adds /private/drafts and
    # CONTRIBUTING.md
    assert "discovery: 10 URLs found, 4 to ingest; 4 documents read in" in result.stdout
    assert "skipped: 4 over --max-pages (3); 1 not a page (image, style, script, archive, media, feed); " \
           "1 disallowed by robots.txt" in result.stdout  # fmt: skip
    assert "e.g. disallowed by robots.txt: " + site.url("/private/drafts") in result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT source_uri, status, found_by, found_from FROM sources ORDER BY 1").fetchall()
    found = {u.removeprefix(site.base).removeprefix(site.other): (status, by, origin) for u, status, by, origin in rows}
    assert found == {
        "/awesome/README.md": ("ok", "given", None),
        "/awesome/CONTRIBUTING.md": ("failed", "link", readme),
        "/elsewhere": ("failed", "link", readme),
        "/interview-questions/": ("ok", "crawl", None),
        "/questions/1": ("ok", "crawl", site.url("/interview-questions/")),
        "/questions/2": ("ok", "crawl", site.url("/interview-questions/")),
    }
    assert requests["/awesome/README.md"] == 1 and requests["/questions/1"] == 1  # read once, not again to process
