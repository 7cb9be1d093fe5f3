"""Discover sources to ingest: sitemaps, feeds, a focused crawl, and the links of given sources.

    discover(request, given, settings, known, fetcher) -> Discovery

The stage before `process_source` (the `discover` task of flows/ingest.py). It turns what the user asked
for (`qbank ingest --sitemap URL`, `--feed URL`, `--crawl URL`, `--follow-links`) into sources, each with
how it was found (`sitemap`, `feed`, `crawl`, `link`; `given` for a source the user named) and where.

Every request goes through the run's `Fetcher`: robots.txt (a URL it disallows is never asked for), the
per-host limit and delay, retries, the size and time limits. Pages the crawl reads (and sources whose links
are followed) are handed on with their fetch result, so `process_source` does not download them again;
on a re-run the fetch is a conditional GET, and a page answered 304 Not Modified gives its links from its
raw copy (raw/<sha[:2]>/<sha>). Sitemap and feed entries are handed on as URLs: their pages are fetched by
`process_source` as usual (in Dask workers with `--runner dask`).

Hard caps make it end: `depth` (links followed from a crawl's start page), `max_pages` (pages per sitemap,
feed, crawl or followed source), `max_seconds` (the whole stage), `max_sitemaps`, `max_urls`. Every URL
found (the ones the user named not counted) ends one way: handed on, or skipped for one of
`SKIP_REASONS`, so the report's counts add up.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from extractors.detect import sniff_media_type
from qbank import interrupt
from qbank.fetch import Fetcher, FetchResult, detect_charset
from qbank.links import ListingError, document_links, parse_feed, parse_sitemap, relative_links, robots_sitemaps
from qbank.records import (
    DiscoveredSource,
    Discovery,
    DiscoveryReport,
    DiscoverRequest,
    Failure,
    FoundBy,
    KnownSource,
    NotModified,
    RawDocument,
    SourceResult,
)
from qbank.settings import Settings
from qbank.sources import SOURCE_EXTENSIONS, normalize_url

# Why a URL found was not handed on, in the words of the run summary.
SKIP_REASONS = {
    "no_match": "not matching --match",
    "not_a_page": "not a page (image, style, script, archive, media, feed)",
    "off_host": "on another host than the crawl's start page",
    "robots": "disallowed by robots.txt",
    "depth": "beyond --depth",
    "max_pages": "over --max-pages",
    "time_limit": "not reached within the time limit (max_seconds)",
    "max_urls": "over the cap on URLs remembered (discover.max_urls)",
}
# Extensions of links that are never articles: not worth a request.
_NOT_PAGES = frozenset(
    ".png .jpg .jpeg .gif .svg .webp .ico .bmp .tif .tiff .avif .css .js .mjs .map .json .xml .rss .atom .zip "
    ".gz .tgz .bz2 .xz .tar .rar .7z .exe .dmg .pkg .deb .rpm .msi .apk .iso .bin .mp3 .mp4 .m4a .wav .ogg .webm "
    ".avi .mov .mkv .flv .woff .woff2 .ttf .otf .eot .csv .xls .xlsx .ppt .pptx .doc .docx".split()
)
_EXAMPLES_PER_REASON = 3
# Reasons that belong to one sitemap, feed or crawl: another one may still take a URL an earlier one left
# (a page beyond one crawl's depth that a sitemap lists). The others hold for the whole run.
_PER_START = frozenset({"off_host", "depth", "max_pages", "time_limit"})
_HANDED_ON, _QUEUED = "handed_on", "queued"
_STARTS = itertools.count()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def settings_for(settings: Settings, request: DiscoverRequest) -> Settings:
    """The run's settings when it discovers: a crawl or a sitemap asks one site for many pages, so the
    fetcher waits at least `discover.per_host_delay` between requests to one host (robots.txt Crawl-delay
    still wins when larger). Unchanged when nothing is discovered."""
    if not request or settings.fetch.per_host_delay >= settings.discover.per_host_delay:
        return settings
    fetch = settings.fetch.model_copy(update={"per_host_delay": settings.discover.per_host_delay})
    return settings.model_copy(update={"fetch": fetch})


def discover(
    request: DiscoverRequest,
    given: Sequence[str],
    settings: Settings,
    known: dict[str, KnownSource],
    fetcher: Fetcher,
    progress: Callable[[str], None] | None = None,
) -> Discovery:
    """Find the sources the request asks for.

    Args:
        request: sitemaps, feeds, crawl start pages, --follow-links, the pattern and the limits.
        given: the sources the user named (already listed by `expand_sources`): never counted as found;
            with `follow_links`, read here and handed on with their fetch result.
        settings: `discover` holds the caps; `raw_dir` the raw copies of pages answered 304.
        known: what the warehouse remembers of each source, for conditional GETs.
        fetcher: the run's fetcher; every request goes through it.
        progress: called with one line per sitemap, feed, crawl and followed source when it is done.

    Returns:
        The sources in the order found (crawl start pages and followed sources included, with their fetch
        result; a sitemap or feed that cannot be read as a source with its failure), and the report.
    """
    starts = {how: [normalize_url(url) or url for url in urls] for how, urls in
              (("sitemap", request.sitemaps), ("feed", request.feeds), ("crawl", request.crawls))}  # fmt: skip
    request = replace(request, sitemaps=tuple(starts["sitemap"]), feeds=tuple(starts["feed"]),
                      crawls=tuple(starts["crawl"]))  # fmt: skip
    run = _Run(request, given, settings, known, fetcher, progress or (lambda line: None))
    # Crawls first: a crawl reads the pages it reaches for their links, and a page a sitemap had already
    # handed on would not be read (nor its links followed) by the crawl.
    ways: dict[FoundBy, Callable[[str], None]] = {"crawl": run.crawl, "sitemap": run.sitemap, "feed": run.feed}
    for how, read in ways.items():
        for url in starts[how]:
            if normalize_url(url) is None:
                run.fail(url, how, None, Failure(url, "discover", f"not an http(s) URL: {url}"))
            else:
                read(url)
    if request.follow_links:
        run.follow(given)
    return Discovery(tuple(run.sources.values()), run.report())


@dataclass
class _Budget:
    """Pages one sitemap, feed, crawl or followed source may still hand on."""

    left: int
    start: int = field(default_factory=lambda: next(_STARTS))  # tells one sitemap, feed or crawl from another
    handed_on: int = 0
    seen_before: int = 0  # listed here too, but found before (by an earlier sitemap, feed or crawl)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        parts = [f"{self.handed_on} to ingest"]
        if self.seen_before:
            parts.append(f"{self.seen_before} found before")
        parts += [f"{n} {SKIP_REASONS[reason]}" for reason, n in self.skipped.most_common()]
        return ", ".join(parts)


class _Run:
    """The state of one discovery: what was seen, handed on and skipped, and the clock."""

    def __init__(
        self,
        request: DiscoverRequest,
        given: Sequence[str],
        settings: Settings,
        known: dict[str, KnownSource],
        fetcher: Fetcher,
        progress: Callable[[str], None],
    ) -> None:
        limits = settings.discover
        self.request = request
        self.depth = limits.depth if request.depth is None else request.depth
        self.max_pages = limits.max_pages if request.max_pages is None else request.max_pages
        self.max_seconds = limits.max_seconds if request.max_seconds is None else request.max_seconds
        self.max_sitemaps = limits.max_sitemaps
        self.max_urls = limits.max_urls
        self.pattern = re.compile(request.match) if request.match else None
        self.settings = settings
        self.known = known
        self.fetcher = fetcher
        self.progress = progress
        self.started = time.monotonic()
        self.deadline = self.started + self.max_seconds
        # The URLs the user named are not "found": a link back to one is neither counted nor handed on again.
        self.named: set[str] = {*given, *request.sitemaps, *request.feeds, *request.crawls}
        self.fates: dict[str, str] = {}  # each URL found: handed_on, queued (in a crawl), or its skip reason
        self.left_by: dict[str, int] = {}  # for a URL skipped for a reason of one start (_PER_START): which
        self.sources: dict[str, DiscoveredSource] = {}
        self.found = 0
        self.handed_on = 0
        self.skipped: Counter[str] = Counter()
        self.over_max_urls: list[str] = []  # the first URLs past the memory cap (not in `fates`)
        self.pages_read = 0
        self.not_modified = 0
        self.sitemaps_skipped = 0
        self._lock = threading.Lock()

    # -- the four ways in -----------------------------------------------------------------------------

    def sitemap(self, url: str) -> None:
        """Pages a sitemap lists, following a sitemap index (and a robots.txt's `Sitemap:` lines)."""
        budget = _Budget(self.max_pages)
        queue, parents, read = [url], {url: None}, 0
        while queue:
            if read >= self.max_sitemaps or self.out_of_time():
                self.sitemaps_skipped += len(queue)
                break
            current = queue.pop(0)
            read += 1
            fetched = self.read_listing(current)
            if isinstance(fetched, Failure):
                self.fail(current, "sitemap", parents[current], fetched)
                continue
            try:
                if urlsplit(current).path.endswith("/robots.txt"):
                    children, pages = robots_sitemaps(fetched.content, current), []
                    if not children:
                        raise ListingError("robots.txt names no sitemap (no 'Sitemap:' line)")
                else:
                    listed = parse_sitemap(fetched.content, current, self.fetcher.settings.max_bytes)
                    children, pages = list(listed.sitemaps), list(listed.pages)
            except ListingError as error:
                self.fail(current, "sitemap", parents[current], Failure(current, "discover", str(error)))
                continue
            for child in children:
                if child not in parents:
                    parents[child] = current
                    queue.append(child)
            for page in pages:
                self.offer(page, "sitemap", current, budget)
        files = f"{read} file{'s' if read != 1 else ''}"
        self.progress(f"discover  sitemap {url}: {files} read; {budget.summary()}")

    def feed(self, url: str) -> None:
        """The articles an RSS, Atom or JSON feed links to."""
        budget = _Budget(self.max_pages)
        fetched = self.read_listing(url)
        if isinstance(fetched, Failure):
            self.fail(url, "feed", None, fetched)
            return
        try:
            links = parse_feed(fetched.content, url)
        except ListingError as error:
            self.fail(url, "feed", None, Failure(url, "discover", str(error)))
            return
        for link in links:
            self.offer(link, "feed", url, budget)
        self.progress(f"discover  feed {url}: {len(links)} entries; {budget.summary()}")

    def crawl(self, start: str) -> None:
        """A breadth-first crawl from `start`: same host (and --allow-host hosts), links matching the pattern,
        at most `depth` links away and `max_pages` pages read. The start page is always read and handed on."""
        budget = _Budget(self.max_pages - 1)
        hosts = {urlsplit(start).netloc.lower(), *(h.lower() for h in self.request.allow_hosts)}
        level: list[tuple[str, str | None]] = [(start, None)]
        for depth in range(self.depth + 1):
            results = self.read_pages([url for url, _ in level])
            next_level: list[tuple[str, str | None]] = []
            for (url, parent), fetched in zip(level, results, strict=True):
                if fetched is None and parent is None:  # out of time before the start: fetched later, as usual
                    self.sources.setdefault(url, DiscoveredSource(url, "crawl"))
                    continue
                if fetched is None:
                    self.skip(url, "time_limit", budget)
                    continue
                fetched = self.hand_on(url, "crawl", parent, fetched, budget if parent else None)
                for link in self.links_of(url, fetched):
                    if not self.sighting(link, budget):
                        continue
                    reason = self.judge(link, hosts)
                    if reason is None and depth == self.depth:
                        reason = "depth"
                    if reason is not None:
                        self.skip(link, reason, budget)
                    else:
                        self.fates[link] = _QUEUED
                        next_level.append((link, url))
            level = self.within_budget(next_level, budget)
            if not level:
                break
        self.progress(f"discover  crawl {start}: {budget.handed_on + 1} pages read; {budget.summary()}")

    def follow(self, given: Sequence[str]) -> None:
        """Read the given sources and hand on the pages each links to (one level: those are not followed)."""
        results = self.read_pages(list(given))
        for uri, fetched in zip(given, results, strict=True):
            if fetched is None:  # out of time: still a source, fetched later by process_source as usual
                self.sources.setdefault(uri, DiscoveredSource(uri, "given"))
                continue
            budget = _Budget(self.max_pages)
            fetched = self.hand_on(uri, "given", None, fetched, None)
            links = self.links_of(uri, fetched)
            links += self.local_links(uri, fetched)
            for link in links:
                self.offer(link, "link", uri, budget)
            self.progress(f"discover  links of {uri}: {len(links)} links; {budget.summary()}")

    # -- fates ------------------------------------------------------------------------------------------

    def offer(self, url: str, how: FoundBy, origin: str, budget: _Budget) -> None:
        """A URL a listing or followed source names: handed on unless the pattern, robots.txt or a cap says no."""
        if not self.sighting(url, budget):
            budget.seen_before += url in self.fates or url in self.named
            return
        reason = self.judge(url, None)
        if reason is None:
            if budget.left <= 0:
                reason = "max_pages"
            elif self.fetcher.robots_refusal(url) is not None:
                reason = "robots"
        if reason is not None:
            self.skip(url, reason, budget)
            return
        budget.left -= 1
        self.count_handed_on(url, budget)
        self.sources[url] = DiscoveredSource(url, how, origin)

    def sighting(self, url: str, budget: _Budget) -> bool:
        """Whether a URL met in a listing or page is to be judged now: one seen for the first time (counted as
        found), or one an earlier sitemap, feed or crawl left for a reason of its own (`_PER_START`)."""
        fate = self.fates.get(url)
        if fate in _PER_START and self.left_by[url] != budget.start:  # judged again: it ends one way or another
            self.skipped[fate] -= 1
            return True
        if fate is not None or url in self.named:
            return False
        self.found += 1
        if len(self.fates) >= self.max_urls:  # counted, not remembered: met again, it is counted again
            self.skip(url, "max_urls", budget)
            return False
        return True

    def judge(self, url: str, hosts: set[str] | None) -> str | None:
        """The reason a URL found is not worth a request, judged on the URL alone; None when it is."""
        if self.pattern is not None and not self.pattern.search(url):
            return "no_match"
        if PurePosixPath(urlsplit(url).path).suffix.lower() in _NOT_PAGES:
            return "not_a_page"
        if hosts is not None and urlsplit(url).netloc.lower() not in hosts:
            return "off_host"
        return None

    def within_budget(self, level: list[tuple[str, str | None]], budget: _Budget) -> list[tuple[str, str | None]]:
        """The next crawl level: robots.txt asked about each link in turn until the budget is spent."""
        taken = []
        for url, parent in level:
            if budget.left <= 0:
                self.skip(url, "max_pages", budget)
            elif self.out_of_time():
                self.skip(url, "time_limit", budget)
            elif self.fetcher.robots_refusal(url) is not None:
                self.skip(url, "robots", budget)
            else:
                budget.left -= 1
                taken.append((url, parent))
        return taken

    def count_handed_on(self, url: str, budget: _Budget) -> None:
        self.fates[url] = _HANDED_ON
        self.handed_on += 1
        budget.handed_on += 1

    def skip(self, url: str, reason: str, budget: _Budget) -> None:
        if reason in _PER_START:
            self.left_by[url] = budget.start
        if reason != "max_urls":
            self.fates[url] = reason
        elif len(self.over_max_urls) < _EXAMPLES_PER_REASON:
            self.over_max_urls.append(url)
        self.skipped[reason] += 1
        budget.skipped[reason] += 1

    def hand_on(
        self, uri: str, how: FoundBy, origin: str | None, fetched: FetchResult, budget: _Budget | None
    ) -> FetchResult:
        """Hand on a page discovery read, with its fetch result. A 304 whose raw copy is gone is read again
        in full (process_source then finds it unchanged by its hash). Returns the result handed on."""
        if isinstance(fetched, NotModified) and self.raw_copy(uri) is None:
            fetched = self.fetcher.fetch(uri, None)
            self.pages_read += 1
        if isinstance(fetched, NotModified):
            self.not_modified += 1
        if budget is not None:  # a page found (not the start page the user named)
            self.count_handed_on(uri, budget)
        self.sources[uri] = DiscoveredSource(uri, how, origin, fetched)
        return fetched

    def fail(self, uri: str, how: FoundBy, origin: str | None, failure: Failure) -> None:
        """A sitemap or feed that cannot be read: recorded as a source with its reason, as a bad list file is."""
        failure = replace(failure, stage="discover", reason=f"{how}: {failure.reason}")
        self.sources[uri] = DiscoveredSource(uri, how, origin, failure)

    # -- reading --------------------------------------------------------------------------------------

    def out_of_time(self) -> bool:
        """Past the discovery's time cap, or the run was asked to stop (SIGTERM, Ctrl-C)."""
        return time.monotonic() >= self.deadline or interrupt.STOP.requested

    def read_listing(self, url: str) -> RawDocument | Failure:
        self.pages_read += 1
        return self.fetcher.fetch_listing(url)

    def read_pages(self, uris: Sequence[str]) -> list[FetchResult | None]:
        """Fetch pages concurrently (the fetcher keeps to its per-host limit and delay), results in order;
        None for a page the time limit left unread."""
        if not uris:
            return []

        def read(uri: str) -> FetchResult | None:
            if self.out_of_time():
                return None
            result = self.fetcher.fetch(uri, self.known.get(uri))
            with self._lock:
                self.pages_read += 1
            return result

        with ThreadPoolExecutor(max_workers=max(1, min(len(uris), self.fetcher.settings.concurrency))) as pool:
            return list(pool.map(read, uris))

    def links_of(self, uri: str, fetched: FetchResult) -> list[str]:
        """The http(s) links of a page read: from its bytes, or from its raw copy when it answered 304."""
        if isinstance(fetched, RawDocument):
            return document_links(fetched)
        if isinstance(fetched, NotModified):
            raw = self.raw_copy(uri)
            return document_links(raw) if raw is not None else []
        return []

    def local_links(self, uri: str, fetched: FetchResult) -> list[str]:
        """For a local file, the files beside it that it links to by a relative path (`docs/q.md`)."""
        if "://" in uri or not isinstance(fetched, RawDocument):
            return []
        folder = Path(uri).parent
        found = []
        for href in relative_links(fetched):
            path = (folder / unquote(href)).resolve()
            if path.suffix.lower() in SOURCE_EXTENSIONS and path.is_file():
                found.append(str(path))
        return found

    def raw_copy(self, uri: str) -> RawDocument | None:
        """The stored bytes of a source loaded before (for the links of a page answered 304)."""
        known = self.known.get(uri)
        if known is None or not known.sha256:
            return None
        path = Path(self.settings.raw_dir) / known.sha256[:2] / known.sha256
        try:
            content = path.read_bytes()
        except OSError:
            return None
        media_type = known.media_type or sniff_media_type(content)  # as the fetch that stored it decided
        return RawDocument(
            uri, known.sha256, media_type, content, fetched_at=_EPOCH, charset=detect_charset(content, None, media_type)
        )

    # -- the report -----------------------------------------------------------------------------------

    def report(self) -> DiscoveryReport:
        return DiscoveryReport(
            found=self.found,
            kept=self.found - self.skipped["no_match"],
            handed_on=self.handed_on,
            skipped=tuple((reason, n) for reason, n in self.skipped.most_common() if n),
            examples=self.examples(),
            pages_read=self.pages_read,
            not_modified=self.not_modified,
            sitemaps_skipped=self.sitemaps_skipped,
            seconds=round(time.monotonic() - self.started, 3),
            pattern=self.request.match,
            limits=(("depth", self.depth), ("max_pages", self.max_pages), ("max_seconds", self.max_seconds)),
        )


    def examples(self) -> tuple[tuple[str, str], ...]:
        """The first few URLs of each skip reason, in the order they were found."""
        chosen: dict[str, list[str]] = defaultdict(list)
        for url, fate in self.fates.items():
            if fate in SKIP_REASONS and len(chosen[fate]) < _EXAMPLES_PER_REASON:
                chosen[fate].append(url)
        chosen["max_urls"] = self.over_max_urls
        return tuple((reason, url) for reason, urls in chosen.items() for url in urls)


def merge(given: Sequence[str], discovery: Discovery) -> tuple[list[str], dict[str, DiscoveredSource]]:
    """The run's sources in order (the named ones, then the discovered ones as found) and, for each source
    discovery touched, its record (how it was found, and what was already fetched of it)."""
    by_uri = {s.uri: s for s in discovery.sources}
    named = set(given)
    return [*given, *(s.uri for s in discovery.sources if s.uri not in named)], by_uri


def with_origins(results: Iterable[SourceResult], by_uri: dict[str, DiscoveredSource]) -> list[SourceResult]:
    """Source results marked with how each was found (`given` for those discovery did not find)."""
    marked = []
    for result in results:
        found = by_uri.get(result.source_uri)
        if found is not None and found.found_by != "given":
            result = replace(result, found_by=found.found_by, found_from=found.found_from)
        marked.append(result)
    return marked

