"""Fit the pair model (qbank/dedupe/semantic.py) on our labelled pairs and write data/dedupe_model.json.

Usage: .venv/bin/python -m bench.dedup_quality.fit [--pairs PATH] [--out PATH] [--l2 1.0]

pairs.csv rows are `a,b,same,category`; `same` = 1 for one question in two wordings; a row with
category `related` (same = 0) asks about the same thing from another side ("What is X?" / "Why do we need
X?"). Only our own pairs are used: the labelled sets under ../shared stay held out for bench/dedup_quality/run.py.

- weights: L2-regularised logistic regression (Newton's method) over the features of semantic.FEATURES;
- accept: the probability that maximises F1 on these pairs (leave-one-out would change it little: 8 weights);
- modifier_veto: the rarity of a compound modifier from which a pair is never the same, whatever its
  probability: the loosest veto that keeps LOOKALIKES_APART of the hard_negative pairs apart. A linear
  model lets high cosine outweigh "convolutional" in "convolutional neural network"; the veto does not
  (precision first: a wrong merge hides a question, a missed one shows a duplicate);
- review: the probability above which 95% of the `same` pairs score (the gray zone is [review, accept));
- related_shared / related_cosine: the grid point maximising F1 of `related` among the pairs not same;
- cosine_only: the best single cosine threshold, used by the bench's "embeddings only" line.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qbank.dedupe import profile
from qbank.dedupe.rules import weak_lemmas
from qbank.dedupe.semantic import FEATURES, MODEL_PATH, PairEvidence, aspects, evidence, side, write_model
from qbank.embed import DIM, embed, model_name
from qbank.normalize import match_keys
from qbank.settings import DedupeSettings

HERE = Path(__file__).resolve().parent
LOOKALIKES_APART = 0.98  # share of the hard_negative pairs the modifier veto must keep apart


@dataclass(frozen=True, slots=True)
class Labelled:
    a: str
    b: str
    same: bool
    category: str


def read_pairs(path: Path) -> list[Labelled]:
    with path.open(encoding="utf-8") as f:
        return [Labelled(r["a"], r["b"], r["same"] == "1", r["category"]) for r in csv.DictReader(f)]


def pair_evidence(pairs: list[tuple[str, str]], settings: DedupeSettings) -> list[PairEvidence]:
    """Features of text pairs, computed as the deduper computes them (match keys, key embeddings)."""
    texts = [t for pair in pairs for t in pair]
    keys = match_keys(texts)
    vectors = embed(keys)
    weak, cues = weak_lemmas(), aspects()
    return [
        evidence(side(profile(keys[2 * i], weak), a, cues), side(profile(keys[2 * i + 1], weak), b, cues),
                 float(vectors[2 * i] @ vectors[2 * i + 1]), settings)
        for i, (a, b) in enumerate(pairs)
    ]  # fmt: skip


def logistic_fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (the bias is not penalised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.full(xb.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -40, 40)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    tp = float(np.sum(predicted & truth))
    return 2 * tp / (np.sum(predicted) + np.sum(truth)) if tp else 0.0


def best_cut(scores: np.ndarray, truth: np.ndarray) -> float:
    """The cut over observed scores (midpoints) that maximises F1 of `score >= cut`."""
    values = np.unique(scores)
    cuts = (values[:-1] + values[1:]) / 2 if len(values) > 1 else values
    return float(max(cuts, key=lambda c: (f1(scores >= c, truth), -abs(c - 0.5))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=HERE / "pairs.csv")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args()

    rows = read_pairs(args.pairs)
    ev = pair_evidence([(r.a, r.b) for r in rows], DedupeSettings())
    x = np.array([e.values for e in ev])
    y = np.array([r.same for r in rows])
    weights, bias = logistic_fit(x, y.astype(float), args.l2)
    p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    accept = best_cut(p, y)
    review = float(np.quantile(p[y], 0.05))
    review = min(review, accept - 0.05)
    modifier = x[:, FEATURES.index("modifier")]
    lookalike = np.array([r.category == "hard_negative" for r in rows])
    vetoes = [2.0] + [round(v, 2) for v in np.arange(1.0, 0.29, -0.05)]  # loosest first
    veto = next((v for v in vetoes if np.mean(~((p >= accept) & (modifier < v))[lookalike]) >= LOOKALIKES_APART),
                vetoes[-1])  # fmt: skip

    cosine = x[:, FEATURES.index("cosine")]
    cosine_only = best_cut(cosine, y)
    shared = np.array([e.shared for e in ev])
    related = np.array([r.category == "related" for r in rows])
    others = ~((p >= accept) & (modifier < veto))
    grid = [(s, c) for s in np.arange(0.3, 0.96, 0.05) for c in np.arange(0.3, 0.96, 0.05)]
    rel_shared, rel_cos = max(
        grid, key=lambda sc: (f1((shared >= sc[0]) & (cosine >= sc[1]) & others, related & others), sc[0], sc[1])
    )
    write_model(
        args.out, weights, bias, accept=round(accept, 4), review=round(max(review, 0.05), 4), modifier_veto=veto,
        related_shared=round(float(rel_shared), 2), related_cosine=round(float(rel_cos), 2),
        cosine_only=round(cosine_only, 4), embedding=model_name(DIM),
        fitted_on=f"{args.pairs.name}: {len(rows)} pairs, {int(y.sum())} same, {int(related.sum())} related",
    )  # fmt: skip
    print(f"wrote {args.out}")
    for name, w in zip(FEATURES, weights, strict=True):
        print(f"  {name:13s} {w:+.3f}")
    print(f"  bias          {bias:+.3f}")
    print(f"accept {accept:.3f}  modifier veto {veto}  review {review:.3f}  related: shared >= {rel_shared:.2f}, cosine >= {rel_cos:.2f}"
          f"  (cosine alone: {cosine_only:.3f})")
    print(f"on the training pairs: F1 {f1((p >= accept) & (modifier < veto), y):.3f}  "
          f"related F1 {f1((shared >= rel_shared) & (cosine >= rel_cos) & others, related & others):.3f}")


if __name__ == "__main__":
    main()
