"""A plain-text list of N questions, one per line under a title line, through the real pipeline end to end.

Run: `.venv/bin/python -m bench.extraction.long_list --lines 100000` prints, per stage, the seconds taken, and
the share of lines that became questions (target: >= 99 % in <= 60 s end to end for 100,000 lines).

The lines are generated (seeded), in the shapes of a forum dump: many do not open with a question word ("If a
pod restarts ...", "I have a dict ...", "My build fails ...", "Is there a way ..."), some have no "?" at all
("Python: sort a dict by value", "Docker vs VM"). Every line is a distinct question.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SUBJECTS = [
    "a Python dict", "a pandas DataFrame", "a Docker image", "a Kubernetes pod", "a Postgres index", "a React hook",
    "a git rebase", "a TCP socket", "a Spark job", "a JWT token", "a CSS grid", "a Linux cgroup", "a Redis stream",
    "a Terraform module", "an S3 bucket", "a Kafka topic", "a TypeScript generic", "a SQL window function",
    "an nginx config", "a systemd unit", "a bash script", "a REST API", "a GraphQL resolver", "a Go channel",
]
VERBS = ["sort", "merge", "cache", "profile", "debug", "secure", "scale", "test", "migrate", "monitor", "retry",
         "compress", "partition", "serialize", "deploy", "roll back", "index", "shard", "validate", "stream"]
FORMS = [
    "How do I {v} {s} without downtime?", "What is the best way to {v} {s}?", "If {s} fails at night, how do you {v} it?",
    "I have {s} that is slow; how would you {v} it?", "My {s} breaks when I {v} it, why?", "Is there a way to {v} {s}?",
    "Why does {s} get slower after I {v} it?", "Can you {v} {s} in place?", "When should you {v} {s}?",
    "Which tool would you use to {v} {s}?", "{S}: {v} it safely", "{S} vs the alternatives when you {v}",
    "Explain how to {v} {s}.", "Should I {v} {s} or rewrite it?", "Trying to {v} {s}, what am I missing?",
]


def lines(n: int, seed: int = 7) -> list[str]:
    """`n` distinct question lines (a case number keeps each line its own question)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        subject, verb, form = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(FORMS)
        text = form.format(s=subject, S=subject[0].upper() + subject[1:], v=verb)
        out.append(f"{text.rstrip('?.')} (case {i}){text[-1] if text[-1] in '?.' else ''}")
    return out


def write_list(path: Path, n: int) -> Path:
    path.write_text("Questions collected from a developer forum\n" + "\n".join(lines(n)) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args(argv)
    from qbank.pipeline import finalize, new_run, process_source
    from qbank.settings import Settings

    with tempfile.TemporaryDirectory(prefix="qbank-long-list-") as tmp:
        folder = Path(tmp)
        path = write_list(folder / "questions.txt", args.lines)
        settings = Settings(warehouse=folder / "wh.duckdb", raw_dir=folder / "raw")
        started = time.monotonic()
        result = process_source(str(path), settings)
        processed = time.monotonic()
        summary = finalize([result], settings, new_run(settings))
        loaded = time.monotonic()
    share = len(result.items) / args.lines
    print(f"lines {args.lines}  questions {len(result.items)} ({share:.3%})  answered {sum(bool(i.answer_text) for i in result.items)}")
    print(f"fetch+extract+split+classify {processed - started:6.1f} s")
    print(f"normalize+dedupe+tag+load    {loaded - processed:6.1f} s   ({summary.clusters_total} clusters)")
    print(f"end to end                   {loaded - started:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
