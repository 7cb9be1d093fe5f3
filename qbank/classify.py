"""Kind and level of each question, from what the source says (headings, title, metadata) and its wording.

Kind: a heading above the question that names a kind ("Behavioral Questions") wins; otherwise the wording
("Tell me about a time ..." -> behavioral, "Imagine you ..." -> situational, "Write a function ..." ->
coding, "How would you approach ..." -> problem-solving); otherwise a document title that names one kind;
otherwise "technical".

Level: the nearest heading, then the document title, then metadata values that name exactly one level
("Beginner questions", "Senior", "(2-4 years experience)"); None when the source does not say.
All cue words live in `data/kinds.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from qbank.records import Kind, Level, QAItem, StructuredDoc
from qbank.settings import DATA_DIR
from qbank.tag import fold_text

DEFAULT_CUES = DATA_DIR / "kinds.yaml"


@dataclass(frozen=True, slots=True)
class KindCues:
    """Compiled cue patterns from the kinds file."""

    kind_headings: tuple[tuple[Kind, re.Pattern[str]], ...]
    kind_wording: tuple[tuple[Kind, re.Pattern[str]], ...]
    level_words: tuple[tuple[Level, re.Pattern[str]], ...]
    years: re.Pattern[str]
    years_context: re.Pattern[str]
    intermediate_from: float
    advanced_from: float
    metadata_keys: tuple[str, ...]


@lru_cache(maxsize=8)
def load_kind_cues(path: Path = DEFAULT_CUES) -> KindCues:
    """Read and compile the cue file (cached per path: the file is data, read once per process)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    kinds, levels = data["kinds"], data["levels"]

    def compiled(groups: dict[str, list[str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple((name, re.compile(p)) for name, patterns in groups.items() for p in patterns)

    return KindCues(
        kind_headings=compiled(kinds["headings"]),  # type: ignore[arg-type]
        # one alternation per kind, kinds in file order: the first kind with a matching pattern wins, as it did
        # pattern by pattern, at a fifteenth of the searches
        kind_wording=tuple((name, re.compile("|".join(f"(?:{p})" for p in patterns)))
                           for name, patterns in kinds["wording"].items()),  # type: ignore[arg-type]
        level_words=compiled(levels["words"]),  # type: ignore[arg-type]
        years=re.compile(levels["years_pattern"]),
        years_context=re.compile(levels["years_context"]),
        intermediate_from=float(levels["intermediate_from"]),
        advanced_from=float(levels["advanced_from"]),
        metadata_keys=tuple(levels["metadata_keys"]),
    )


def classify(items: Sequence[QAItem], doc: StructuredDoc, cues: KindCues | None = None) -> list[QAItem]:
    """`items` with `kind` and `level` filled; a value the splitter already set is kept."""
    cues = cues or load_kind_cues()
    title_kind = _only_one(cues.kind_headings, _folded([doc.title]))
    doc_level = _first_level(cues, _folded([doc.title, *_metadata_values(doc, cues.metadata_keys)]))
    out = []
    by_section: dict[tuple[str, ...], tuple[Kind | None, Level | None]] = {}  # one section, many questions
    for item in items:
        path = item.section_path or ((item.section,) if item.section else ())
        if path not in by_section:
            headings = _folded(reversed(path))
            by_section[path] = (_heading_kind(cues, headings), _first_level(cues, headings))
        heading_kind, heading_level = by_section[path]
        kind = item.kind or heading_kind or _wording_kind(cues, fold_text(item.question)) or title_kind or "technical"
        level = item.level or heading_level or doc_level
        out.append(replace(item, kind=kind, level=level))
    return out


def _heading_kind(cues: KindCues, headings: list[str]) -> Kind | None:
    """Kind named by the nearest heading that names exactly one."""
    for heading in headings:
        kind = _only_one(cues.kind_headings, [heading])
        if kind:
            return kind  # type: ignore[return-value]
    return None


def _wording_kind(cues: KindCues, question: str) -> Kind | None:
    """Kind the question's wording names ("Tell me about a time ..." -> behavioral)."""
    for kind, pattern in cues.kind_wording:
        if pattern.search(question):
            return kind
    return None


def _first_level(cues: KindCues, texts: Iterable[str]) -> Level | None:
    """Level of the first text that names exactly one (by word or by years of experience)."""
    for text in texts:
        level = _years_level(cues, text) or _only_one(cues.level_words, [text])
        if level:
            return level  # type: ignore[return-value]
    return None


def _years_level(cues: KindCues, text: str) -> Level | None:
    """"2-4 years experience" -> intermediate (midpoint of a range, lower bound of "5+")."""
    if not cues.years_context.search(text):
        return None
    match = cues.years.search(text)
    if not match:
        return None
    low = float(match.group(1))
    years = (low + float(match.group(2))) / 2 if match.group(2) else low
    if years >= cues.advanced_from:
        return "advanced"
    return "intermediate" if years >= cues.intermediate_from else "beginner"


def _only_one(patterns: Sequence[tuple[str, re.Pattern[str]]], texts: Iterable[str]) -> str | None:
    """The one label whose patterns match the texts; None when none or several do ("beginner to advanced")."""
    found = {label for text in texts for label, pattern in patterns if pattern.search(text)}
    return found.pop() if len(found) == 1 else None


def _folded(texts: Iterable[str | None]) -> list[str]:
    return [fold_text(t) for t in texts if t]


def _metadata_values(doc: StructuredDoc, keys: Sequence[str]) -> list[str]:
    lowered = {k.lower(): v for k, v in doc.metadata.items()}
    return [str(lowered[k]) for k in keys if lowered.get(k)]
