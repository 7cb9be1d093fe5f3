"""`qbank ingest`: run the ingest flow in-process and print progress and a summary."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.errors import QbankError
from qbank.interrupt import Interrupted, exit_code_for
from qbank.records import DiscoverRequest
from qbank.report import render_summary
from qbank.sources import read_list_file
from qbank.terminal import safe

# Exit codes other programs can rely on (documented in the README).
EXIT_OK = 0  # every source loaded or unchanged
EXIT_ERROR = 1  # nothing loaded: warehouse busy or unreadable, ...
EXIT_USAGE = 2  # bad arguments or settings: nothing was started
EXIT_SOME_FAILED = 3  # the run loaded, but some sources failed, were skipped or are suspect (see the summary)
# 128 + signal number (130 Ctrl-C, 143 SIGTERM): stopped early; what had finished was loaded, or nothing


def _quiet_prefect(verbose: bool) -> None:
    # Must run before prefect is imported: its settings are read at import time.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")


class _SafeFormatter(logging.Formatter):
    """Progress lines name files and quote servers: one line each, control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return safe(super().format(record))


def _show_progress() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("%(message)s"))
    progress = logging.getLogger("qbank.progress")
    progress.handlers[:] = [handler]
    progress.setLevel(logging.INFO)
    progress.propagate = False


