"""End-to-end ingest benchmark: the real Prefect flow on a generated corpus, stage by stage.

    .venv/bin/python -m bench.ingest.run --docs 1000            # local files, HTTP, re-run, no-Prefect baseline
    .venv/bin/python -m bench.ingest.run --docs 1000 --profile  # plus the top functions of the baseline run
    .venv/bin/python -m bench.ingest.run --docs 300 --runner dask --skip-http

Phases, each on a fresh warehouse and raw dir (except the re-run):
    start-up   a trivial flow, so the temporary Prefect server's start is measured apart from the work
    warm-up    20 documents through qbank.pipeline directly (imports, spaCy, taxonomy), not counted
    files      the `ingest` flow on the corpus as local files, with export (the headline figure)
    re-run     the same flow again, nothing changed
    http       the flow on the same corpus served by http.server on 127.0.0.1
    direct     the same work through qbank.pipeline functions in one thread, no Prefect

Stage figures are the run's own (`RunSummary.stages`, qbank/stages.py; also stored in `runs.stages`): each
stage counts its records and times itself, per source in the thread or worker process that ran it (extract,
split and classify inside the parse budget's worker processes, or a Dask worker's), so they hold with any
runner. CPU seconds are per-thread CPU time, so work done by concurrent threads is not double counted while
they wait for the GIL; Prefect overhead = flow wall time - stage CPU time. Only the flow's own calls around
the stages (listing the sources, the export) are timed by wrapping them for the length of the benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import http.server
import io
import os
import pstats
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Prefect reads its settings at import time: quiet it and keep its database out of the user's home.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import psutil  # noqa: E402

from bench.ingest.generate import write_corpus  # noqa: E402

STAGES = ("sources", "fetch", "extract", "split", "classify", "normalize", "dedupe", "tag", "load", "export")


@dataclass
class StageClock:
    """Thread-safe per-stage totals: calls, wall seconds and CPU seconds of the calling thread."""

    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wall: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall0, cpu0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
                with self.lock:
                    self.calls[stage] += 1
                    self.wall[stage] += wall
                    self.cpu[stage] += cpu

        return timed

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.wall.clear()
            self.cpu.clear()

    def total_cpu(self) -> float:
        return sum(self.cpu.values())


@contextmanager
def instrumented(clock: StageClock) -> Iterator[None]:
    """Wrap the flow's calls around the stages (listing sources, exporting); restore them on exit. The stages
    report themselves (RunSummary.stages)."""
    import flows.ingest

    targets: list[tuple[Any, str, str]] = [
        (flows.ingest, "expand_sources", "sources"),
        (flows.ingest, "export_bank", "export"),
    ]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in targets]
    try:
        for owner, name, stage in targets:
            setattr(owner, name, clock.wrap(stage, getattr(owner, name)))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


class PeakRss:
    """Samples this process's resident memory every 20 ms; `peak` is the highest sample since start."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


@dataclass
class Phase:
    name: str
    docs: int
    wall: float
    peak_rss: int
    cpu: dict[str, float]
    wall_by_stage: dict[str, float]
    summary: Any = None
    process_cpu: float = 0.0  # user + system seconds of this process and its children (Prefect server, workers)
    records: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # stage -> in, out, dropped


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 in a background thread; yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_direct(sources: list[str], warehouse: Path, raw_dir: Path, export_dir: Path) -> Any:
    """The flow's work without Prefect: the same pipeline calls, one source after the other."""
    from flows.ingest import export_bank, expand_sources  # the (possibly wrapped) names the flow uses
    from qbank import pipeline
    from qbank.export import ExportFilters
    from qbank.records import SourceResult
    from qbank.settings import Settings

    settings = Settings(warehouse=warehouse, raw_dir=raw_dir)
    run = pipeline.new_run(settings)
    uris, failures = expand_sources(sources, [])
    known = pipeline.known_sources(settings)
    results = [SourceResult(f.source_uri, None, failure=f) for f in failures]
    results += [pipeline.process_source(uri, settings, known.get(uri)) for uri in uris]
    summary = pipeline.finalize(results, settings, run)
    export_bank(settings.warehouse, export_dir, settings.export.formats, ExportFilters())
    return summary


def _cpu_by_pid() -> dict[int, float]:
    """CPU seconds so far of this process and each live descendant (the Prefect server, Dask workers)."""
    me = psutil.Process()
    out: dict[int, float] = {}
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:  # a child that just ended
            continue
        out[process.pid] = times.user + times.system
    return out


