"""Build a big synthetic bank through the warehouse's own loader (`Warehouse.load_run`), for the UI bench.

No fetching, splitting or fuzzy matching: the clusters are decided here (each cluster's variants are wordings
of one generated question) and handed to the loader as a DedupeResult, so the rows, views and run records
are exactly what an ingest writes. Sizes follow a real bank's shape: most questions asked by one source, a
long tail asked by many; 80% answered; one or two topics of the real taxonomy per question; a few failed
sources; fuzzy members with their accepted match and some near misses, so the review queue is full.

    .venv/bin/python -m bench.ui.generate --clusters 100000 --out /tmp/ui-bench.duckdb
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from qbank.dedupe import cluster_id_for
from qbank.normalize import question_id
from qbank.records import (
    ClusterAssignment,
    DedupeResult,
    Failure,
    Match,
    QAItem,
    Question,
    RawDocument,
    RunInfo,
    SourceResult,
    StructuredDoc,
    TopicRow,
    TopicTag,
)
from qbank.settings import DATA_DIR
from qbank.tag import load_taxonomy
from warehouse.bench_reads import row_counts
from warehouse.store import Warehouse

KINDS = ("technical", "technical", "technical", "coding", "behavioral", "situational", "problem-solving")
LEVELS = ("beginner", "intermediate", "advanced", None)
OPENERS = ("What is", "Explain", "How does", "Why would you use", "When should you avoid", "Compare")
WORDS = (
    "gradient", "boosting", "index", "transformer", "attention", "embedding", "cache", "replica", "shard",
    "queue", "tensor", "kernel", "pipeline", "dropout", "encoder", "decoder", "schema", "window", "join",
    "partition", "vector", "token", "lambda", "closure", "generator", "iterator", "thread", "process",
    "container", "cluster", "bucket", "stream", "batch", "epoch", "optimizer", "regularizer", "loss", "metric",
)
REWORDINGS = ("{q}", "Can you explain: {q}", "{q} Give an example.", "In your own words, {q}")
RUNS = 5  # the sources arrive over this many runs, so the Overview has recent runs


def _source_count(rng: random.Random) -> int:
    """How many sources ask one question: mostly one, a long tail up to 12."""
    roll = rng.random()
    return 1 if roll < 0.65 else 2 if roll < 0.85 else 3 if roll < 0.93 else 4 if roll < 0.97 else rng.randint(5, 12)


def build_bank(path: Path, clusters: int, seed: int = 7) -> dict[str, float]:
    """Write a warehouse of about `clusters` clusters at `path`; return counts and the load time."""
    rng = random.Random(seed)
    topics = [TopicRow(t.id, t.label, t.description, t.parent) for t in load_taxonomy(DATA_DIR / "taxonomy.yaml")]
    sources = [f"https://blog{s % 40}.example.org/interview/{s}" for s in range(max(20, clusters // 50))]
    per_run: list[dict[str, list[tuple]]] = [{} for _ in range(RUNS)]
    run_of_source = {uri: i * RUNS // len(sources) for i, uri in enumerate(sources)}
    for c in range(clusters):
        base = f"{rng.choice(OPENERS)} {' '.join(rng.sample(WORDS, 3))} number {c}?"
        kind, level = rng.choice(KINDS), rng.choice(LEVELS)
        tags = tuple(sorted({rng.choice(topics).topic for _ in range(rng.choice((1, 1, 2)))}))
        for n, uri in enumerate(rng.sample(sources, _source_count(rng))):
            text = rng.choice(REWORDINGS).format(q=base) if n else base
            answer = f"**{base}** In short: {' '.join(rng.sample(WORDS, 8))}." if rng.random() < 0.8 else None
            per_run[run_of_source[uri]].setdefault(uri, []).append((c, text, answer, kind, level, tags))

    wh = Warehouse(path)
    founders: dict[int, str] = {}  # generated cluster number -> founding question id
    founder_list: list[str] = []  # the same ids in order, to draw near misses from
    started, load_seconds = datetime(2026, 1, 1, 9, 0), 0.0
    for run in range(RUNS):
        results, questions, assignments, matches, tags_out, canonical = [], [], [], [], [], {}
        for uri, entries in per_run[run].items():
            items = []
            for position, (c, text, answer, kind, level, tags) in enumerate(entries):
                item = QAItem(uri, position, text, text, answer, answer, f"Section {position // 10}",
                              ("Questions", f"Section {position // 10}"), rule="bench", kind=kind, level=level)
                qid = question_id(uri, text)
                questions.append(Question(qid, item, text.lower()))
                items.append(item)
                if c not in founders:
                    founders[c] = qid
                    founder_list.append(qid)
                    canonical[cluster_id_for(qid)] = qid
                    assignments.append(ClusterAssignment(qid, cluster_id_for(qid), "new_cluster"))
                else:
                    score = round(rng.uniform(80, 100), 1)
                    assignments.append(ClusterAssignment(qid, cluster_id_for(founders[c]), "fuzzy:content_match"))
                    matches.append(Match(qid, founders[c], score, "token_set_ratio", True, "content_match"))
                if founders[c] != qid and rng.random() < 0.1:  # a near miss with another cluster's leader
                    other = rng.choice(founder_list)
                    if other != founders[c]:
                        matches.append(Match(qid, other, round(rng.uniform(70, 80), 1), "token_set_ratio", False,
                                             "below_threshold"))  # fmt: skip
                tags_out += [TopicTag(qid, t, 1.0, "bench") for t in tags]
            sha = f"{abs(hash((uri, run))):064x}"[:64]
            raw = RawDocument(uri, sha, "text/html", b"", started, etag=None)
            doc = StructuredDoc(uri, sha, "html", f"Interview questions {uri.rsplit('/', 1)[-1]}", (), {})
            results.append(SourceResult(uri, raw, doc, tuple(items)))
        results += [SourceResult(f"https://down{run}-{i}.example.org/q", None,
                                 failure=Failure(f"https://down{run}-{i}.example.org/q", "fetch",
                                                 "HTTP 503 from server; retry later")) for i in range(2)]  # fmt: skip
        info = RunInfo(f"r_{started:%Y%m%dT%H%M%S}_{run:04x}", started, "bench")
        tick = time.perf_counter()
        wh.load_run(info, results, questions, DedupeResult(tuple(assignments), tuple(matches), (), canonical),
                    tags_out, topics)  # fmt: skip
        load_seconds += time.perf_counter() - tick
        started += timedelta(hours=1)
    counts = row_counts(wh)
    return {"clusters": counts[0], "questions": counts[1], "sources": len(sources), "load_seconds": load_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True, help="warehouse file to create (must not exist)")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists; pick a new path")
    print(build_bank(args.out, args.clusters))


if __name__ == "__main__":
    main()
