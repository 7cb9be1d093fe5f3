"""Tagging benchmark: quality on our hand-labelled sample, coverage on the seed articles, throughput.

    .venv/bin/python bench/tagging/run.py [--taxonomy PATH] [--seeds DIR] [--n 20000]

Prints coverage (share of questions with >= 1 topic), micro precision/recall and per-topic P/R/support on
bench/tagging/labelled.jsonl (the taxonomy was tuned on it), the same micro figures on holdout.jsonl
(written after tuning, never tuned on); coverage on the seeds' questions; questions tagged per second.
Expected topics are closed under the taxonomy's parents, like the tagger's output ("transformers_llm"
implies "deep_learning"), so a correct child never counts its implied parent as a false positive.
Targets: coverage >= 97% on the seeds, precision >= 0.90 and recall >= 0.80 on the sample, >= 5,000 q/s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qbank.records import QAItem, Question, RawDocument  # noqa: E402
from qbank.settings import DATA_DIR, Settings  # noqa: E402
from qbank.tag import Tagger, _ancestors  # noqa: E402

LABELLED = Path(__file__).with_name("labelled.jsonl")  # the sample the taxonomy was tuned on
HOLDOUT = Path(__file__).with_name("holdout.jsonl")  # written after tuning, never tuned on: the honest figure
SEEDS = REPO.parent / "shared" / "seeds"


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_question(i: int, text: str, answer: str | None = None, section: str | None = None) -> Question:
    return Question(f"q{i}", QAItem("bench", i, text, text, answer, answer, section), text.lower())


def score_sample(tagger: Tagger, rows: list[dict]) -> dict:
    """Micro and per-topic precision/recall of the tagger against the labelled rows."""
    parents = {t.id: t.parent for t in tagger.topics}
    unknown = {t for r in rows for t in r["topics"]} - parents.keys()
    if unknown:
        raise SystemExit(f"labelled topics not in the taxonomy: {sorted(unknown)}")
    predicted: dict[str, set[str]] = defaultdict(set)
    for tag in tagger.tag([as_question(i, r["question"]) for i, r in enumerate(rows)]):
        predicted[tag.question_id].add(tag.topic)
    tp, fp, fn = Counter(), Counter(), Counter()
    misses = []
    for i, row in enumerate(rows):
        expected = {a for t in row["topics"] for a in [t, *_ancestors(t, parents)]}
        got = predicted[f"q{i}"]
        for t in got & expected:
            tp[t] += 1
        for t in got - expected:
            fp[t] += 1
        for t in expected - got:
            fn[t] += 1
        if got != expected:
            misses.append((row["question"], sorted(expected - got), sorted(got - expected)))
    topics = sorted(parents)
    return {
        "coverage": sum(1 for i in range(len(rows)) if predicted[f"q{i}"]) / len(rows),
        "precision": sum(tp.values()) / max(1, sum(tp.values()) + sum(fp.values())),
        "recall": sum(tp.values()) / max(1, sum(tp.values()) + sum(fn.values())),
        "per_topic": {
            t: (tp[t] / max(1, tp[t] + fp[t]), tp[t] / max(1, tp[t] + fn[t]), tp[t] + fn[t]) for t in topics
        },
        "misses": misses,
    }


def seed_questions(seeds: Path) -> tuple[list[Question], str]:
    """The seeds' questions with answer and section, via extract + split; a line heuristic if those fail."""
    files = sorted(p for p in seeds.glob("*") if p.name != "README.md" and p.is_file())
    try:
        from extractors import extract
        from qbank.split import split

        questions: list[Question] = []
        for path in files:
            content = path.read_bytes()
            raw = RawDocument(str(path), hashlib.sha256(content).hexdigest(), "text/plain", content,
                              datetime.now(timezone.utc))  # fmt: skip
            items, _ = split(extract(raw), Settings().split)
            questions += [Question(f"s{len(questions) + j}", item, item.question) for j, item in enumerate(items)]
        return questions, "extractors.extract + qbank.split"
    except Exception as error:  # the bench must still report when a stage is missing or broken
        lines = [
            re.sub(r"^\s*(?:[-•*]\s*|\d+\.\s*)", "", line).strip(" *")
            for path in files
            for line in path.read_text(encoding="utf-8").splitlines()
        ]
        picked = [q for q in lines if q.endswith("?") or re.match(r"(Explain|Describe)\b", q)]
        return [as_question(i, q) for i, q in enumerate(picked)], f"line heuristic ({error.__class__.__name__}: {error})"


def throughput(tagger: Tagger, rows: list[dict], n: int, with_answers: bool) -> tuple[float, float]:
    """Questions per second of wall time and of CPU time (the machine is shared: CPU time is the stable one)."""
    answer = " ".join(r["question"] for r in rows[:8]) if with_answers else None  # ~90 words of real vocabulary
    qs = [as_question(i, rows[i % len(rows)]["question"], answer, f"Section {i % 40}") for i in range(n)]
    wall, cpu = time.perf_counter(), time.process_time()
    tagger.tag(qs)
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=DATA_DIR / "taxonomy.yaml")
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--n", type=int, default=20000, help="questions for the throughput run")
    parser.add_argument("--misses", action="store_true", help="list every mis-tagged sample question")
    args = parser.parse_args()

    tagger = Tagger.from_taxonomy(args.taxonomy, Settings().tag)
    for path, per_topic in ((LABELLED, True), (HOLDOUT, False)):
        rows = read_rows(path)
        result = score_sample(tagger, rows)
        print(f"{path.name}: {len(rows)} labelled questions")
        print(f"  coverage {result['coverage']:.1%}  precision {result['precision']:.3f}  recall {result['recall']:.3f}")
        if per_topic:
            print(f"  {'topic':<24}{'P':>7}{'R':>7}{'support':>9}")
            for topic, (p, r, support) in sorted(result["per_topic"].items(), key=lambda kv: kv[1][1]):
                print(f"  {topic:<24}{p:>7.2f}{r:>7.2f}{support:>9}")
        if args.misses:
            for question, missed, extra in result["misses"]:
                print(f"  miss {missed} extra {extra}: {question}")

    if args.seeds.is_dir():
        questions, how = seed_questions(args.seeds)
        tagged = {t.question_id for t in tagger.tag(questions)}
        print(f"seeds: {len(questions)} questions ({how})")
        print(f"  coverage {len(tagged) / max(1, len(questions)):.1%}")
        for q in questions:
            if q.question_id not in tagged:
                print(f"  untagged: {q.item.question[:100]}")
    else:
        print(f"seeds: {args.seeds} not found, skipped")

    rows = read_rows(LABELLED)
    throughput(tagger, rows, 500, True)  # warm-up: tokenizer cache, vocab
    for with_answers, what in ((False, "question + section"), (True, "question + ~90-word answer + section")):
        wall, cpu = throughput(tagger, rows, args.n, with_answers)
        print(f"throughput ({what}): {cpu:,.0f} questions per CPU second, {wall:,.0f} per wall second")


if __name__ == "__main__":
    main()
