"""Warehouse speed: load, identical reload, one changed source, export and a bank query on a synthetic corpus.

    .venv/bin/python -m bench.warehouse.run --sources 200 --per-source 25

Prints seconds per step and row counts; no thresholds (figures only).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from qbank.export import FORMATS, ExportFilters, export_bank
from tests import warehouse_records as w
from warehouse.store import Warehouse

KINDS = ("technical", "coding", "behavioral")
TOPICS = ("ml", "deep-learning", "nlp", "teamwork")


def corpus(sources: int, per_source: int, seed: int = 7) -> dict[str, list[w.Entry]]:
    """Questions drawn from a shared pool, so about a third repeat across sources."""
    rng = random.Random(seed)
    pool = [f"Question number {i} about topic {i % 97}?" for i in range(sources * per_source * 2 // 3)]
    return {
        f"https://example.com/article/{s}": [
            (q, f"Answer to {q} " * rng.randint(1, 20) if rng.random() < 0.8 else None, rng.choice(KINDS),
             None, (rng.choice(TOPICS),))
            for q in dict.fromkeys(rng.sample(pool, per_source))
        ]
        for s in range(sources)
    }  # fmt: skip


def timed(label: str, fn: object) -> object:
    start = time.perf_counter()
    result = fn()
    print(f"{label:<28} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--per-source", type=int, default=25)
    args = parser.parse_args()
    data = corpus(args.sources, args.per_source)
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        first = timed("load (all new)", lambda: w.load(wh, 1, data))
        timed("reload (identical input)", lambda: w.load(wh, 2, data))
        one = dict(list(data.items())[:1])
        rest = list(data)[1:]
        timed("one changed source", lambda: w.load(wh, 3, {k: v[1:] for k, v in one.items()}, unchanged=rest,
                                                   version="v2"))  # fmt: skip
        timed("bank query (full scan)", lambda: wh.query("SELECT count(*), sum(len(variants)) FROM bank"))
        paths = timed("export 4 formats", lambda: export_bank(wh.path, Path(tmp) / "out", FORMATS, ExportFilters()))
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(f"questions {first.questions_total}, clusters {first.clusters_total}, export {size:.1f} MB")


if __name__ == "__main__":
    main()
