"""`qbank ui` speed on a big bank: time of each page over real HTTP on 127.0.0.1.

Builds a bank of --clusters clusters through the warehouse loader (bench/ui/generate.py) unless --warehouse
names one, serves the app in this process and requests each page with httpx: the Bank page cold (the bank
index is built on the first request after the warehouse changes) and warm, every facet click, a search,
sorts, a deep page, a cluster, the review queue, the overview, and an export of a selection. Prints the
median and the slowest of --repeat requests per page, in milliseconds; no thresholds (figures only; the
issue's target is < 300 ms for the first page and each facet click on 100k clusters).

    .venv/bin/python -m bench.ui.run --clusters 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.ui.generate import build_bank
from qbank.settings import Settings
from qbank.ui.app import create_app
from tests.ui_support import serve
from warehouse.bench_reads import page_samples
from warehouse.store import Warehouse


def timed(client: httpx.Client, url: str) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one request; CPU counts every thread of this process (server and client)."""
    start, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    elapsed = ((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    return elapsed


def pages(warehouse: Path) -> list[tuple[str, str]]:
    """(label, URL path) of each page to time, with facet values taken from the bank itself."""
    sample = page_samples(Warehouse(warehouse))
    topic, source, cluster, word = sample["topic"], sample["source"], sample["cluster"], sample["word"]
    return [
        ("bank: first page", "/"),
        ("facet: topic", f"/?topic={topic}"),
        ("facet: kind", "/?kind=coding"),
        ("facet: level", "/?level=advanced"),
        ("facet: answered", "/?answered=no"),
        ("facet: asked by 3+ sources", "/?min_sources=3"),
        ("facet: source", "/?" + str(httpx.QueryParams({"source": source}))),
        ("facets: topic+kind+level", f"/?topic={topic}&kind=technical&level=beginner"),
        ("search: one word", f"/?q={word}"),
        ("search: two words + topic", f"/?q={word}+number&topic={topic}"),
        ("sort: A-Z", "/?sort=question"),
        ("page 1000", "/?page=1000"),
        ("cluster page", f"/cluster/{cluster}"),
        ("review", "/review"),
        ("overview", "/overview"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--warehouse", type=Path, help="an existing warehouse to time instead of a generated one")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = args.warehouse
        if warehouse is None:
            warehouse = Path(tmp) / "bench.duckdb"
            built = build_bank(warehouse, args.clusters)
            print(f"generated {built['clusters']:,} clusters, {built['questions']:,} questions, "
                  f"{built['sources']:,} sources (loaded in {built['load_seconds']:.1f} s)")  # fmt: skip
        settings = Settings(warehouse=warehouse, data_dir=Path(tmp) / "data")
        with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
            print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
            print(f"{'page':<28} {'median ms':>10} {'max ms':>8} {'CPU ms':>8}")
            print(f"{'bank: cold (builds index)':<28} {timed(client, '/')[0]:>10.0f}")
            print(f"{'review: cold (builds queue)':<28} {timed(client, '/review')[0]:>10.0f}")
            for label, path in pages(warehouse):
                wall, cpu = zip(*(timed(client, path) for _ in range(args.repeat)), strict=True)
                print(f"{label:<28} {statistics.median(wall):>10.0f} {max(wall):>8.0f} {statistics.median(cpu):>8.0f}")
            start = time.perf_counter()
            response = client.get("/export", params={"format": "csv", "min_sources": "3"})
            print(f"{'export csv (3+ sources)':<28} {(time.perf_counter() - start) * 1000:>10.0f}"
                  f"  ({len(response.content) / 1e6:.1f} MB zip)")  # fmt: skip
            print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
