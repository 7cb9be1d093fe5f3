"""Extraction quality gate: extract + split three sets of documents and score them against their labels.

Run: `.venv/bin/python -m bench.extraction.run [-v] [--only NAME]` (or `python bench/extraction/run.py`).

1. our labelled fixtures (below); 2. the real documents of ../shared/corpus (when present: not ours to copy, so
read at run time; see bench/extraction/corpus.py for the matching rule); 3. the seed articles (counts).

Labelled documents live in `bench/extraction/docs/`: `NAME.<ext>` with `NAME.expected.json`
(`{"questions": [{"q": "...", "answer": true}, ...]}`). A predicted question matches an expected one when
their texts are equal after normalisation (case, punctuation, spacing). Per document and overall it prints
precision, recall, F1 and the answer-attachment share (matched questions whose has-answer flag agrees with
the label). The seeds (/work/shared/seeds, when present) are scored by their known counts only: their text
may not be copied into the repository, so precision/recall there are count-based upper bounds.

Exits 1 when a figure falls below its floor in `baseline.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from extractors import extract  # noqa: E402
from qbank.errors import SourceError  # noqa: E402
from qbank.records import QAItem, RawDocument  # noqa: E402
from qbank.settings import SplitSettings  # noqa: E402
from qbank.split import match_key, split  # noqa: E402
from bench.extraction.corpus import DocScore, Score, corpus_documents, score_document  # noqa: E402

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
BASELINE = HERE / "baseline.json"
SEEDS = HERE.parents[2] / "shared" / "seeds"
CORPUS = HERE.parents[2] / "shared" / "corpus"
MEDIA_TYPES = {
    ".md": "text/markdown",
    ".html": "text/html",
    ".rst": "text/x-rst",
    ".ipynb": "application/x-ipynb+json",
    ".txt": "text/plain",
}


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix, "text/plain")
# What the seed README and the task state: (questions, questions with an answer); None = not stated
SEED_COUNTS: dict[str, tuple[int, int | None]] = {
    "000_0130b098af308dda.txt": (20, 5),
    "001_83313aacd6754381.txt": (138, 0),
    "002_309aacbde7e618be.txt": (24, None),
    "003_f822d67cf7e014c8.txt": (45, 45),
}


def labelled_docs() -> list[tuple[Path, list[dict]]]:
    """(document, expected questions) for every labelled document, by name."""
    out = []
    for label in sorted(DOCS.glob("*.expected.json")):
        name = label.name.removesuffix(".expected.json")
        source = next(p for p in DOCS.glob(name + ".*") if not p.name.endswith(".expected.json"))
        out.append((source, json.loads(label.read_text())["questions"]))
    return out


def read_doc(path: Path) -> list[QAItem]:
    """Extract and split one file the way the pipeline does."""
    content = path.read_bytes()
    raw = RawDocument(
        source_uri=str(path),
        sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type(path),
        content=content,
        fetched_at=datetime.now(timezone.utc),
    )
    items, _ = split(extract(raw), SplitSettings())
    return items


def score_labelled(items: list[QAItem], expected: list[dict]) -> tuple[Score, list[str], list[str]]:
    """Score predictions against labels; also return the missed and the spurious question texts."""
    want = {match_key(e["q"]): bool(e["answer"]) for e in expected}
    got = {match_key(i.question): i.answer_markdown is not None for i in items}
    matched = want.keys() & got.keys()
    score = Score(
        expected=len(want),
        predicted=len(items),
        matched=len(matched),
        attached=sum(want[k] == got[k] for k in matched),
    )
    missed = [e["q"] for e in expected if match_key(e["q"]) not in got]
    spurious = [i.question for i in items if match_key(i.question) not in want]
    return score, missed, spurious


def score_seed(items: list[QAItem], counts: tuple[int, int | None]) -> Score:
    """Count-based score: at most min(predicted, expected) can be right."""
    expected, answered = counts
    got_answered = sum(i.answer_markdown is not None for i in items)
    matched = min(len(items), expected)
    attached = matched if answered is None else matched - min(matched, abs(got_answered - answered))
    return Score(expected=expected, predicted=len(items), matched=matched, attached=attached)


def _line(name: str, s: Score) -> str:
    return (
        f"{name:<32} exp {s.expected:>4} got {s.predicted:>4}  P {s.precision:.3f}  R {s.recall:.3f}"
        f"  F1 {s.f1:.3f}  attach {s.attachment:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list missed and spurious questions")
    parser.add_argument("--only", help="score only documents whose file name contains this")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="labelled real documents (default ../shared/corpus)")
    args = parser.parse_args(argv)

    floors = json.loads(BASELINE.read_text())
    failures: list[str] = []
    ours = Score()
    print("labelled documents")
    for source, expected in labelled_docs():
        if args.only and args.only not in source.name:
            continue
        try:
            items = read_doc(source)
        except SourceError as exc:  # a format we cannot read counts as all missed
            print(f"{source.name:<32} cannot extract: {exc}")
            items = []
        score, missed, spurious = score_labelled(items, expected)
        ours += score
        print(_line(source.name, score))
        if args.verbose:
            for q in missed:
                print(f"    missed   {q}")
            for q in spurious:
                print(f"    spurious {q}")
            for i in items:
                want = next((e["answer"] for e in expected if match_key(e["q"]) == match_key(i.question)), None)
                if want is not None and want != (i.answer_markdown is not None):
                    print(f"    answer   {'missing' if want else 'unexpected'}: {i.question}")
    print(_line("TOTAL (ours)", ours))
    _check("ours", ours, floors, failures)

    if args.corpus.is_dir():
        print(f"\nreal documents ({args.corpus})")
        _score_corpus(args, floors, failures)
    else:
        print(f"\nreal documents: skipped, {args.corpus} is not there (clone ../shared beside the repository)")

    if SEEDS.is_dir():
        seeds = Score()
        print("\nseed articles (count-based)")
        for name, counts in SEED_COUNTS.items():
            path = SEEDS / name
            if not path.exists():
                continue
            score = score_seed(read_doc(path), counts)
            seeds += score
            print(_line(name, score))
        print(_line("TOTAL (seeds)", seeds))
        _check("seeds", seeds, floors, failures)

    for failure in failures:
        print(f"BELOW FLOOR: {failure}")
    return 1 if failures else 0


def _score_corpus(args: argparse.Namespace, floors: dict, failures: list[str]) -> None:
    scores: list[DocScore] = []
    print(f"{'document':44} {'match/pred/true':>16} {'P':>6} {'R':>6} {'F1':>6} {'answers':>8} {'starts':>7}")
    for source, truth in corpus_documents(args.corpus):
        if args.only and args.only not in source.name:
            continue
        try:
            items = read_doc(source)
        except SourceError as exc:
            print(f"{source.name[:44]:44} cannot extract: {exc}")
            items = []
        s = score_document(source.name, items, truth)
        scores.append(s)
        print(f"{s.name[:44]:44} {f'{s.matched}/{s.predicted}/{s.expected}':>16} {s.precision:6.3f} {s.recall:6.3f}"
              f" {s.f1:6.3f} {s.answers:8.3f} {s.starts:7.3f}")
        if args.verbose:
            for label, rows in (("missed", s.missed), ("extra", s.extra), ("answer", s.wrong_answer)):
                for q in rows:
                    print(f"    {label:7} {q[:150]}")
    total = DocScore(name="TOTAL")
    for s in scores:
        total += s
    mean_f1 = sum(s.f1 for s in scores) / len(scores) if scores else 0.0
    print(f"{'TOTAL (corpus)':44} {f'{total.matched}/{total.predicted}/{total.expected}':>16} {total.precision:6.3f}"
          f" {total.recall:6.3f} {total.f1:6.3f} {total.answers:8.3f} {total.starts:7.3f}")
    print(f"per-document mean F1 {mean_f1:.3f} over {len(scores)} documents")
    if not args.only:
        _check("corpus", total, floors, failures)
        floor = floors.get("corpus", {}).get("mean_f1")
        if floor is not None and mean_f1 < floor:
            failures.append(f"corpus mean_f1 {mean_f1:.3f} < {floor}")


def _check(group: str, score: Score, floors: dict, failures: list[str]) -> None:
    for metric, floor in floors.get(group, {}).items():
        if not hasattr(score, metric):
            continue
        value = getattr(score, metric)
        if value < floor:
            failures.append(f"{group} {metric} {value:.3f} < {floor}")


if __name__ == "__main__":
    sys.exit(main())
