"""Extraction speed of the plain-text, PDF, Org and AsciiDoc paths on generated documents (issue 13).

Run: `.venv/bin/python -m bench.formats.run [--lines 100000] [--pages 200] [--questions 5000]`

Prints, per document: its size, the detected format, seconds to extract (best of `--repeat`), and the
block kinds. The plain-text list is one question per line under a title line, many lines not starting
with a question word ("I have ...", "My ...", "If ..."), with four stray Markdown-looking lines: it must
be read as text (issue 13: it was sniffed as Markdown and became one paragraph) and extract in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from extractors import extract  # noqa: E402
from extractors.detect import sniff  # noqa: E402
from qbank.records import RawDocument, StructuredDoc  # noqa: E402
from tests.test_extract_support import make_pdf  # noqa: E402

STEMS = (
    "If I have a {a}, how do I {v} it?", "I have a {a} and need to {v} it", "My {a} fails when I {v} it",
    "Is there a way to {v} a {a}?", "How do I {v} a {a} in Python?", "What is the best way to {v} a {a}?",
    "Difference between {a} and {b}", "Can I {v} a {a} without copying?", "Why does {v} on a {a} raise an error?",
    "{A} vs {b} for large data", "Using {a} to {v} records", "When should I {v} a {a}?",
)
NOUNS = "list dict tuple dataframe generator iterator set string array queue stack tree graph table index".split()
VERBS = "sort merge split flatten reverse filter group copy serialize parse cache index join".split()


def questions(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        a, b = rng.sample(NOUNS, 2)
        text = rng.choice(STEMS).format(a=a, b=b, v=rng.choice(VERBS), A=a.capitalize())
        out.append(f"{text} ({n})" if rng.random() < 0.3 else text)
    return out


def text_list(lines: int) -> str:
    body = questions(lines)
    for position, stray in ((40, "# of rows per partition?"), (900, "**Bonus round**"), (5000, "# Advanced"), (12000, "**Thanks**")):
        if position < len(body):
            body.insert(position, stray)
    return "\n".join(["Python Questions Asked On The Forum", *body]) + "\n"


def org_doc(count: int) -> str:
    parts = ["#+TITLE: Generated Questions\n"]
    for n, q in enumerate(questions(count, seed=11)):
        if n % 50 == 0:
            parts.append(f"* Topic {n // 50}\n")
        parts.append(f"** {q}\n   An answer line for question {n}.\n")
    return "".join(parts)


def asciidoc_doc(count: int) -> str:
    parts = ["= Generated Questions\n\n"]
    for n, q in enumerate(questions(count, seed=13)):
        if n % 50 == 0:
            parts.append(f"\n== Topic {n // 50}\n\n")
        parts.append(f". {q}\n")
    return "".join(parts)


def pdf_doc(pages: int) -> bytes:
    lines_per_page, q = 22, 0
    out = []
    for page in range(pages):
        lines = [(0, "ACME Interview Guide")]
        for _ in range(lines_per_page):
            q += 1
            lines.append((0, f"{q}. What is the difference between a list and a tuple in Python, and when would"))
            lines.append((3, "you pick each one for a read-heavy workload?"))
        lines.append((40, f"Page {page + 1} of {pages}"))
        out.append(lines)
    return make_pdf(out)


def raw(content: bytes, uri: str, media_type: str) -> RawDocument:
    return RawDocument(uri, hashlib.sha256(content).hexdigest(), media_type, content, datetime.now(timezone.utc))


def timed(document: RawDocument, repeat: int) -> tuple[float, StructuredDoc]:
    best, doc = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        doc = extract(document)
        best = min(best, time.perf_counter() - started)
    return best, doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the plain-text list")
    parser.add_argument("--pages", type=int, default=200, help="pages of the generated PDF")
    parser.add_argument("--questions", type=int, default=5_000, help="questions of the Org and AsciiDoc documents")
    parser.add_argument("--repeat", type=int, default=2, help="runs per document; the best time is printed")
    args = parser.parse_args(argv)

    listing = text_list(args.lines)
    started = time.perf_counter()
    sniffed = sniff(listing)
    print(f"sniff of the {args.lines:,}-line list: {sniffed or 'text'} in {time.perf_counter() - started:.2f}s")
    documents = [
        (f"text list, {args.lines:,} lines", raw(listing.encode(), "/bench/list.txt", "text/plain")),
        (f"PDF, {args.pages} pages", raw(pdf_doc(args.pages), "/bench/guide.pdf", "application/pdf")),
        (f"Org, {args.questions:,} questions", raw(org_doc(args.questions).encode(), "/bench/q.org", "text/x-org")),
        (f"AsciiDoc, {args.questions:,} questions", raw(asciidoc_doc(args.questions).encode(), "/bench/q.adoc", "text/asciidoc")),
    ]
    print(f"{'document':32} {'bytes':>11} {'format':>9} {'seconds':>8}  blocks")
    for name, document in documents:
        seconds, doc = timed(document, args.repeat)
        kinds = Counter(f"{b.kind}{b.level or ''}" for b in doc.blocks)
        summary = ", ".join(f"{kind} {count:,}" for kind, count in kinds.most_common(4))
        print(f"{name:32} {len(document.content):>11,} {doc.format:>9} {seconds:>8.2f}  {len(doc.blocks):,} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
