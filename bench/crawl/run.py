"""Crawl benchmark: a focused crawl of a generated site over loopback, pages per second and what was skipped.

    .venv/bin/python -m bench.crawl.run                    # 200 pages, no per-host delay: the machinery's speed
    .venv/bin/python -m bench.crawl.run --delay 0.5        # the polite default (bounded at 1/delay pages/s)
    .venv/bin/python -m bench.crawl.run --ingest           # plus the real `ingest` flow on it, then a re-run

The site (bench/crawl/site.py) has 300 articles behind a 20-page listing, a page of 10,000 links, a part
robots.txt disallows and a link to another host. Phases:
    discover   the discover stage alone (qbank.discover.discover with a Fetcher): every page fetched, its links
               read; pages/s = pages read / wall time
    ingest     (--ingest) the `ingest` flow with --crawl on a fresh warehouse: discover, then extract, split,
               classify, dedupe, tag, load; pages/s over the whole run (the temporary Prefect server's start
               is measured apart, by a first trivial run)
    re-run     (--ingest) the same flow again: every page answers a conditional GET with 304
    listed     (--ingest) the same pages named in a --from list on a fresh warehouse, no discovery: what the
               crawl costs over ingesting a list of URLs the user already had
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from bench.crawl.site import Site, serve_site  # noqa: E402
from qbank.discover import SKIP_REASONS, discover  # noqa: E402
from qbank.fetch import Fetcher  # noqa: E402
from qbank.records import DiscoverRequest, DiscoveryReport  # noqa: E402
from qbank.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200, help="--max-pages of the crawl (default 200)")
    parser.add_argument("--depth", type=int, default=2, help="--depth of the crawl (default 2)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between requests to the host (default 0)")
    parser.add_argument("--ingest", action="store_true", help="also run the ingest flow on the crawl, twice")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qbank-crawl-bench-") as tmp, \
            serve_site(articles=300, big=10_000, per_page=15, hub_pages=20) as site:  # fmt: skip
        settings = Settings(warehouse=Path(tmp) / "wh.duckdb", raw_dir=Path(tmp) / "raw")
        fetch = settings.fetch.model_copy(update={"per_host_delay": args.delay})
        settings = settings.model_copy(update={"fetch": fetch})
        request = DiscoverRequest(crawls=(site.url("/interview-questions/"),), depth=args.depth, max_pages=args.pages)
        print(f"crawl of {site.url('/interview-questions/')}: depth {args.depth}, max-pages {args.pages}, "
              f"per-host delay {args.delay:g}s, {settings.fetch.per_host_concurrency} connections per host, "
              f"{settings.fetch.concurrency} threads")  # fmt: skip

        with Fetcher(settings.fetch) as fetcher:
            started = time.perf_counter()
            found = discover(request, [], settings, {}, fetcher)
            seconds = time.perf_counter() - started
        report = found.report
        rate = report.pages_read / seconds
        print(f"discover   {report.pages_read} pages read in {seconds:.2f}s = {rate:.1f} pages/s")
        _print_report(report, site)

        if args.ingest:
            _ingest(site, request, settings, args.delay, [s.uri for s in found.sources])


def _print_report(report: DiscoveryReport, site: Site) -> None:
    print(f"           {report.found:,} URLs found, {report.handed_on:,} handed on to ingest")
    for reason, n in report.skipped:
        example = next(url for r, url in report.examples if r == reason)
        print(f"           skipped {n:>6,}  {SKIP_REASONS[reason]}  (e.g. {example.removeprefix(site.base)})")
    requests = Counter(r.path for r in site.requests())
    repeated = sum(1 for n in requests.values() if n > 1)
    disallowed = sum(n for path, n in requests.items() if path.startswith("/private/"))
    assert site.other_site is not None
    print(f"           the site saw {sum(requests.values())} requests ({requests['/robots.txt']} for robots.txt), "
          f"{repeated} pages asked twice, {disallowed} disallowed pages asked, "
          f"{len(site.other_site.requests())} requests to the other host")  # fmt: skip


def _ingest(site: Site, request: DiscoverRequest, settings: Settings, delay: float, pages: list[str]) -> None:
    os.environ["QBANK_RAW_DIR"] = str(settings.raw_dir)
    os.environ["QBANK_DISCOVER__PER_HOST_DELAY"] = str(delay)
    os.environ["QBANK_FETCH__PER_HOST_DELAY"] = str(delay)
    from flows.ingest import ingest  # imported late: Prefect reads its settings at import

    started = time.perf_counter()
    ingest([], warehouse=str(Path(settings.warehouse).with_name("start.duckdb")))  # the server's start, apart
    print(f"start-up   temporary Prefect server and an empty run: {time.perf_counter() - started:.1f}s")
    listed = Path(settings.warehouse).with_name("pages.txt")
    listed.write_text("\n".join(pages) + "\n", encoding="utf-8")
    for phase in ("ingest", "re-run", "listed"):
        site.clear()
        started = time.perf_counter()
        if phase == "listed":
            summary = ingest([], [str(listed)], warehouse=str(Path(settings.warehouse).with_name("listed.duckdb")))
        else:
            summary = ingest([], warehouse=str(settings.warehouse), discovery=request)
        seconds = time.perf_counter() - started
        statuses = Counter(s.status for s in summary.sources)
        codes = Counter(r.status for r in site.requests() if r.path != "/robots.txt")
        discovering = f" ({summary.discovery.seconds:.1f}s discovering)" if summary.discovery else ""
        print(f"{phase:<10} {len(summary.sources)} sources in {seconds:.1f}s = {len(summary.sources) / seconds:.1f} "
              f"pages/s end to end{discovering}; {dict(statuses)}; +{summary.questions_added} questions, "
              f"{summary.questions_total} in the warehouse; HTTP answers {dict(sorted(codes.items()))}")  # fmt: skip


if __name__ == "__main__":
    main()
