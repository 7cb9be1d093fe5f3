"""Speed, memory and recall of normalize + embed + dedupe on generated corpora.

Usage: .venv/bin/python -m bench.dedup_scale.run [--sizes 100000 1000000] [--templated 100000] [--sample 4000]

For each size, a child process generates the corpus, computes match keys, embeds the distinct keys
(qbank/embed.py, wordllama) and clusters it from an empty bank, and reports wall and CPU seconds per
stage and peak RSS (resource.getrusage, so the whole process counts). The machine is shared: CPU seconds
are the steadier figure when other sessions load the 2 cores.
- `--templated N`: the worst case of issue 14: N questions that differ in one token ("What is item number
  N in a linked list?"), which once made one candidate block of all of them.
- `--sample N` (in this process): exhaustive = every pair of N generated questions whose embedding cosine
  is >= settings.min_cosine, decided by the pair model (below that cosine a pair is never scored);
  recall = the share of the exhaustively accepted pairs that dedupe put in one cluster (no chaining: a
  pair whose two sides joined different leaders stays apart); and the share of members the model scores
  at least gray (P >= review) with their cluster's leader (1.0: clusters do not drift).

The corpus: concepts built from modifiers x heads (so "X network" and "convolutional X network" both
exist: distractors), asked through many frames, with trailing context, filler and 1-letter typos.
Targets on the 2-core box (issue 15): 100k <= 60 s and 1M <= 10 min incl. embedding, <= 4 GiB; recall >= 0.98.
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

from qbank.dedupe import dedupe, profile
from qbank.dedupe.cluster import cluster_id_for
from qbank.dedupe.rules import weak_lemmas
from qbank.dedupe.semantic import aspects, evidence, load_model, side
from qbank.dedupe.vectors import key_vectors
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


def templated(n: int) -> list[QAItem]:
    """n questions that differ in one number (issue 14, finding 3)."""
    return [QAItem(source_uri=f"gen://templated/{i // 100}", position=i % 100,
                   question=f"What is item number {i} in a linked list?", question_raw=f"item {i}",
                   answer_markdown=None, answer_text=None, section=None) for i in range(n)]  # fmt: skip


def run_one(n: int, kind: str) -> dict[str, float]:
    """Generate, normalize, embed and dedupe n questions; return timings, counts and peak memory."""
    settings = DedupeSettings()
    t0 = time.perf_counter()
    items = corpus(n) if kind == "generated" else templated(n)
    stamps = [(time.perf_counter(), time.process_time())]
    questions = to_questions(items)
    stamps.append((time.perf_counter(), time.process_time()))
    vectors = key_vectors([q.match_key for q in questions])
    stamps.append((time.perf_counter(), time.process_time()))
    result = dedupe(questions, [], settings, vectors=vectors)
    stamps.append((time.perf_counter(), time.process_time()))
    out: dict[str, float] = {"n": n, "generate_s": stamps[0][0] - t0, "keys": len(vectors.rows)}
    for i, stage in enumerate(("normalize", "embed", "dedupe")):
        out[f"{stage}_s"] = stamps[i + 1][0] - stamps[i][0]
        out[f"{stage}_cpu_s"] = stamps[i + 1][1] - stamps[i][1]
    out.update(clusters=len({a.cluster_id for a in result.assignments}), matches=len(result.matches),
               related=len(result.related), capped=result.capped_blocks, peak_rss_mib=peak_rss_mib())  # fmt: skip
    return out


def exhaustive(questions: Sequence[Question], settings: DedupeSettings) -> tuple[list[tuple[int, int]], float]:
    """Every pair with cosine >= min_cosine that the pair model accepts; and the time it took."""
    model, weak, cues = load_model(), weak_lemmas(), aspects()
    vectors = key_vectors([q.match_key for q in questions])
    rows = np.array([vectors.rows[q.match_key] for q in questions])
    matrix = vectors.matrix[rows]
    sides = [side(profile(q.match_key, weak), q.item.question, cues) for q in questions]
    t = time.perf_counter()
    accepted = []
    for start in range(0, len(questions), 1000):
        sims = matrix[start : start + 1000] @ matrix.T
        for i, j in zip(*np.nonzero(sims >= settings.min_cosine), strict=True):
            a, b = start + int(i), int(j)
            if a < b:
                if questions[a].match_key == questions[b].match_key:
                    accepted.append((a, b))
                    continue
                ev = evidence(sides[a], sides[b], float(sims[i, j]), settings)
                if model.level(ev, model.probability(ev)) == "same":
                    accepted.append((a, b))
    return accepted, time.perf_counter() - t


def leader_bound(questions: Sequence[Question], result, settings: DedupeSettings) -> float:
    """Share of members the model scores at least gray (P >= review) with their cluster's founder."""
    model, weak, cues = load_model(), weak_lemmas(), aspects()
    vectors = key_vectors([q.match_key for q in questions])
    by_id = {q.question_id: q for q in questions}
    # the founder of a surviving cluster gave it its id (an absorbed cluster's founder did not)
    founder = {a.cluster_id: a.question_id for a in result.assignments if cluster_id_for(a.question_id) == a.cluster_id}
    ok = total = 0
    for a in result.assignments:
        lead = founder.get(a.cluster_id)
        if lead is None or lead == a.question_id:
            continue
        q, l = by_id[a.question_id], by_id[lead]
        total += 1
        if q.match_key == l.match_key:
            ok += 1
            continue
        ev = evidence(side(profile(q.match_key, weak), q.item.question, cues),
                      side(profile(l.match_key, weak), l.item.question, cues),
                      float(vectors.of(q.match_key) @ vectors.of(l.match_key)), settings)  # fmt: skip
        ok += model.probability(ev) >= model.review
    return ok / max(total, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--templated", type=int, nargs="*", default=[100_000])
    parser.add_argument("--sample", type=int, default=4000, help="recall sample size; 0 skips it")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # child mode: kind size, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(int(args.one[1]), args.one[0])))
        return

    runs = [("generated", n) for n in args.sizes] + [("templated", n) for n in args.templated]
    for kind, n in runs:
        out = subprocess.run([sys.executable, "-m", "bench.dedup_scale.run", "--one", kind, str(n)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        r = json.loads(out.stdout)
        total = r["normalize_s"] + r["embed_s"] + r["dedupe_s"]
        cpu = r["normalize_cpu_s"] + r["embed_cpu_s"] + r["dedupe_cpu_s"]
        print(f"{kind:9s} n={n:>9,}: normalize {r['normalize_s']:6.1f} s (cpu {r['normalize_cpu_s']:.1f})  "
              f"embed {r['embed_s']:6.1f} s (cpu {r['embed_cpu_s']:.1f}; {r['keys']:,} keys)  "
              f"dedupe {r['dedupe_s']:6.1f} s (cpu {r['dedupe_cpu_s']:.1f})  total {total:.1f} s (cpu {cpu:.1f})  "
              f"peak RSS {r['peak_rss_mib']:,.0f} MiB  clusters {r['clusters']:,}  related {r['related']:,}  "
              f"capped blocks {r['capped']}")  # fmt: skip

    if not args.sample:
        return
    settings = DedupeSettings()
    questions = to_questions(corpus(args.sample, seed=2))
    t = time.perf_counter()
    result = dedupe(questions, [], settings)
    dedupe_time = time.perf_counter() - t
    accepted, exhaustive_time = exhaustive(questions, settings)
    cluster = {a.question_id: a.cluster_id for a in result.assignments}
    together = sum(cluster[questions[a].question_id] == cluster[questions[b].question_id] for a, b in accepted)
    print(f"sample {args.sample:,}: pairs the model accepts (exhaustive over cosine >= {settings.min_cosine}) "
          f"{len(accepted):,}; in one cluster {together:,} (recall {together / max(len(accepted), 1):.4f}); "
          f"members at least gray with their leader {leader_bound(questions, result, settings):.4f}")
    print(f"sample {args.sample:,}: dedupe {dedupe_time:.2f} s (embedding included)  vs  exhaustive model scoring "
          f"{exhaustive_time:.1f} s (pairs with cosine >= {settings.min_cosine} only)")


if __name__ == "__main__":
    main()