@app.command()
def ingest(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders (searched recursively) or http(s) URLs.", show_default=False),
    ] = None,
    from_file: Annotated[
        list[Path] | None,
        typer.Option("--from", help="A file listing one source per line; '#' starts a comment. Repeatable."),
    ] = None,
    export_dir: Annotated[
        Path | None, typer.Option("--export", help="After loading, export the bank to this folder.")
    ] = None,
    warehouse: WarehouseOption = None,
    runner: Annotated[
        str,
        typer.Option(help="Where per-source work runs: 'thread' (this process) or 'dask' (worker processes)."),
    ] = "thread",
    dask_address: Annotated[
        str | None,
        typer.Option(help="With --runner dask: a running scheduler, e.g. tcp://host:8786 (default: a local cluster)."),
    ] = None,
    accept_changes: Annotated[
        bool,
        typer.Option(
            "--accept-changes",
            help="Apply it when a source lost most or all of its questions (otherwise it is kept as 'suspect').",
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's own logs.")] = False,
    sitemap: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL",
            help="Ingest the pages a sitemap lists (sitemap indexes followed, .gz read; a site's robots.txt "
            "names its sitemaps). Repeatable.",
        ),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option(metavar="URL", help="Ingest the articles of an RSS, Atom or JSON feed. Repeatable."),
    ] = None,
    crawl: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL",
            help="Crawl from this page: same host, links matching --match, up to --depth links away and "
            "--max-pages pages; every page read is ingested. Repeatable.",
        ),
    ] = None,
    follow_links: Annotated[
        bool,
        typer.Option(
            "--follow-links",
            help="Also ingest the pages the given sources link to, one level (an awesome-list README).",
        ),
    ] = False,
    match: Annotated[
        str | None,
        typer.Option(
            metavar="REGEX",
            help="Keep only discovered URLs containing a match of this regular expression, e.g. "
            "'/interview|/questions'.",
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            min=0, metavar="N", help="With --crawl: links followed from the start page (default 2).", show_default=False
        ),
    ] = None,
    max_pages: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", help="Pages per --sitemap, --feed, --crawl or followed source (default 200).",
            show_default=False,
        ),
    ] = None,
    max_time: Annotated[
        float | None,
        typer.Option(
            min=1, metavar="SECONDS", help="Stop discovering after this long (default 600).", show_default=False
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(metavar="HOST", help="With --crawl: another host (host or host:port) it may follow. Repeatable."),
    ] = None,
) -> None:
    """Read interview-question articles into the warehouse.

    Each source is fetched (raw bytes kept under raw/ by content hash), its main text extracted, split into
    questions and answers, tagged, matched against the bank (near-duplicates join one cluster) and loaded
    in one transaction. Re-running on unchanged sources changes nothing.

    \b
    Examples:
      qbank ingest articles/                 # every .md .txt .html .rst .ipynb .org .adoc .pdf below the folder
      qbank ingest https://example.org/ml-interview-questions
      qbank ingest --from sources.txt --export exports/
      qbank ingest articles/ --runner dask  # per-source work on a local Dask cluster (2 workers)

    A source that suddenly yields none or few of its stored questions (a login wall, an error page served
    as 200) keeps them and is marked 'suspect'; --accept-changes applies such drops. SIGTERM or Ctrl-C
    stops the run within seconds: the sources that had finished are loaded, the others are not read.

    \b
    Discover the articles of a site (robots.txt obeyed, 0.5 s between requests to a host):
      qbank ingest --sitemap https://site.example/sitemap.xml --match '/interview|/questions'
      qbank ingest --feed https://site.example/feed.xml
      qbank ingest --crawl https://site.example/interview-questions/ --depth 2 --max-pages 200
      qbank ingest https://example.org/awesome-interviews/README.md --follow-links
    The summary says how many URLs were found, kept by --match, ingested, and skipped (robots.txt, limits,
    other hosts) and why; the sources view's found_by and found_from columns say how each source was found.

    \b
    Exit status:
      0    every source loaded or was unchanged
      3    the run loaded, but some sources failed, were skipped or are suspect (see the summary)
      1    nothing loaded (the error is shown on one line)
      2    usage error (bad arguments or settings, an empty --from file): nothing started
      130  Ctrl-C / 143 SIGTERM: stopped early; the summary says what was loaded
    """
    discovery = DiscoverRequest(
        sitemaps=tuple(sitemap or ()), feeds=tuple(feed or ()), crawls=tuple(crawl or ()), follow_links=follow_links,
        match=match, depth=depth, max_pages=max_pages, max_seconds=max_time, allow_hosts=tuple(allow_host or ()),
    )  # fmt: skip
    if not sources and not from_file and not (discovery.sitemaps or discovery.feeds or discovery.crawls):
        raise fail(
            "nothing to ingest: name files, folders or URLs, --from FILE, or --sitemap, --feed or --crawl URL "
            "(see qbank ingest --help)"
        )
    _check_discovery(discovery)
    for list_file in from_file or []:
        listed, problem = read_list_file(list_file)
        if problem is None and not listed:
            raise fail(f"nothing to ingest: {list_file} lists no sources (only blank lines or comments)", EXIT_USAGE)
    settings = load_settings(warehouse)
    _quiet_prefect(verbose)
    from flows.ingest import ingest as ingest_flow  # imported late: prefect reads its settings at import
    from qbank.runners import shield_temporary_server, stop_on_signals, task_runner, thread_count

    _show_progress()
    try:
        shield_temporary_server()  # so that Ctrl-C stops the run cleanly instead of killing its Prefect server
        threads = thread_count([*(sources or []), *discovery.sitemaps, *discovery.feeds, *discovery.crawls],
                               bool(from_file), settings.fetch)  # fmt: skip
        chosen = task_runner(runner, dask_address, max_threads=threads)
        ingest_flow = ingest_flow.with_options(task_runner=chosen)
        progress = logging.getLogger("qbank.progress")
        with stop_on_signals(progress.warning):  # also while Prefect starts and winds down around the flow
            summary = ingest_flow(
                list(sources or []),
                [str(f) for f in from_file or []],
                str(settings.warehouse),
                str(export_dir) if export_dir else None,
                accept_changes,
                discovery=discovery,
            )
    except QbankError as error:
        raise fail(str(error)) from None
    except Interrupted as stop:
        what = "the sources that had finished were loaded" if stop.loaded else "nothing of this run was loaded"
        raise fail(f"{stop}: stopped at once; {what}", stop.exit_code) from None
    typer.echo(render_summary(summary))
    if summary.interrupted:
        raise typer.Exit(exit_code_for(summary.interrupted))
    if export_dir:
        typer.echo(f"exported to {export_dir}")
    some_failed = any(s.status in ("failed", "skipped", "suspect") for s in summary.sources)
    raise typer.Exit(EXIT_SOME_FAILED if some_failed else EXIT_OK)



def _check_discovery(request: DiscoverRequest) -> None:
    """Usage errors of the discovery options, each as one line (exit 2)."""
    if request.match is not None:
        try:
            re.compile(request.match)
        except re.error as error:
            raise fail(f"--match {request.match!r} is not a regular expression: {error}", EXIT_USAGE) from None
    for option, urls in (("--sitemap", request.sitemaps), ("--feed", request.feeds), ("--crawl", request.crawls)):
        for url in urls:
            if not url.lower().startswith(("http://", "https://")):
                raise fail(f"{option} takes an http(s) URL, not {url!r}", EXIT_USAGE)
    if request.allow_hosts and not request.crawls:
        raise fail("--allow-host applies to --crawl: name a start page with --crawl URL", EXIT_USAGE)
    if request.depth is not None and not request.crawls:
        raise fail("--depth applies to --crawl: name a start page with --crawl URL", EXIT_USAGE)

