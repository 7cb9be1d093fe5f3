"""Speed, memory and recall of normalize + dedupe on a generated corpus.

Usage: .venv/bin/python bench/dedup_scale/run.py [--sizes 100000 1000000] [--sample 20000] [--workers 2]

For each size, a child process generates the corpus, computes match keys and clusters it from an empty
bank, and reports wall time per stage and peak RSS (resource.getrusage, so the whole process counts).
Then, on a `--sample` corpus in this process:
- exhaustive: rapidfuzz `process.cdist` over all pairs of content keys (cutoff = threshold, exact since
  a pair needs that score to be accepted), every surviving pair decided by `verify.compare`;
- recall: the share of exhaustively accepted pairs that dedupe put in one cluster;
- speed: dedupe time beside the all-pairs cdist time.

The corpus: concepts built from modifiers x heads (so "X network" and "convolutional X network" both
exist: distractors), asked through many frames, with trailing context, filler and 1-letter typos.
Targets on the 2-core box: 1M < 10 min and < 4 GiB, recall >= 0.98, >= 50x faster than cdist at 20k.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from qbank.dedupe import dedupe, profile
from qbank.dedupe.cluster import _Bank, weak_lemmas
from qbank.dedupe.verify import SCORER, Profile, compare, same_word
from qbank.normalize import to_questions
from qbank.records import QAItem, Question
from qbank.settings import DedupeSettings

MODIFIERS = """convolutional recurrent graph sparse dense bayesian linear logistic polynomial hierarchical
stochastic adaptive residual recursive variational generative discriminative contrastive federated
distributed incremental online offline batch causal temporal spatial multimodal probabilistic robust
weighted regularized quantized pruned attention transformer kernel ensemble boosted bagged gradient
semantic lexical syntactic statistical bidirectional autoregressive masked denoising sequential parallel
""".split()
HEADS = """network model classifier regression clustering embedding encoder decoder optimizer scheduler
sampling estimator index join query transaction partition cache pipeline tokenizer parser vectorizer
metric loss layer activation normalization augmentation distillation retrieval ranking detection
segmentation forecasting imputation calibration initialization compression search inference
""".split()
FRAMES = [
    "What is {x}?", "What are {x}s?", "Explain {x}.", "Can you explain {x}?", "Could you briefly explain {x}?",
    "Describe {x}.", "What do you mean by {x}?", "What is {x} in machine learning?", "How does {x} work?",
    "Define {x}.", "Tell me about {x}.", "What is meant by {x}?", "Explain {x} with an example.",
    "Q{n}. What is {x}?", "{n}) Explain {x} in simple terms", "What's {x}?",
]
TAILS = ["", "", "", "", " and its benefits", " and how it is used", " and its applications", " in practice"]


def typo(word: str, rng: random.Random) -> str:
    """One dropped, doubled or swapped letter inside a long word."""
    if len(word) < 7:
        return word
    i = rng.randrange(2, len(word) - 2)
    op = rng.randrange(3)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def corpus(n: int, seed: int = 1) -> list[QAItem]:
    """n generated questions in sources of 50, about len(MODIFIERS)^2 * len(HEADS) concepts."""
    rng = random.Random(seed)
    items: list[QAItem] = []
    for i in range(n):
        head = rng.choice(HEADS)
        # One, two or no modifiers: "network", "graph network", "sparse graph network" are all different.
        mods = rng.sample(MODIFIERS, rng.choice((0, 1, 1, 2, 2, 2)))
        words = [*mods, head]
        if rng.random() < 0.1:
            j = rng.randrange(len(words))
            words[j] = typo(words[j], rng)
        text = rng.choice(FRAMES).format(x=" ".join(words), n=i % 40 + 1).replace("?", rng.choice(TAILS) + "?", 1)
        items.append(QAItem(source_uri=f"gen://source/{i // 50}", position=i % 50, question=text,
                            question_raw=text, answer_markdown="An answer." if rng.random() < 0.5 else None,
                            answer_text=None, section=None))
    return items


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(n: int) -> dict[str, float]:
    """Generate, normalize and dedupe n questions; return timings, counts and peak memory."""
    settings = DedupeSettings()
    t0 = time.perf_counter()
    items = corpus(n)
    t1, c1 = time.perf_counter(), time.process_time()
    questions = to_questions(items)
    t2, c2 = time.perf_counter(), time.process_time()
    result = dedupe(questions, [], settings)
    t3, c3 = time.perf_counter(), time.process_time()
    # CPU seconds beside wall seconds: the 2-core box is shared, so wall time varies with others' load.
    return {"n": n, "generate_s": t1 - t0, "normalize_s": t2 - t1, "dedupe_s": t3 - t2,
            "normalize_cpu_s": c2 - c1, "dedupe_cpu_s": c3 - c2,
            "clusters": len({a.cluster_id for a in result.assignments}), "matches": len(result.matches),
            "peak_rss_mib": peak_rss_mib()}


def exhaustive_pairs(
    questions: Sequence[Question], settings: DedupeSettings, workers: int
) -> tuple[dict[tuple[int, int], bool], float]:
    """All pairs the verifier accepts, by all-pairs cdist then compare; and the cdist time alone."""
    weak = weak_lemmas()
    profiles = [profile(q.match_key, weak) for q in questions]
    texts = [p.text for p in profiles]
    accepted: dict[tuple[int, int], bool] = {}  # pair -> the index would offer it as a candidate
    cdist_time = 0.0
    chunk = 2000  # rows per cdist call: a 20k x 20k matrix of uint8 would be 400 MB at once
    for start in range(0, len(texts), chunk):
        t = time.perf_counter()
        scores = process.cdist(texts[start : start + chunk], texts, scorer=getattr(fuzz, SCORER),
                               score_cutoff=settings.threshold, dtype=np.uint8, workers=workers)
        cdist_time += time.perf_counter() - t
        for i, j in zip(*np.nonzero(scores), strict=True):
            a, b = start + int(i), int(j)
            if a < b and compare(profiles[a], profiles[b], settings).accepted:
                accepted[(a, b)] = could_meet(profiles[a], profiles[b], settings)
    return accepted, cdist_time


def could_meet(a: Profile, b: Profile, settings: DedupeSettings) -> bool:
    """True when the dedupe index would offer b as a candidate for a (mirrors _Bank.candidates)."""
    full_a, partial_a = _Bank.block_keys(a)
    full_b, partial_b = _Bank.block_keys(b)
    if full_a == full_b or any(key == full_b for key, _ in partial_a) or any(key == full_a for key, _ in partial_b):
        return True
    lefts = dict(partial_b)
    return any(key in lefts and same_word(word, lefts[key], settings) for key, word in partial_a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--sample", type=int, default=20_000, help="recall/speed sample size; 0 skips it")
    parser.add_argument("--workers", type=int, default=-1, help="cdist threads (-1: all cores)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode: one size, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return

    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        total = r["generate_s"] + r["normalize_s"] + r["dedupe_s"]
        print(f"n={n:>9,}: normalize {r['normalize_s']:6.1f} s (cpu {r['normalize_cpu_s']:.1f})  "
              f"dedupe {r['dedupe_s']:6.1f} s (cpu {r['dedupe_cpu_s']:.1f})  "
              f"(generate {r['generate_s']:.1f} s, total {total:.1f} s)  peak RSS {r['peak_rss_mib']:,.0f} MiB  "
              f"clusters {r['clusters']:,}  matches {r['matches']:,}")

    if not args.sample:
        return
    settings = DedupeSettings()
    questions = to_questions(corpus(args.sample, seed=2))
    t, c = time.perf_counter(), time.process_time()
    result = dedupe(questions, [], settings)
    dedupe_time, dedupe_cpu = time.perf_counter() - t, time.process_time() - c
    accepted, cdist_time = exhaustive_pairs(questions, settings, args.workers)
    cluster = {a.question_id: a.cluster_id for a in result.assignments}
    together = sum(cluster[questions[a].question_id] == cluster[questions[b].question_id] for a, b in accepted)
    offered = sum(accepted.values())
    total = max(len(accepted), 1)
    print(f"sample {args.sample:,}: pairs the verifier accepts (exhaustive) {len(accepted):,}; "
          f"offered by the index {offered:,} (blocking recall {offered / total:.4f}); "
          f"in one cluster {together:,} ({together / total:.4f}; pairs that match different leaders stay apart: no chaining)")
    print(f"sample {args.sample:,}: dedupe {dedupe_time:.2f} s (cpu {dedupe_cpu:.2f})  vs  cdist all-pairs "
          f"({SCORER}, workers={args.workers}) {cdist_time:.1f} s  ->  {cdist_time / dedupe_time:.0f}x faster")


if __name__ == "__main__":
    main()