def measure(name: str, docs: int, clock: StageClock, work: Callable[[], Any]) -> Phase:
    clock.reset()
    cpu_before = _cpu_by_pid()
    with PeakRss() as rss:
        start = time.perf_counter()
        summary = work()
        wall = time.perf_counter() - start
    cpu = sum(after - cpu_before.get(pid, 0.0) for pid, after in _cpu_by_pid().items())
    stage_cpu, stage_wall, records = dict(clock.cpu), dict(clock.wall), {}
    for stage in getattr(summary, "stages", ()):  # the run's own figures (qbank/stages.py)
        stage_cpu[stage.stage], stage_wall[stage.stage] = stage.cpu, stage.wall
        records[stage.stage] = (stage.records_in, stage.records_out, stage.dropped)
    return Phase(name, docs, wall, rss.peak, stage_cpu, stage_wall, summary, cpu, records)


def print_phase(phase: Phase) -> None:
    s = phase.summary
    outcome = ""
    if s is not None and hasattr(s, "sources"):
        statuses: dict[str, int] = defaultdict(int)
        for source in s.sources:
            statuses[source.status] += 1
        outcome = " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
        outcome += f"  questions_added={getattr(s, 'questions_added', '?')}"
    print(f"\n== {phase.name}: {phase.docs} documents in {phase.wall:.2f} s = {phase.docs / phase.wall:.1f} docs/s,"
          f" peak RSS {phase.peak_rss / 2**20:.0f} MiB, CPU {phase.process_cpu:.1f} s  {outcome}")
    if s is not None and hasattr(s, "sources"):
        reasons: dict[str, int] = defaultdict(int)
        for source in s.sources:
            if source.status in ("failed", "skipped"):
                reasons[(source.reason or "")[:120]] += 1
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:3]:
            print(f"   failed x{count}: {reason}")
    if not phase.cpu:
        return
    print(f"   {'stage':<10} {'cpu s':>8} {'wall s':>8} {'docs/s (cpu)':>13} {'in':>9} {'out':>9} {'dropped':>8}")
    for stage in STAGES:
        if stage in phase.cpu:
            cpu = phase.cpu[stage]
            rate = f"{phase.docs / cpu:>13.0f}" if cpu > 0 else f"{'-':>13}"
            counts = " ".join(f"{n:>{w}}" for n, w in zip(phase.records.get(stage, ()), (9, 9, 8)))
            print(f"   {stage:<10} {cpu:>8.2f} {phase.wall_by_stage[stage]:>8.2f} {rate} {counts}".rstrip())
    work = sum(phase.cpu.values())
    print(f"   {'all':<10} {work:>8.2f}   (outside the stages: {phase.wall - work:.2f} s"
          f" = {(phase.wall - work) / phase.wall:.0%} of wall)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark the ingest flow end to end on a generated corpus.")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runner", choices=("thread", "dask"), default="thread")
    parser.add_argument("--dask-address", default=None)
    parser.add_argument("--sources-per-task", type=int, default=None,
                        help="sources per Prefect task (QBANK_SOURCES_PER_TASK); default: the setting's default")
    parser.add_argument("--skip-http", action="store_true", help="skip the phase over loopback HTTP")
    parser.add_argument("--skip-direct", action="store_true", help="skip the no-Prefect baseline")
    parser.add_argument("--profile", action="store_true", help="cProfile the no-Prefect baseline, print top 25")
    parser.add_argument("--keep", type=Path, default=None, help="work here instead of a temporary folder")
    args = parser.parse_args(argv)

    if args.sources_per_task is not None:
        os.environ["QBANK_SOURCES_PER_TASK"] = str(args.sources_per_task)
    with tempfile.TemporaryDirectory(prefix="qbank-bench-") as tmp_name:
        tmp = args.keep or Path(tmp_name)
        # The benchmark's own Prefect database (not ~/.prefect, shared with other runs), kept between runs so
        # start-up is measured as users see it, not the first-ever schema migration.
        os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "qbank-bench-prefect"))
        corpus = tmp / "corpus"
        gen0 = time.perf_counter()
        articles = write_corpus(corpus, args.docs, args.seed)
        print(f"corpus: {len(articles)} articles, {sum(a.questions for a in articles)} questions,"
              f" {sum(len(a.text) for a in articles) / 2**20:.1f} MiB, written in {time.perf_counter() - gen0:.1f} s")
        _run_phases(args, tmp, corpus)


