"""The `ingest` Prefect flow: one task per batch of sources, then one task to load, one to export.

Run it as `qbank ingest ...` (in-process, no server to start by hand), as `python -m flows.ingest ...`,
or as a deployment (`prefect deploy` with prefect.yaml, then `prefect deployment run 'ingest/qbank-ingest'`).
The tasks only call functions in qbank.pipeline; the logic is testable without Prefect.
"""

from __future__ import annotations

import logging
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
from qbank.fetch import FetchResult
from qbank.records import DiscoveredSource, DiscoverRequest, Discovery, Failure, KnownSource, RunSummary, SourceResult
from qbank.runners import task_runner
from qbank.settings import Settings
from qbank.sources import expand_sources

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
    fetched = fetched or [None] * len(uris)  # what the discover task already read of them
    return [pipeline.process_source(uri, settings, k, f) for uri, k, f in zip(uris, known, fetched)]


@task(name="load", cache_policy=NO_CACHE)
def load(results: list[SourceResult], settings: Settings, run_info: pipeline.RunInfo) -> RunSummary:
    return pipeline.finalize(results, settings, run_info)


@task(name="export", cache_policy=NO_CACHE)
def export(settings: Settings, out_dir: Path) -> list[Path]:
    return export_bank(settings.warehouse, out_dir, settings.export.formats, ExportFilters())


@flow(name="ingest", log_prints=False, task_runner=task_runner("thread"))
def ingest(
    sources: list[str],
    from_files: list[str] | None = None,
    warehouse: str | None = None,
    export_dir: str | None = None,
    discovery: DiscoverRequest | None = None,
) -> RunSummary:
    """Read articles (files, folders, http(s) URLs, list files), split, dedupe, tag and load them.

    Args:
        sources: paths, folders (searched recursively) or http(s) URLs.
        from_files: files listing one source per line (`#` comments allowed).
        warehouse: DuckDB file; default from settings (QBANK_WAREHOUSE or warehouse/qbank.duckdb).
        export_dir: when given, export the bank there after loading.
        discovery: sitemaps, feeds, crawl start pages and --follow-links, read by the `discover` task
            before the sources are processed (qbank/discover.py).
    """
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse": Path(warehouse)})
    discovery = discovery or DiscoverRequest()
    settings = discover_stage.settings_for(settings, discovery)  # a per-host delay when it discovers
    run_info = pipeline.new_run(settings)

    uris, list_failures = expand_sources(sources, [Path(f) for f in from_files or []])
    known = pipeline.known_sources(settings)
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
    size = settings.sources_per_task
    batches = [uris[i : i + size] for i in range(0, len(uris), size)]
    # (not quote()d: a quoted argument reaches a Dask worker as a bare tuple)
    futures = [process_sources.submit(b, settings, [known.get(u) for u in b], _fetched(found, b)) for b in batches]
    by_uri: dict[str, SourceResult] = {}
    for future in as_completed(futures):
        batch = batches[futures.index(future)]
        outcome = future.result(raise_on_failure=False)
        if not isinstance(outcome, list):  # a crash: redo the batch source by source, so only the bad one fails
            fetched = _fetched(found, batch)
            singles = [process_source.submit(u, settings, known.get(u), f) for u, f in zip(batch, fetched)]
            outcome = [_source_outcome(f, uri) for f, uri in zip(singles, batch)]
        for result in outcome:
            by_uri[result.source_uri] = result
            results.append(result)
            log.info(pipeline.Progress(len(results), total, result).line())

    # Load in the order the user named the sources, so positions and ids never depend on thread timing.
    ordered = [r for r in results if r.source_uri not in by_uri] + [by_uri[u] for u in uris if u in by_uri]
    ordered = discover_stage.with_origins(ordered, found)  # how each source was found, for `sources`
    # quote(): Prefect would otherwise walk every record of every source looking for futures (seconds per run).
    summary = load(quote(ordered), settings, run_info)
    if report is not None:
        summary = replace(summary, discovery=report)
    if export_dir:
        export(settings, Path(export_dir))
    return summary


def _fetched(found: dict[str, DiscoveredSource], uris: list[str]) -> list[FetchResult | None]:
    """What the discover task already read of each source (None: process_source fetches it)."""
    return [found[u].fetched if u in found else None for u in uris]


def _source_outcome(future: PrefectFuture, uri: str) -> SourceResult:
    """The result of one source's task; a crash inside it becomes that source's Failure, never the run's."""
    outcome = future.result(raise_on_failure=False)
    if isinstance(outcome, SourceResult):
        return outcome
    return SourceResult(uri, None, failure=Failure(uri, "process", f"internal error: {_one_line(repr(outcome))}"))


def _one_line(text: str | None) -> str:
    return " ".join((text or "unknown error").split())[:300]


if __name__ == "__main__":
    from qbank.cli import app

    sys.exit(app(["ingest", *sys.argv[1:]]))
