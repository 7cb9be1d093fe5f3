"""Tagging and kind benchmark: topic precision/recall, kind accuracy and speed on labelled questions.

    .venv/bin/python -m bench.tagging.run [--taxonomy PATH] [--sample FILE ...] [--corpus DIR] [--misses SET]

Labelled sets (each row: topics, kind; expected topics are closed under the taxonomy's parents, like the
tagger's output, so a correct child never counts its implied parent as a false positive):
- `own dev`: bench/tagging/labelled.jsonl, questions we wrote; the taxonomy and thresholds were tuned on it;
- `own held-out`: bench/tagging/holdout.jsonl, written with the dev rows (every third question of a topic),
  never looked at while tuning;
- `corpus dev` / `corpus held-out`: questions of the real documents in ../shared/corpus, extracted by the
  pipeline (extract + split + classify) and matched to our labels (bench/tagging/corpus_labels.jsonl: document,
  question index, topics, kind; no text). Documents at odd positions in name order are held out;
- `corpus truth`: every labelled corpus question, from the truth file's text and heading (no answer), so
  the questions the extractor misses are tagged too;
- any `--sample FILE` (same JSONL shape as labelled.jsonl: question, topics, kind, optional section/answer).
A row may carry `section` (the heading above it) and `answer`: both reach the tagger and the classifier.

Also the share of the seed articles' questions (../shared/seeds, extracted and split) that get a topic.

Prints, per set: questions, micro precision / recall / F1 of topics, kind accuracy, share of questions with
no topic; the held-out sets together, split into questions with ML and with non-ML labels, and scored once
more with the embedding signal off ("terms only"); per topic over every set: P, R, F1, support; the weakest
topics; the kind confusions; and questions tagged (and classified) per CPU second. Targets: precision >= 0.90, recall >= 0.85,
kind >= 0.90, >= 5,000 questions/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qbank.classify import classify  # noqa: E402
from qbank.records import QAItem, Question, StructuredDoc  # noqa: E402
from qbank.settings import DATA_DIR, Settings  # noqa: E402
from qbank.tag import Tagger, _ancestors  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELLED = HERE / "labelled.jsonl"
HOLDOUT = HERE / "holdout.jsonl"
CORPUS_LABELS = HERE / "corpus_labels.jsonl"
CORPUS = HERE.parents[2] / "shared" / "corpus"
SEEDS = HERE.parents[2] / "shared" / "seeds"
TARGETS = {"precision": 0.90, "recall": 0.85, "kind": 0.90, "speed": 5000}
# The machine-learning ids (those of the first taxonomy): a question labelled with none of them is "non-ML".
ML_TOPICS = {"ml_fundamentals", "classical_ml", "deep_learning", "nlp", "transformers_llm", "computer_vision",
             "reinforcement_learning", "data_preparation", "math_stats", "evaluation", "optimization_training", "mlops",
             "recommender_systems", "time_series", "ethics"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled question as the tagger and classifier see it."""

    item: QAItem
    topics: frozenset[str]
    kind: str


@dataclass
class Tally:
    """Topic and kind counts of one labelled set."""

    n: int = 0
    untagged: int = 0
    kind_ok: int = 0
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)  # (expected, got) for wrong kinds
    misses: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.n += other.n
        self.untagged += other.untagged
        self.kind_ok += other.kind_ok
        for mine, theirs in ((self.tp, other.tp), (self.fp, other.fp), (self.fn, other.fn), (self.kinds, other.kinds)):
            mine.update(theirs)

    @property
    def precision(self) -> float:
        tp = sum(self.tp.values())
        return tp / max(1, tp + sum(self.fp.values()))

    @property
    def recall(self) -> float:
        tp = sum(self.tp.values())
        return tp / max(1, tp + sum(self.fn.values()))

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def kind(self) -> float:
        return self.kind_ok / max(1, self.n)


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sample_cases(path: Path) -> list[Case]:
    """Rows of a JSONL sample as classified items (kind from headings and wording, like the pipeline)."""
    rows = read_rows(path)
    items = []
    for i, row in enumerate(rows):
        section = row.get("section")
        items.append(QAItem(f"bench:{path.name}", i, row["question"], row["question"], row.get("answer"),
                            row.get("answer"), section, (section,) if section else ()))  # fmt: skip
    items = classify(items, StructuredDoc(f"bench:{path.name}", "0" * 64, "text", None, ()))
    return [Case(item, frozenset(r["topics"]), r.get("kind", "technical")) for item, r in zip(items, rows, strict=True)]


