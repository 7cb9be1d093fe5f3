"""Stable ids of questions and clusters (docs/ARCHITECTURE.md, "Ids").

Kept apart from the match key (qbank/normalize.py): wording lists, synonyms and lemmas get better from
release to release, and an id must not change with them. The warehouse's v3 migration rewrites ids with
these functions, so it needs nothing else of the pipeline.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Letters and digits of any script, plus the symbols that change a name: c++, c#, f#.
TOKEN = re.compile(r"[^\W_]+(?:\+\+|#)?")


def id_text(question: str) -> str:
    """The part of a question its id is made from: NFKC, lowercase, words and numbers only.

    Deliberately not the match key: filler lists, synonyms and lemmas get better from release to release,
    and a question's id must not change with them. Punctuation, case and spacing edits keep the id.
    """
    return " ".join(TOKEN.findall(unicodedata.normalize("NFKC", question).lower()))


def question_id(source_uri: str, text: str, repeat: int = 1) -> str:
    """`q_` + 16 hex of sha256(source_uri + "\\n" + id_text(text)); the n-th repeat in a source gets `-n`."""
    digest = hashlib.sha256(f"{source_uri}\n{id_text(text)}".encode()).hexdigest()[:16]
    return f"q_{digest}" if repeat == 1 else f"q_{digest}-{repeat}"


def question_ids(rows: Iterable[tuple[str, str]]) -> list[str]:
    """Ids for (source_uri, question) rows in document order (repeats numbered in that order per source)."""
    seen: dict[tuple[str, str], int] = {}
    ids: list[str] = []
    for source_uri, question in rows:
        n = seen[(source_uri, id_text(question))] = seen.get((source_uri, id_text(question)), 0) + 1
        ids.append(question_id(source_uri, question, n))
    return ids


def cluster_id_for(question_id: str) -> str:
    """`c_` + 16 hex of sha256 of the founding question id."""
    return "c_" + hashlib.sha256(question_id.encode()).hexdigest()[:16]
