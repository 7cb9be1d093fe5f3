"""Pair quality of the deduper on every labelled set: fuzzy only, embeddings only and the combined model.

Usage: .venv/bin/python -m bench.dedup_quality.run [--errors SET]

Labelled sets (the last two are read at run time from ../shared and never copied into the repository):
- `ours`: bench/dedup_quality/pairs.csv (the pairs the model is fitted on: its figures are training figures);
- `seed`: ../shared/pairs/seed_pairs.json: 236 questions; `same` pairs are duplicates, `partial` pairs are
  left out (neither), every other pair of the 236 is different; scored over all pairs, and again as
  clusters (the questions deduped together, a pair is predicted same when both land in one cluster);
- `corpus`: ../shared/corpus/truth/_dedup_pairs.json: same pairs and look-alike different pairs.

Deciders: `fuzzy only` = verify.compare (rapidfuzz score + subset/key-term guards, the deduper before the
model); `embeddings only` = cosine of the match-key embeddings >= the model file's `cosine_only`; `combined`
= the pair model (qbank/dedupe/semantic.py, data/dedupe_model.json). Look-alikes: for `ours` the
hard_negative rows, for `corpus` its different pairs, for `seed` the different pairs with cosine >= 0.8.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np

from bench.dedup_quality.fit import HERE, pair_evidence, read_pairs
from qbank.dedupe import compare, dedupe, profile
from qbank.dedupe.rules import weak_lemmas
from qbank.dedupe.semantic import load_model
from qbank.normalize import match_keys, matching_text, to_questions
from qbank.records import QAItem
from qbank.settings import DedupeSettings, REPO_ROOT

SHARED = REPO_ROOT.parent / "shared"


def prf(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(predicted & truth))
    precision = tp / max(float(np.sum(predicted)), 1.0)
    recall = tp / max(float(np.sum(truth)), 1.0)
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def labelled_sets() -> dict[str, tuple[list[tuple[str, str]], np.ndarray, np.ndarray | None]]:
    """name -> (pairs, truth, look-alike mask or None to derive it from the cosine)."""
    rows = read_pairs(HERE / "pairs.csv")
    sets = {"ours": ([(r.a, r.b) for r in rows], np.array([r.same for r in rows]),
                     np.array([r.category == "hard_negative" for r in rows]))}  # fmt: skip
    seed_path = SHARED / "pairs" / "seed_pairs.json"
    if seed_path.exists():
        seed = json.loads(seed_path.read_text(encoding="utf-8"))
        text = {q["id"]: q["text"] for q in seed["questions"]}
        labels = {frozenset((a, b)): label for a, b, label in seed["duplicate_pairs"]}
        pairs, truth = [], []
        for a, b in combinations(sorted(text), 2):
            label = labels.get(frozenset((a, b)), "different")
            if label != "partial":
                pairs.append((text[a], text[b]))
                truth.append(label == "same")
        sets["seed"] = (pairs, np.array(truth), None)
    corpus_path = SHARED / "corpus" / "truth" / "_dedup_pairs.json"
    if corpus_path.exists():
        data = json.loads(corpus_path.read_text(encoding="utf-8"))
        # a sub-question is matched with its stem, as the pipeline does (qbank.normalize.matching_text)
        pairs = [(matching_text(p["a"]["question"], p["a"].get("parent")),
                  matching_text(p["b"]["question"], p["b"].get("parent")))
                 for group in ("same", "different") for p in data[group]]
        truth = np.array([True] * len(data["same"]) + [False] * len(data["different"]))
        sets["corpus"] = (pairs, truth, ~truth)
    return sets


def seed_clusters(settings: DedupeSettings) -> tuple[float, float, float] | None:
    """P/R/F1 of the seed questions deduped together (one source per seed file), partial pairs left out."""
    path = SHARED / "pairs" / "seed_pairs.json"
    if not path.exists():
        return None
    seed = json.loads(path.read_text(encoding="utf-8"))
    items = [QAItem(source_uri=q["id"].split("#")[0], position=i, question=q["text"], question_raw=q["text"],
                    answer_markdown=None, answer_text=None, section=None) for i, q in enumerate(seed["questions"])]  # fmt: skip
    questions = to_questions(items)
    cluster = {a.question_id: a.cluster_id for a in dedupe(questions, [], settings).assignments}
    of = {q["id"]: cluster[qq.question_id] for q, qq in zip(seed["questions"], questions, strict=True)}
    labels = {frozenset((a, b)): label for a, b, label in seed["duplicate_pairs"]}
    predicted, truth = [], []
    for a, b in combinations(sorted(of), 2):
        label = labels.get(frozenset((a, b)), "different")
        if label != "partial":
            predicted.append(of[a] == of[b])
            truth.append(label == "same")
    return prf(np.array(predicted), np.array(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", metavar="SET", help="list the pairs the combined model gets wrong in SET")
    args = parser.parse_args()
    settings, model = DedupeSettings(), load_model()
    weak = weak_lemmas()
    cosine_only = json.loads(Path(REPO_ROOT / "data" / "dedupe_model.json").read_text())["cosine_only"]
    print(f"model: {model.fitted_on}; accept P >= {model.accept}, embeddings only: cosine >= {cosine_only}")
    print(f"{'set':7s} {'pairs':>6s} {'same':>5s}  {'decider':16s} {'precision':>9s} {'recall':>7s} {'F1':>6s} "
          f"{'look-alikes apart':>18s}")  # fmt: skip
    for name, (pairs, truth, lookalike) in labelled_sets().items():
        ev = pair_evidence(pairs, settings)
        cosine = np.array([e.get("cosine") for e in ev])
        if lookalike is None:
            lookalike = ~truth & (cosine >= 0.8)
        keys = match_keys([t for pair in pairs for t in pair])
        fuzzy = np.array([compare(profile(keys[2 * i], weak), profile(keys[2 * i + 1], weak), settings).accepted
                          for i in range(len(pairs))])  # fmt: skip
        prob = np.array([model.probability(e) for e in ev])
        combined = np.array([model.level(e, pr) == "same" for e, pr in zip(ev, prob, strict=True)])
        deciders: dict[str, np.ndarray] = {"fuzzy only": fuzzy, "embeddings only": cosine >= cosine_only,
                                           "combined": combined}  # fmt: skip
        for label, predicted in deciders.items():
            p, r, f = prf(predicted, truth)
            apart = float(np.mean(~predicted[lookalike])) if lookalike.any() else float("nan")
            print(f"{name:7s} {len(pairs):6d} {int(truth.sum()):5d}  {label:16s} {p:9.3f} {r:7.3f} {f:6.3f} "
                  f"{apart:11.3f} ({int(lookalike.sum())})")  # fmt: skip
        if args.errors == name:
            show: Callable[[int], str] = lambda i: f"P={prob[i]:.2f} cos={cosine[i]:.2f} {model.rule(ev[i], prob[i])}"
            for i in np.flatnonzero(combined != truth):
                kind = "missed" if truth[i] else "false match"
                print(f"    {kind:11s} {show(i)}: {pairs[i][0]!r} ~ {pairs[i][1]!r}")
    result = seed_clusters(settings)
    if result:
        print(f"seed as clusters (dedupe of the 236 questions): precision {result[0]:.3f}  recall {result[1]:.3f}  "
              f"F1 {result[2]:.3f}")


if __name__ == "__main__":
    main()
