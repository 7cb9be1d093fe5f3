"""The `ingest` Prefect flow: one task per batch of sources, then one task to load, one to export.

Run it as `qbank ingest ...` (in-process, no server to start by hand), as `python -m flows.ingest ...`,
or as a deployment (`prefect deploy` with prefect.yaml, then `prefect deployment run 'ingest/qbank-ingest'`).
The tasks only call functions in qbank.pipeline; the logic is testable without Prefect.
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import replace
from pathlib import Path

from prefect import flow, runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote

from qbank import discover as discover_stage
from qbank import pipeline
from qbank.export import ExportFilters, export_bank
from qbank import interrupt
from qbank.fetch import FetchResult
from qbank.interrupt import Interrupted
from qbank.records import DiscoveredSource, DiscoverRequest, Discovery, Failure, KnownSource, RunSummary, SourceResult
from qbank.runners import stop_on_signals, task_runner
from qbank.settings import Settings
from qbank.sources import expand_sources, gone_from_folders

log = logging.getLogger("qbank.progress")


@task(name="discover", cache_policy=NO_CACHE)
def discover(
    request: DiscoverRequest, given: list[str], settings: Settings, known: dict[str, KnownSource]
) -> Discovery:
    return pipeline.discover_sources(request, given, settings, known, log.info)


@task(name="process-source", cache_policy=NO_CACHE, task_run_name="process {uri}")
def process_source(
    uri: str, settings: Settings, known: KnownSource | None, fetched: FetchResult | None = None
) -> SourceResult:
    return pipeline.process_source(uri, settings, known, fetched)


def _batch_run_name() -> str:
    uris = runtime.task_run.parameters["uris"]
    return f"process {uris[0]} (+{len(uris) - 1} more)"


@task(name="process-sources", cache_policy=NO_CACHE, task_run_name=_batch_run_name)
def process_sources(
    uris: list[str],
    settings: Settings,
    known: list[KnownSource | None],
    fetched: list[FetchResult | None] | None = None,
) -> list[SourceResult]:
    """The batch's results; after a stop request, only those of the sources it had finished. `fetched`: what
    the discover task already read of them."""
    results = []
    for uri, k, f in zip(uris, known, fetched or [None] * len(uris)):
        try:
            interrupt.STOP.check()  # through the module: Dask pickles this function, and a flag holds a lock
            results.append(pipeline.process_source(uri, settings, k, f))
        except Interrupted:
            break
    return results


@task(name="load", cache_policy=NO_CACHE)
def load(results: list[SourceResult], settings: Settings, run_info: pipeline.RunInfo) -> RunSummary:
    return pipeline.finalize(results, settings, run_info)


@task(name="export", cache_policy=NO_CACHE)
def export(settings: Settings, out_dir: Path) -> list[Path]:
    filters = ExportFilters()
    return export_bank(settings.warehouse, out_dir, settings.export.formats, filters, csv_raw=settings.export.csv_raw)


@flow(name="ingest", log_prints=False, task_runner=task_runner("thread"))
def ingest(
    sources: list[str],
    from_files: list[str] | None = None,
    warehouse: str | None = None,
    export_dir: str | None = None,
    accept_changes: bool = False,
    discovery: DiscoverRequest | None = None,
) -> RunSummary:
    """Read articles (files, folders, http(s) URLs, list files), split, dedupe, tag and load them.

    SIGTERM or Ctrl-C stops the run within a second or so: the sources that had finished are loaded
    (the summary's `interrupted` and `not_read` say so); a signal during the load loads nothing
    (`qbank.interrupt.Interrupted` is raised).

    Args:
        sources: paths, folders (searched recursively) or http(s) URLs.
        from_files: files listing one source per line (`#` comments allowed).
        warehouse: DuckDB file; default from settings (QBANK_WAREHOUSE or warehouse/qbank.duckdb).
        export_dir: when given, export the bank there after loading.
        accept_changes: apply the drop of a source that lost most or all of its questions, instead of
            keeping its stored questions and marking it `suspect`.
        discovery: sitemaps, feeds, crawl start pages and --follow-links, read by the `discover` task
            before the sources are processed (qbank/discover.py).
    """
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse": Path(warehouse)})
    discovery = discovery or DiscoverRequest()
    settings = discover_stage.settings_for(settings, discovery)  # a per-host delay when it discovers
    run_info = replace(pipeline.new_run(settings), accept_changes=accept_changes)

    with stop_on_signals(log.warning) as stop:
        uris, list_failures = expand_sources(sources, [Path(f) for f in from_files or []])
        known = pipeline.known_sources(settings)
        # files once loaded from a folder named now that are no longer there: reported, their questions kept
        list_failures += gone_from_folders(sources, known, uris, [Path(f) for f in from_files or []])
        found: dict[str, DiscoveredSource] = {}
        report = None
        if discovery:
            discovered = discover(discovery, uris, settings, known)
            uris, found = discover_stage.merge(uris, discovered)
            report = discovered.report
        total = len(uris) + len(list_failures)
        results: list[SourceResult] = []
        for failure in list_failures:
            results.append(SourceResult(failure.source_uri, None, failure=failure))
            log.info(pipeline.Progress(len(results), total, results[-1]).line())

        # A task per batch of sources, not per source: Prefect's per-task cost would dominate small documents.
        # A small run is cut finer, so that every worker gets a share and one slow source holds up few others.
        size = max(1, min(settings.sources_per_task, math.ceil(len(uris) / settings.fetch.concurrency)))
        batches = [uris[i : i + size] for i in range(0, len(uris), size)]
        # (not quote()d: a quoted argument reaches a Dask worker as a bare tuple)
        futures = [process_sources.submit(b, settings, [known.get(u) for u in b], _fetched(found, b)) for b in batches]
        by_uri: dict[str, SourceResult] = {}
        for future in as_completed(futures):
            batch = batches[futures.index(future)]
            outcome = future.result(raise_on_failure=False)
            if not isinstance(outcome, list) and not interrupt.STOP.requested:
                # a crash: redo the batch source by source, so only the bad one fails
                fetched = _fetched(found, batch)
                singles = [process_source.submit(u, settings, known.get(u), f) for u, f in zip(batch, fetched)]
                outcome = [_source_outcome(f, uri) for f, uri in zip(singles, batch)]
            for result in outcome if isinstance(outcome, list) else ():
                if result is None:  # a stop request cut the source short
                    continue
                by_uri[result.source_uri] = result
                results.append(result)
                log.info(pipeline.Progress(len(results), total, result).line())

        # Load in the order the user named the sources, so positions and ids never depend on thread timing.
        ordered = [r for r in results if r.source_uri not in by_uri] + [by_uri[u] for u in uris if u in by_uri]
        ordered = discover_stage.with_origins(ordered, found)  # how each source was found, for `sources`
        not_read = tuple(u for u in uris if u not in by_uri)
        if interrupt.STOP.requested:
            signal_name = interrupt.STOP.signal_name
            run_info = replace(run_info, interrupted=signal_name)
            log.warning(f"{signal_name}: loading the {len(ordered)} sources that finished; {len(not_read)} not read")
        stop.phase = "load"  # from here a signal abandons the load: its transaction rolls back
        try:
            # quote(): Prefect would otherwise walk every record of every source looking for futures (seconds per run).
            summary = load(quote(ordered), settings, run_info)
        except BaseException as error:
            # DuckDB handles a Ctrl-C that arrives during a query itself (KeyboardInterrupt) and reports our
            # handler's exception as "Query interrupted"; a signal between the commit and here leaves the
            # run loaded. Whichever it was, say what happened.
            signal_name = stop.aborted or ("SIGINT" if isinstance(error, KeyboardInterrupt) else None)
            if signal_name is None:
                raise
            loaded = pipeline.run_recorded(settings, run_info.run_id)
            raise Interrupted(signal_name, loaded=loaded) from None
        finally:
            stop.phase = "done"
    if report is not None:
        summary = replace(summary, discovery=report)
    if run_info.interrupted:
        return replace(summary, interrupted=run_info.interrupted, not_read=not_read)
    if export_dir:
        export(settings, Path(export_dir))
    return summary


def _fetched(found: dict[str, DiscoveredSource], uris: list[str]) -> list[FetchResult | None]:
    """What the discover task already read of each source (None: process_source fetches it)."""
    return [found[u].fetched if u in found else None for u in uris]


def _source_outcome(future: PrefectFuture, uri: str) -> SourceResult | None:
    """The result of one source's task; a crash inside it becomes that source's Failure, never the run's.
    None when a stop request cut it short."""
    outcome = future.result(raise_on_failure=False)
    if isinstance(outcome, SourceResult):
        return outcome
    if interrupt.STOP.requested:
        return None
    return SourceResult(uri, None, failure=Failure(uri, "process", f"internal error: {_one_line(repr(outcome))}"))


def _one_line(text: str | None) -> str:
    return " ".join((text or "unknown error").split())[:300]


if __name__ == "__main__":
    from qbank.cli import app

    sys.exit(app(["ingest", *sys.argv[1:]]))