def corpus_cases(corpus: Path, labels: Path) -> tuple[dict[str, list[Case]], str]:
    """The corpus sets: extracted dev and held-out documents, and every labelled question from its truth text."""
    from bench.extraction.corpus import corpus_documents
    from bench.tagging.corpus import labelled_items, read_labels

    items, total, missed = labelled_items(corpus, labels)
    stems = sorted({li.doc for li in items} | {doc for doc, _ in read_labels(labels)})
    held = {stem for i, stem in enumerate(stems) if i % 2 == 1}
    sets: dict[str, list[Case]] = {"corpus dev": [], "corpus held-out": []}
    for li in items:
        sets["corpus held-out" if li.doc in held else "corpus dev"].append(Case(li.item, frozenset(li.topics), li.kind))

    truth_items, expected = [], []
    label_rows = read_labels(labels)
    for source, truth in corpus_documents(corpus):
        for j, q in enumerate(truth["questions"]):
            label = label_rows.get((source.stem, j))
            if label is None:
                continue
            path = tuple(p.strip() for p in (q.get("section_path") or "").split(">") if p.strip())
            section = q.get("section")
            text = q.get("question_nfkc") or q["question"]
            truth_items.append(QAItem(f"corpus:{source.stem}", j, text, text, None, None, section,
                                      path or ((section,) if section else ())))  # fmt: skip
            expected.append(label)
    truth_items = classify(truth_items, StructuredDoc("corpus", "0" * 64, "text", None, ()))
    sets["corpus truth"] = [Case(it, frozenset(r["topics"]), r["kind"]) for it, r in zip(truth_items, expected, strict=True)]
    note = f"corpus: {total} labelled questions, {total - missed} extracted by the pipeline, {missed} not extracted"
    return sets, note


def seed_coverage(tagger: Tagger, seeds: Path) -> tuple[int, int]:
    """(questions, questions with a topic) over the seed articles, extracted and split like an ingest."""
    import hashlib
    from datetime import datetime, timezone

    from bench.extraction.run import media_type
    from extractors import extract
    from qbank.records import RawDocument
    from qbank.settings import SplitSettings
    from qbank.split import split

    questions: list[Question] = []
    for path in sorted(p for p in seeds.glob("*") if p.is_file() and p.name != "README.md"):
        content = path.read_bytes()
        raw = RawDocument(str(path), hashlib.sha256(content).hexdigest(), media_type(path), content,
                          datetime.now(timezone.utc))  # fmt: skip
        doc = extract(raw)
        items = classify(split(doc, SplitSettings())[0], doc)
        questions += [Question(f"s{len(questions) + i}", item, item.question.lower()) for i, item in enumerate(items)]
    tagged = {t.question_id for t in tagger.tag(questions)}
    return len(questions), len(tagged)


def score(tagger: Tagger, cases: list[Case], keep_misses: bool) -> Tally:
    parents = {t.id: t.parent for t in tagger.topics}
    unknown = {t for c in cases for t in c.topics} - parents.keys()
    if unknown:
        raise SystemExit(f"labelled topics not in the taxonomy: {sorted(unknown)}")
    questions = [Question(f"q{i}", c.item, c.item.question.lower()) for i, c in enumerate(cases)]
    predicted: dict[str, set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], str] = {}
    for tag in tagger.tag(questions):
        predicted[tag.question_id].add(tag.topic)
        evidence[(tag.question_id, tag.topic)] = tag.evidence
    tally = Tally(n=len(cases))
    for i, case in enumerate(cases):
        expected = {a for t in case.topics for a in (t, *_ancestors(t, parents))}
        got = predicted[f"q{i}"]
        tally.untagged += not got
        tally.tp.update(got & expected)
        tally.fp.update(got - expected)
        tally.fn.update(expected - got)
        if case.item.kind == case.kind:
            tally.kind_ok += 1
        else:
            tally.kinds[(case.kind, case.item.kind)] += 1
        if keep_misses and (got != expected or case.item.kind != case.kind):
            why = "; ".join(f"{t}: {evidence[(f'q{i}', t)]}" for t in sorted(got))
            kind = "" if case.item.kind == case.kind else f" kind {case.kind}->{case.item.kind}"
            tally.misses.append(f"  miss {sorted(expected - got)} extra {sorted(got - expected)}{kind}: "
                                f"{case.item.question[:110]} [{case.item.section}] ({why})")  # fmt: skip
    return tally


