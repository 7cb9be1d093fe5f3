"""Pair-level quality of the deduper on our labelled pairs, beside the best rapidfuzz-only baseline.

Usage: .venv/bin/python bench/dedup_quality/run.py [--pairs PATH] [--threshold N] [--errors]

pairs.csv holds interview questions across ML/AI/Python/SQL/statistics/behavioral topics: `same` = 1 for
paraphrases of one question, 0 for different questions (hard negatives: k-means vs kNN, L1 vs L2, neural
network vs convolutional neural network; and pairs of different questions that share a word).
The baseline is each rapidfuzz scorer alone at its best threshold on these very pairs (an upper bound:
its threshold is tuned on the test set, ours is the configured default).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from rapidfuzz import fuzz, utils

from qbank.dedupe import compare, profile
from qbank.dedupe.cluster import weak_lemmas
from qbank.normalize import match_keys
from qbank.settings import DedupeSettings

HERE = Path(__file__).resolve().parent
BASELINE_SCORERS = ("ratio", "token_sort_ratio", "token_set_ratio", "WRatio", "QRatio", "partial_ratio")


def prf(predicted: list[bool], truth: list[bool]) -> tuple[float, float, float]:
    """Precision, recall and F1 of predicted positives."""
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(scores: list[float], truth: list[bool]) -> tuple[float, tuple[float, float, float]]:
    """The threshold (over observed scores) maximising F1, and its P/R/F1."""
    best = (0.0, (0.0, 0.0, 0.0))
    for cut in sorted(set(scores)):
        result = prf([s >= cut for s in scores], truth)
        if result[2] > best[1][2]:
            best = (cut, result)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=HERE / "pairs.csv")
    parser.add_argument("--threshold", type=float, default=None, help="override DedupeSettings.threshold")
    parser.add_argument("--errors", action="store_true", help="list the pairs we get wrong")
    args = parser.parse_args()

    settings = DedupeSettings() if args.threshold is None else DedupeSettings(threshold=args.threshold)
    with args.pairs.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    truth = [row["same"] == "1" for row in rows]
    keys = match_keys([t for row in rows for t in (row["a"], row["b"])])
    weak = weak_lemmas()
    verdicts = [compare(profile(keys[2 * i], weak), profile(keys[2 * i + 1], weak), settings) for i in range(len(rows))]
    predicted = [v.accepted for v in verdicts]

    positives = sum(truth)
    print(f"pairs: {len(rows)}  same: {positives}  different: {len(rows) - positives}")
    p, r, f = prf(predicted, truth)
    print(f"qbank (threshold {settings.threshold:g}):  precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")

    print("rapidfuzz alone, best threshold chosen on these pairs:")
    best_f1 = 0.0
    for name in BASELINE_SCORERS:
        scorer = getattr(fuzz, name)
        for label, pairs in (("raw", [(row["a"], row["b"]) for row in rows]),
                             ("match key", [(keys[2 * i], keys[2 * i + 1]) for i in range(len(rows))])):
            scores = [scorer(a, b, processor=utils.default_process if label == "raw" else None) for a, b in pairs]
            cut, (bp, br, bf) = best_threshold(scores, truth)
            best_f1 = max(best_f1, bf)
            print(f"  {name:17s} on {label:9s} @ {cut:5.1f}:  precision {bp:.3f}  recall {br:.3f}  F1 {bf:.3f}")
    print(f"best rapidfuzz-only F1: {best_f1:.3f}   qbank F1: {f:.3f}")

    wrong = Counter(row["category"] for row, pr, t in zip(rows, predicted, truth, strict=True) if pr != t)
    print("errors by category:", dict(wrong) or "none")
    if args.errors:
        for row, v, t in zip(rows, verdicts, truth, strict=True):
            if v.accepted != t:
                kind = "missed" if t else "false match"
                print(f"  {kind:11s} {v.rule:32s} {row['a']!r} ~ {row['b']!r}")


if __name__ == "__main__":
    main()