def _run_phases(args: argparse.Namespace, tmp: Path, corpus: Path) -> None:
    prefect_import = time.perf_counter()
    from prefect import flow

    from flows.ingest import ingest
    from qbank.runners import task_runner, thread_count

    print(f"import flows.ingest: {time.perf_counter() - prefect_import:.1f} s")
    from qbank.settings import Settings

    # As `qbank ingest` does: threads sized by qbank.runners.thread_count (cores for local files,
    # fetch.concurrency when sources are URLs), or Dask.
    fetch_settings = Settings().fetch
    flows = {
        local: ingest.with_options(task_runner=task_runner(
            args.runner, args.dask_address, max_threads=thread_count([str(corpus)], not local, fetch_settings)))
        for local in (True, False)
    }  # fmt: skip
    print(f"threads: local files {thread_count([str(corpus)], False, fetch_settings)}, "
          f"URLs {thread_count([], True, fetch_settings)}")

    @flow(name="bench-startup")
    def nothing() -> None:
        return None

    start = time.perf_counter()
    nothing()
    startup = time.perf_counter() - start
    print(f"Prefect start-up (first flow run, temporary server): {startup:.1f} s")

    clock = StageClock()
    docs = args.docs
    with instrumented(clock):
        warm = tmp / "warm"
        write_corpus(warm / "corpus", 20, args.seed + 1)
        run_direct([str(warm / "corpus")], warm / "wh.duckdb", warm / "raw", warm / "exports")

        os.environ["QBANK_RAW_DIR"] = str(tmp / "raw-files")  # the flow builds its Settings from the environment
        files_db = tmp / "files.duckdb"
        files = measure("flow, local files", docs, clock,
                        lambda: flows[True]([str(corpus)], warehouse=str(files_db), export_dir=str(tmp / "exports")))
        print_phase(files)
        rerun = measure("re-run, unchanged", docs, clock, lambda: flows[True]([str(corpus)], warehouse=str(files_db)))
        print_phase(rerun)

        http_phase = None
        if not args.skip_http:
            os.environ["QBANK_RAW_DIR"] = str(tmp / "raw-http")
            with serve(corpus) as base:
                listing = tmp / "urls.txt"
                listing.write_text("".join(f"{base}/{p.name}\n" for p in sorted(corpus.iterdir())), encoding="utf-8")
                http_phase = measure("flow, HTTP 127.0.0.1", docs, clock,
                                     lambda: flows[False]([], from_files=[str(listing)], warehouse=str(tmp / "http.duckdb")))
            print_phase(http_phase)

        direct = None
        if not args.skip_direct:
            direct = measure("direct, no Prefect (one thread)", docs, clock,
                             lambda: run_direct([str(corpus)], tmp / "direct.duckdb", tmp / "raw-d", tmp / "exports-d"))
            print_phase(direct)
        if args.profile:  # its own run: cProfile roughly doubles the time, so it never feeds the figures above
            profiler = cProfile.Profile()
            profiler.runcall(run_direct, [str(corpus)], tmp / "profiled.duckdb", tmp / "raw-p", tmp / "exports-p")
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(20)
            print(f"\n== profile of the direct run\n{out.getvalue()}")

    print("\n== summary")
    print(f"end to end, local files: {docs / files.wall:.1f} docs/s ({files.wall:.1f} s; target >= 30 docs/s)")
    outside = files.wall - sum(files.cpu.values())
    print(f"flow wall - stage CPU: {outside:.1f} s = {outside / files.wall:.0%} of the flow's wall time")
    if direct is not None:
        extra = files.wall - direct.wall
        print(f"flow vs direct: {files.wall:.1f} s vs {direct.wall:.1f} s: Prefect adds {extra:.1f} s"
              f" = {extra / files.wall:.0%} of the flow run (target <= 15%)")
        extra_cpu = files.process_cpu - direct.process_cpu
        print(f"CPU, flow vs direct (incl. Prefect server): {files.process_cpu:.1f} s vs {direct.process_cpu:.1f} s:"
              f" Prefect adds {extra_cpu:.1f} s = {extra_cpu / files.process_cpu:.0%}")
    print(f"unchanged re-run: {rerun.wall:.2f} s (+ Prefect start-up {startup:.1f} s; target <= 2 s + start-up)")
    if http_phase is not None:
        print(f"over HTTP: {docs / http_phase.wall:.1f} docs/s")
    print(f"peak RSS: files {files.peak_rss / 2**20:.0f} MiB, process max {psutil.Process().memory_info().rss / 2**20:.0f}"
          f" MiB now")


if __name__ == "__main__":
    main()