def throughput(tagger: Tagger, cases: list[Case], n: int) -> tuple[float, float]:
    """Questions tagged per CPU second (question + ~90-word answer + section), and classified per CPU second.

    The machine is shared: CPU time is the stable figure. The labelled questions are cycled through; each
    gets an answer of ~90 words of real questions and a heading.
    """
    answer = " ".join(c.item.question for c in cases[:8])
    items = [QAItem("bench", i, c.item.question, c.item.question, answer, answer, c.item.section or f"Part {i % 40}")
             for i, c in enumerate(cases[j % len(cases)] for j in range(n))]  # fmt: skip
    questions = [Question(f"t{i}", item, item.question.lower()) for i, item in enumerate(items)]
    tagger.tag(questions[:500])  # warm-up
    cpu = time.process_time()
    tagger.tag(questions)
    tag_rate = n / (time.process_time() - cpu)
    cpu = time.process_time()
    classify(items, StructuredDoc("bench", "0" * 64, "text", None, ()))
    return tag_rate, n / (time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", type=Path, default=DATA_DIR / "taxonomy.yaml")
    parser.add_argument("--sample", type=Path, action="append", default=[], help="another labelled JSONL file")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--corpus-labels", type=Path, default=CORPUS_LABELS)
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="articles whose questions should all get a topic")
    parser.add_argument("--n", type=int, default=20000, help="questions for the throughput run")
    parser.add_argument("--misses", action="append", default=[], help="list the misses of this set (repeatable)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    tagger = Tagger.from_taxonomy(args.taxonomy, Settings().tag)
    build = time.perf_counter() - t0
    sets: dict[str, list[Case]] = {"own dev": sample_cases(LABELLED), "own held-out": sample_cases(HOLDOUT)}
    note = None
    if (args.corpus / "truth").is_dir() and args.corpus_labels.is_file():
        corpus_sets, note = corpus_cases(args.corpus, args.corpus_labels)
        sets.update(corpus_sets)
    for path in args.sample:
        sets[path.name] = sample_cases(path)

    print(f"taxonomy: {len(tagger.topics)} topics; tagger built in {build:.1f} s"
          f"{'' if tagger.settings.use_embeddings else ' (embeddings off)'}")
    if note:
        print(note)
    print(f"{'set':<18}{'n':>6}{'P':>8}{'R':>8}{'F1':>8}{'kind':>8}{'no topic':>10}")
    overall = Tally()
    tallies = {}
    for name, cases in sets.items():
        tally = score(tagger, cases, name in args.misses)
        tallies[name] = tally
        if name != "corpus truth":  # the same questions as the two extracted corpus sets: count them once
            overall.add(tally)
        print(f"{name:<18}{tally.n:>6}{tally.precision:>8.3f}{tally.recall:>8.3f}{tally.f1:>8.3f}{tally.kind:>8.3f}"
              f"{tally.untagged / max(1, tally.n):>10.1%}")  # fmt: skip
    held = Tally()
    for name in ("own held-out", "corpus held-out"):
        if name in tallies:
            held.add(tallies[name])
    held_cases = [c for name in ("own held-out", "corpus held-out") for c in sets.get(name, [])]
    ml = score(tagger, [c for c in held_cases if c.topics & ML_TOPICS], False)
    non_ml = score(tagger, [c for c in held_cases if not c.topics & ML_TOPICS], False)
    plain = Tagger(tagger.topics, tagger.settings.model_copy(update={"use_embeddings": False}))
    terms_only = score(plain, held_cases, False)
    for name, tally in (("all held-out", held), ("  ML labels", ml), ("  non-ML labels", non_ml),
                        ("  terms only", terms_only), ("all (no truth)", overall)):  # fmt: skip
        print(f"{name:<18}{tally.n:>6}{tally.precision:>8.3f}{tally.recall:>8.3f}{tally.f1:>8.3f}{tally.kind:>8.3f}"
              f"{tally.untagged / max(1, tally.n):>10.1%}")  # fmt: skip

    print(f"\nper topic (every set but corpus truth)\n  {'topic':<28}{'P':>6}{'R':>6}{'F1':>6}{'support':>9}")
    rows = []
    for topic in sorted({t.id for t in tagger.topics}):
        tp, fp, fn = overall.tp[topic], overall.fp[topic], overall.fn[topic]
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        rows.append((2 * p * r / (p + r) if p + r else 0.0, topic, p, r, tp + fn))
    for f1, topic, p, r, support in sorted(rows, key=lambda row: (row[0], row[1])):
        print(f"  {topic:<28}{p:>6.2f}{r:>6.2f}{f1:>6.2f}{support:>9}")
    weakest = [topic for f1, topic, *_ in sorted(rows)[:5]]
    print(f"weakest topics (F1): {', '.join(weakest)}")
    confusions = ", ".join(f"{e}->{g} {n}" for (e, g), n in overall.kinds.most_common(8))
    print(f"kind confusions (expected->got): {confusions or 'none'}")

    for name in args.misses:
        if name in tallies:
            print(f"\nmisses of {name}:")
            print("\n".join(tallies[name].misses))

    if args.seeds.is_dir():
        total, tagged = seed_coverage(tagger, args.seeds)
        print(f"\nseeds: {tagged} of {total} questions tagged ({tagged / max(1, total):.1%} coverage)")

    all_cases = [c for cases in sets.values() for c in cases]
    tag_rate, classify_rate = throughput(tagger, all_cases, args.n)
    print(f"\nthroughput: {tag_rate:,.0f} questions tagged per CPU second (question + ~90-word answer + section); "
          f"{classify_rate:,.0f} classified per CPU second")  # fmt: skip
    met = {
        "precision": held.precision >= TARGETS["precision"],
        "recall": held.recall >= TARGETS["recall"],
        "kind": held.kind >= TARGETS["kind"],
        "speed": tag_rate >= TARGETS["speed"],
    }
    print("targets on the held-out sets: " + ", ".join(f"{k} {'met' if ok else 'NOT met'}" for k, ok in met.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
